"""`taskstream token` finds the secret of the stack whose tokens it prints, or says where
it looked and which settings choose another."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import jwt
import pytest

from services.cli import JWT_SECRET_FILE, main

TENANT = str(uuid4())


@pytest.fixture(autouse=True)
def no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKSTREAM_JWT_SECRET", raising=False)


def test_a_data_directory_without_a_secret_is_named_with_the_settings_that_choose_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TASKSTREAM_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main(["token", "--tenant", TENANT]) == 2
    error = capsys.readouterr().err
    assert str(tmp_path / "elsewhere") in error
    assert "TASKSTREAM_DATA_DIR" in error
    assert "TASKSTREAM_JWT_SECRET" in error


def test_the_dev_stacks_secret_in_the_data_directory_signs_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / JWT_SECRET_FILE).write_text("s" * 48 + "\n")
    monkeypatch.setenv("TASKSTREAM_DATA_DIR", str(tmp_path))
    assert main(["token", "--tenant", TENANT]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, "s" * 48, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["tenant_id"] == TENANT
