"""docker-compose.yml cannot run here (no Docker engine), so check what can be checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.cli import _parser
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NATS = {"TASKSTREAM_NATS_URL", "TASKSTREAM_NATS_CREDS"}
NEEDS = {
    "nats-setup": {"TASKSTREAM_NATS_AUTH_DIR"},
    "migrate": {"TASKSTREAM_DATABASE_URL"},
    "command": {"TASKSTREAM_DATABASE_URL", "TASKSTREAM_JWT_SECRET", *NATS},
    "projector": {"TASKSTREAM_DATABASE_URL", *NATS},
    "query": {"TASKSTREAM_DATABASE_URL", "TASKSTREAM_JWT_SECRET", *NATS},
}
AUTH_DIR = "/var/lib/taskstream/nats-auth"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def cli_commands() -> set[str]:
    parser = _parser()
    [commands] = [a for a in parser._actions if a.dest == "command"]
    assert commands.choices is not None
    return set(commands.choices)


def test_every_service_command_exists_in_the_cli() -> None:
    services = compose()["services"]
    ours = {name: s for name, s in services.items() if s.get("build")}
    assert set(ours) == set(NEEDS)
    for name, service in ours.items():
        assert service["command"][0] in cli_commands(), name


def test_every_service_gets_the_variables_it_needs() -> None:
    services = compose()["services"]
    known = {f"TASKSTREAM_{f.upper()}" for f in Settings.model_fields}
    for name, needed in NEEDS.items():
        env = services[name]["environment"]
        assert needed <= set(env), (name, needed - set(env))
        assert set(env) <= known, (name, set(env) - known)


def test_infrastructure_matches_the_urls() -> None:
    services = compose()["services"]
    assert "-js" in services["nats"]["command"]
    env = services["command"]["environment"]
    assert "@postgres:5432/" in env["TASKSTREAM_DATABASE_URL"]
    assert env["TASKSTREAM_NATS_URL"] == "nats://nats:4222"
    assert services["command"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_nats_admits_only_the_users_nats_setup_signed_each_service_as_its_own() -> None:
    services = compose()["services"]
    assert services["nats-setup"]["command"] == ["nats-setup"]
    assert services["nats-setup"]["environment"]["TASKSTREAM_NATS_AUTH_DIR"] == AUTH_DIR
    assert f"nats-auth:{AUTH_DIR}" in services["nats-setup"]["volumes"]
    nats = services["nats"]
    config = nats["command"][nats["command"].index("-c") + 1]
    mount = next(v for v in nats["volumes"] if v.startswith("nats-auth:"))
    assert config == f"{mount.split(':')[1]}/server.conf" and mount.endswith(":ro")
    assert nats["depends_on"]["nats-setup"]["condition"] == "service_completed_successfully"
    for name in ("command", "projector", "query"):
        service = services[name]
        assert f"nats-auth:{AUTH_DIR}:ro" in service["volumes"], name
        creds = service["environment"]["TASKSTREAM_NATS_CREDS"]
        assert creds == f"{AUTH_DIR}/creds/{name}.creds", name
    assert f"install -d -o taskstream -m 0700 {AUTH_DIR}" in (ROOT / "Dockerfile").read_text()


def test_the_image_installs_the_package_and_runs_the_cli() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert 'ENTRYPOINT ["taskstream"]' in dockerfile
    for folder in ("services", "shared", "migrations"):
        assert f"COPY {folder} ./{folder}" in dockerfile
