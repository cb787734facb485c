"""`kassa`: serve, migrate, worker, check, demo, orgs, keys, events, loyalty, operators."""

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from kassa import logs
from kassa.app import demo, loyalty, operators, tenants
from kassa.app.clock import utcnow
from kassa.cli import check, events, failures, helptext, serving
from kassa.config import ConfigError, Settings
from kassa.core.errors import OperatorInvalid
from kassa.core.loyalty import Program
from kassa.core.pricing import FeePolicy
from kassa.store.db import Database
from kassa.store.migrate import upgrade
from kassa.web.multiprocess import metrics_directory


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.run is _check:  # it reports a wrong setting as one of its lines
        return check.run()
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        failures.preflight(settings.database_url)
        _configure_logging(settings.log_level, settings.log_format)
        operators.use_password_hash_memory(settings.password_hash_memory_kib)
        result: int = args.run(args, settings)
    except Exception as error:
        line = failures.explain(error, settings.database_url if settings else None)
        if line is None:
            raise  # not a mistake of configuration or surroundings: a bug, with its traceback
        print(f"kassa: {line}", file=sys.stderr)
        return 2 if isinstance(error, ConfigError) else 1
    except KeyboardInterrupt:
        return 130
    return result


def _configure_logging(level: str, log_format: str = "text") -> None:
    logs.configure(log_format, level.upper())
    # Alembic's "Context impl ..." on every command, fontTools' ~75 lines per PDF ticket:
    # only KASSA_LOG_LEVEL=debug shows them.
    if level != "debug":
        for chatty in ("alembic", "fontTools"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kassa",
        description=__doc__,
        epilog=helptext.environment(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(required=True, metavar="command")

    def with_settings(name: str, what: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=what,
            description=what[0].upper() + what[1:] + ".",
            epilog=helptext.environment(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    serve = with_settings("serve", "migrate, seed demo data on an empty database, serve")
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="default 8000")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--no-demo", action="store_true", help="never seed demo data (also KASSA_DEMO=0)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="proxies whose X-Forwarded-* headers are trusted, comma-separated, or '*' "
        "(default: $FORWARDED_ALLOW_IPS, else 127.0.0.1)",
    )
    serve.set_defaults(run=_serve)
    with_settings("migrate", "bring the database schema up to date").set_defaults(run=_migrate)
    worker = with_settings("worker", "expire holds that ran out, deliver webhooks and e-mail")
    worker.set_defaults(run=_worker)
    checks = "check the settings, the database (migrations at head) and the SMTP server"
    with_settings("check", checks).set_defaults(run=_check)

    demo_cmd = sub.add_parser("demo", help="seed demo data if the database is empty; print it")
    demo_cmd.add_argument("--base-url", default="http://127.0.0.1:8000")
    demo_cmd.set_defaults(run=_demo)

    orgs = sub.add_parser("orgs", help="organisations").add_subparsers(required=True)
    org_create = orgs.add_parser("create", help="a new organiser, with its first API key")
    org_create.add_argument("--name", required=True)
    org_create.add_argument("--fee-percent", default="0", help="service fee, percent of nominal")
    org_create.add_argument("--fee-fixed", default="0", help="service fee per ticket")
    org_create.add_argument("--webhook-url")
    org_create.set_defaults(run=_org_create)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(required=True)
    key_create = keys.add_parser(
        "create", help="a key for an organiser, or for a partner (seller) of it"
    )
    key_create.add_argument("--org", required=True, help="organisation id")
    key_create.add_argument("--partner", help="an existing partner id")
    key_create.add_argument("--partner-name", help="create a new partner with this name")
    key_create.add_argument("--webhook-url", help="the new partner's webhook endpoint")
    key_create.add_argument("--label", default="")
    key_create.set_defaults(run=_key_create)
    key_revoke = keys.add_parser("revoke", help="stop a key from working")
    key_revoke.add_argument("key")
    key_revoke.set_defaults(run=_key_revoke)

    events.add_commands(sub)

    loyalty_cmd = sub.add_parser("loyalty", help="loyalty shops and programs").add_subparsers(
        required=True
    )
    shop_create = loyalty_cmd.add_parser("shop-create", help="a shop (prints shop_id/secret)")
    shop_create.add_argument("--org", required=True, help="organisation id")
    shop_create.add_argument("--name", required=True)
    shop_create.add_argument("--program", help="a JSON file with the program (see README)")
    shop_create.set_defaults(run=_shop_create)
    program = loyalty_cmd.add_parser("program", help="replace a shop's program")
    program.add_argument("--org", required=True)
    program.add_argument("--shop", required=True)
    program.add_argument("--program", required=True, help="a JSON file")
    program.set_defaults(run=_shop_program)
    certificate = loyalty_cmd.add_parser("certificate", help="issue a gift certificate")
    certificate.add_argument("--shop", required=True)
    certificate.add_argument("--amount", required=True)
    certificate.add_argument("--code")
    certificate.set_defaults(run=_certificate)
    promo = loyalty_cmd.add_parser("promo-code", help="a promo code of a shop")
    promo.add_argument("--shop", required=True)
    promo.add_argument("--code", required=True)
    promo.add_argument("--kind", choices=["fix", "percent"], required=True)
    promo.add_argument("--value", required=True)
    promo.set_defaults(run=_promo_code)

    ops = sub.add_parser("operators", help="operator console accounts").add_subparsers(
        required=True
    )
    op_create = ops.add_parser(
        "create",
        help="an operator who signs in to /console (password asked for, or read from stdin)",
    )
    op_create.add_argument("--org", required=True, help="organisation id")
    op_create.add_argument("--email", required=True)
    op_create.add_argument("--role", choices=list(operators.ROLES), default="operator")
    op_create.add_argument("--name", default="")
    op_create.add_argument("--restaurant", help="narrow the account to one restaurant")
    op_create.add_argument("--shop", help="narrow the account to one loyalty shop")
    op_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    op_create.set_defaults(run=_operator_create)
    op_list = ops.add_parser("list", help="the operators of an organisation")
    op_list.add_argument("--org", required=True)
    op_list.set_defaults(run=_operator_list)
    op_disable = ops.add_parser("disable", help="stop an operator signing in (ends sessions)")
    op_disable.add_argument("--email", required=True)
    op_disable.set_defaults(run=_operator_disable)
    return parser


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise OperatorInvalid("the passwords differ")
    return first


def _operator_create(args: argparse.Namespace, settings: Settings) -> int:
    password = _password(args)

    async def work(db: Database) -> object:
        made = await operators.create_operator(
            db,
            org_id=args.org,
            email=args.email,
            password=password,
            role=args.role,
            name=args.name,
            restaurant_id=args.restaurant,
            shop_id=args.shop,
            now=utcnow(),
        )
        return {"id": made.id, "email": made.email, "role": made.role, "sign_in": "/console/login"}

    return _with_db(settings, work)


def _operator_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> object:
        found = await operators.of_org_id(db, args.org)
        return [
            {
                "email": o.email,
                "role": o.role,
                "restaurant": o.restaurant_id,
                "shop": o.shop_id,
                "disabled": o.disabled,
            }
            for o in found
        ]

    return _with_db(settings, work)


def _operator_disable(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> object:
        return {"disabled": await operators.disable(db, args.email, utcnow())}

    return _with_db(settings, work)


def _program_file(path: str | None) -> Program:
    from kassa.core.loyalty import program_from

    if not path:
        return program_from({})
    with open(path, encoding="utf-8") as handle:
        return program_from(json.load(handle))


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[object]]) -> int:
    async def go() -> object:
        db = Database(settings.database_url, pool_size=2)
        try:
            return await work(db)
        finally:
            await db.dispose()

    upgrade(settings.database_url)
    print(json.dumps(asyncio.run(go()), indent=2, ensure_ascii=False, default=str))
    return 0


def _shop_create(args: argparse.Namespace, settings: Settings) -> int:
    program = _program_file(args.program)

    async def work(db: Database) -> object:
        shop, secret = await loyalty.create_shop(db, args.org, args.name, program, utcnow())
        return {"shop_id": shop.id, "shop_secret": secret, "program": shop.program.as_dict()}

    return _with_db(settings, work)


def _shop_program(args: argparse.Namespace, settings: Settings) -> int:
    program = _program_file(args.program)

    async def work(db: Database) -> object:
        shop = await loyalty.set_program(db, args.org, args.shop, program)
        return {"shop_id": shop.id, "program": shop.program.as_dict()}

    return _with_db(settings, work)


def _certificate(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> object:
        shop = await loyalty.shop_by_id(db, args.shop)
        cert = await loyalty.issue_certificate(
            db, shop, _decimal(args.amount), utcnow(), code=args.code
        )
        return {"code": cert.code, "amount": str(cert.amount), "expires_at": cert.expires_at}

    return _with_db(settings, work)


def _promo_code(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> object:
        shop = await loyalty.shop_by_id(db, args.shop)
        promo_id = await loyalty.add_promo_code(
            db, shop, args.code, args.kind, _decimal(args.value), utcnow()
        )
        return {"id": promo_id, "code": args.code.upper()}

    return _with_db(settings, work)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from kassa.cli import protocol, workers

    serving.ensure_port_free(args.host, args.port)
    with serving.sqlite_served_once(settings.database_url):
        upgrade(settings.database_url)
        base_url = serving.browsable(args.host, args.port)
        seed = not args.no_demo and settings.demo
        created, tenancy = asyncio.run(_seed(settings, seed))
        if created:
            info = demo.DemoInfo().as_dict(base_url)
            print("Demo data created (these keys are public: demo only).", flush=True)
            print(json.dumps(info, indent=2, ensure_ascii=False), flush=True)
        for line in serving.banner(base_url, settings.database_url, tenancy):
            print(line, flush=True)
        options: dict[str, Any] = {
            "host": args.host,
            "port": args.port,
            "workers": args.workers,
            "log_level": settings.log_level,
            "log_config": logs.config(settings.log_format, settings.log_level.upper()),
            "access_log": settings.access_log,
            "proxy_headers": True,
            "forwarded_allow_ips": args.forwarded_allow_ips,
            # uvicorn kills a worker that does not answer its ping within this; its default
            # (5 s) is shorter than a worker's start on a busy machine: killed, restarted,
            # killed again, it never serves.
            "timeout_worker_healthcheck": WORKER_HEALTHCHECK_S,
            "http": protocol.PROTOCOL if settings.one_write else "auto",
        }
        with metrics_directory(args.workers):  # the workers' counters, added up by /metrics
            if args.workers > 1 and workers.REUSE_PORT:  # a socket of each worker's own
                workers.run(uvicorn.Config("kassa.asgi:app", **options))
            else:
                uvicorn.run("kassa.asgi:app", **options)
    return 0


WORKER_HEALTHCHECK_S = 60


async def _seed(settings: Settings, seed: bool = True) -> tuple[bool, str]:
    """Seed the demo on an empty database (if `seed`); whether it did, and demo.tenancy."""
    db = Database(settings.database_url, pool_size=2)
    try:
        created = seed and await demo.seed_if_empty(db, utcnow())
        return created, await demo.tenancy(db)
    finally:
        await db.dispose()


def _check(_args: argparse.Namespace, _settings: Settings) -> int:
    return check.run()  # main() calls check.run itself, before reading the settings


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def _worker(_args: argparse.Namespace, settings: Settings) -> int:
    from kassa.app.worker import run

    upgrade(settings.database_url)
    asyncio.run(run(settings))
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    created, _ = asyncio.run(_seed(settings))
    info = demo.DemoInfo().as_dict(args.base_url)
    info["created"] = created
    print(json.dumps(info, indent=2, ensure_ascii=False))
    return 0


def _org_create(args: argparse.Namespace, settings: Settings) -> int:
    fee = FeePolicy(_decimal(args.fee_percent), _decimal(args.fee_fixed))

    async def go() -> dict[str, object]:
        db = Database(settings.database_url, pool_size=2)
        try:
            issued = await tenants.open_organisation(
                db, args.name, fee, utcnow(), webhook_url=args.webhook_url
            )
            return {"org_id": issued.principal.org_id, "api_key": issued.key}
        finally:
            await db.dispose()

    upgrade(settings.database_url)
    print(json.dumps(asyncio.run(go()), indent=2))
    return 0


def _key_create(args: argparse.Namespace, settings: Settings) -> int:
    async def go() -> dict[str, object]:
        db = Database(settings.database_url, pool_size=2)
        try:
            if args.partner_name:
                issued = await tenants.open_partner(
                    db,
                    args.org,
                    args.partner_name,
                    utcnow(),
                    webhook_url=args.webhook_url,
                    label=args.label,
                )
            else:
                issued = await tenants.issue_key(
                    db, args.org, utcnow(), partner_id=args.partner, label=args.label
                )
            partner_id = issued.principal.partner_id
            return {"org_id": args.org, "partner_id": partner_id, "api_key": issued.key}
        finally:
            await db.dispose()

    upgrade(settings.database_url)
    print(json.dumps(asyncio.run(go()), indent=2))
    return 0


def _key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def go() -> bool:
        db = Database(settings.database_url, pool_size=2)
        try:
            return await tenants.revoke_key(db, args.key, utcnow())
        finally:
            await db.dispose()

    upgrade(settings.database_url)
    revoked = asyncio.run(go())
    print(json.dumps({"revoked": revoked}))
    return 0 if revoked else 1


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise SystemExit(f"not a number: {text}") from None
