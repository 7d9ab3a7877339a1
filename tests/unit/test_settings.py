from __future__ import annotations

import pytest

from shared.settings import ConfigurationError, Settings, service_environment


def test_a_service_environment_reads_back_as_the_settings_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = service_environment(
        database_url="postgresql://u@127.0.0.1:5432/db",
        query_port=9001,
        min_position_wait_seconds=1.5,
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url == "postgresql://u@127.0.0.1:5432/db"
    assert settings.query_port == 9001
    assert settings.min_position_wait_seconds == 1.5


def test_a_name_that_is_not_a_setting_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="query_prot"):
        service_environment(query_prot=9001)
