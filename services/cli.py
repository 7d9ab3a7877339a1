"""The `taskstream` command: one entry point for every service and operator task."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import uvloop

from shared import logs
from shared.lifetime import run_until_signalled
from shared.settings import ConfigurationError, Settings

JWT_SECRET_FILE = "jwt_secret"  # noqa: S105 (a file name)
SUBSCRIBER_TTL = 30 * 24 * 3600


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logs.configure(args.command, settings.log_level)
    try:
        result: int = args.run(settings, args)
        return result
    except ConfigurationError as e:
        print(f"taskstream {args.command}: {e}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskstream", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = commands.add_parser("dev", help="run the whole stack on embedded servers")
    dev.set_defaults(run=_dev)
    for name, run, text in (
        ("command", _command, "run the command (write) API"),
        ("query", _query, "run the query (read) API"),
        ("projector", _projector, "run the projector (JetStream -> read tables)"),
        ("migrate", _migrate, "apply database migrations (idempotent)"),
    ):
        commands.add_parser(name, help=text).set_defaults(run=run)

    rebuild = commands.add_parser(
        "rebuild", help="rebuild the read model from the event store, swapped in live"
    )
    rebuild.add_argument(
        "--tenant", type=UUID, default=None, help="rebuild only this tenant's rows (UUID)"
    )
    rebuild.set_defaults(run=_rebuild)

    republish = commands.add_parser(
        "republish", help="publish events from the event store to JetStream again"
    )
    republish.add_argument(
        "--from",
        dest="start",
        type=int,
        required=True,
        metavar="POSITION",
        help="first event position to publish (1 for everything)",
    )
    republish.set_defaults(run=_republish)

    token = commands.add_parser("token", help="print a signed tenant token")
    token.add_argument("--tenant", type=UUID, required=True, help="tenant id (UUID)")
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.add_argument("--subject", default=None, help="actor name recorded on events")
    token.set_defaults(run=_token)

    subscriber = commands.add_parser(
        "subscriber-credentials",
        help="write a NATS credentials file with which a subscriber reads one tenant's events",
    )
    subscriber.add_argument("--tenant", type=UUID, required=True, help="tenant id (UUID)")
    subscriber.add_argument(
        "--name",
        required=True,
        help="the subscriber's name (1-64 letters, digits, - or _); its consumer is named "
        "from it and the tenant",
    )
    subscriber.add_argument(
        "--ttl",
        type=int,
        default=SUBSCRIBER_TTL,
        help=f"lifetime in seconds (default {SUBSCRIBER_TTL}: 30 days)",
    )
    subscriber.add_argument(
        "--out",
        default=None,
        help="the file to write (default ./<consumer>.creds); - writes it to standard output",
    )
    subscriber.set_defaults(run=_subscriber_credentials)

    commands.add_parser(
        "nats-setup",
        help="make the NATS keys (once), nats-server's config and each service's "
        "credentials in TASKSTREAM_NATS_AUTH_DIR",
    ).set_defaults(run=_nats_setup)
    return parser


def _command(settings: Settings, _: argparse.Namespace) -> int:
    from services.command.publishing.relay import run_relay
    from shared.serving import serve

    _check_service_settings(settings)
    return serve(
        "services.command.app:create_app",
        settings,
        settings.command_port,
        settings.command_workers,
        "command",
        companions=(run_relay,),
    )


def _query(settings: Settings, _: argparse.Namespace) -> int:
    from shared.serving import serve

    _check_service_settings(settings)
    return serve(
        "services.query.app:create_app",
        settings,
        settings.query_port,
        settings.query_workers,
        "query",
    )


def _check_service_settings(settings: Settings) -> None:
    """Fails fast in the parent, with the message, instead of in every worker."""
    settings.require_database_url()
    settings.require_nats_url()
    settings.nats_credentials()
    settings.require_jwt_secret()


def _projector(settings: Settings, _: argparse.Namespace) -> int:
    from services.projector.consumer import Projector
    from services.projector.sweep import sweep_forever
    from shared.database import DatabaseAddress
    from shared.heap import freeze_startup_heap

    conninfo = DatabaseAddress.parse(settings.require_database_url()).conninfo()
    projector = Projector(
        conninfo,
        settings.require_nats_url(),
        settings.nats_stream,
        fast=settings.fast,
        credentials=settings.nats_credentials(),
    )

    freeze_startup_heap()

    async def project_and_sweep() -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(projector.run())
            tasks.create_task(sweep_forever(conninfo))

    run_until_signalled(project_and_sweep())
    return 0


def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from services.projector.rebuild.run import rebuild
    from shared.database import DatabaseAddress

    conninfo = DatabaseAddress.parse(settings.require_database_url()).conninfo()
    outcome = uvloop.run(rebuild(conninfo, args.tenant))
    scope = f"tenant {args.tenant}" if args.tenant else "every tenant"
    print(
        f"read model rebuilt for {scope}: {outcome.events} events up to position "
        f"{outcome.position} in {outcome.seconds:.1f} s"
    )
    return 0


def _republish(settings: Settings, args: argparse.Namespace) -> int:
    from services.command.publishing.republish import republish
    from shared.database import DatabaseAddress
    from shared.fast_paths import FastPath

    if args.start < 1:
        print("taskstream republish: --from must be a position of 1 or more", file=sys.stderr)
        return 2
    conninfo = DatabaseAddress.parse(settings.require_database_url()).conninfo()
    count = uvloop.run(
        republish(
            conninfo,
            settings.require_nats_url(),
            settings.nats_stream,
            args.start,
            fast_wire=settings.fast(FastPath.WIRE),
            credentials=settings.nats_credentials(),
        )
    )
    print(f"republished {count} events from position {args.start}")
    return 0


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from shared import migrate

    migrate.upgrade(settings.require_database_url())
    print("migrations applied")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from shared.tokens import issue_token

    token = issue_token(
        token_secret(settings),
        args.tenant,
        args.ttl,
        args.subject,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    print(token)
    return 0


def _subscriber_credentials(settings: Settings, args: argparse.Namespace) -> int:
    from services.subscriber_credentials import write_subscriber_credentials

    return write_subscriber_credentials(settings, args.tenant, args.name, args.ttl, args.out)


def _nats_setup(settings: Settings, _: argparse.Namespace) -> int:
    from shared.nats_authority import NatsAuthority

    authority = NatsAuthority(settings.nats_auth_directory())
    config = authority.write_server_config()
    credentials = authority.write_service_credentials(settings.nats_stream)
    print(f"nats-server config: {config}")
    for service, path in credentials.items():
        print(f"{service} credentials: {path}")
    return 0


def _dev(settings: Settings, _: argparse.Namespace) -> int:
    from services.dev.stack import run_dev_stack

    return run_dev_stack(settings)


def token_secret(settings: Settings) -> str:
    """The configured secret, else the one `taskstream dev` keeps in its data directory."""
    if settings.jwt_secret is not None:
        return settings.require_jwt_secret()
    stored = Path(settings.data_dir) / JWT_SECRET_FILE
    if stored.is_file():
        return stored.read_text().strip()
    raise ConfigurationError(
        f"no secret to sign with: TASKSTREAM_JWT_SECRET is not set and {stored.resolve()} does"
        " not exist. Set TASKSTREAM_JWT_SECRET to the services' secret, or"
        " TASKSTREAM_DATA_DIR to the data directory of the `taskstream dev` stack whose"
        " tokens you want (the one it was started with)"
    )


if __name__ == "__main__":
    sys.exit(main())
