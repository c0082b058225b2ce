"""`framework db ...`: Alembic migrations for the app's database, configured from the app itself.

`framework db upgrade --app package.module:build_app` finds the database URL in the app's container (its
`Database`, else its `Settings`) and the tables in `framework.db.Model.metadata` (or --metadata), so
alembic.ini never holds a URL. Exit status 0 on success, 1 when a check fails or Alembic refuses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the `db` command and its sub-commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default="alembic.ini", help="Alembic configuration file (default: alembic.ini)")
    common.add_argument("--app", help="'package.module:build_app': the app whose settings give the database URL")
    common.add_argument("--metadata", help="'package.module:Model.metadata' (default: framework.db:Model.metadata)")
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db", help="manage the database schema", description="Create, apply and check Alembic migrations."
    )
    commands = parser.add_subparsers(title="database commands", dest="db_command", metavar="DB_COMMAND")
    commands.required = True

    init = commands.add_parser("init", parents=[common], help="create alembic.ini and the migrations directory")
    init.add_argument("directory", nargs="?", default="alembic", help="migrations directory (default: alembic)")
    init.set_defaults(handler=_init)
    upgrade = commands.add_parser("upgrade", parents=[common], help="apply migrations up to REVISION")
    upgrade.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    upgrade.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    upgrade.set_defaults(handler=_upgrade)
    downgrade = commands.add_parser("downgrade", parents=[common], help="revert migrations down to REVISION")
    downgrade.add_argument("revision", help="target revision: an id, -1, or base")
    downgrade.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    downgrade.set_defaults(handler=_downgrade)
    revision = commands.add_parser("revision", parents=[common], help="create a new migration file")
    revision.add_argument("-m", "--message", required=True, help="what the migration does")
    revision.add_argument("--autogenerate", action="store_true", help="fill it from the models' differences")
    revision.set_defaults(handler=_revision)
    current = commands.add_parser("current", parents=[common], help="show the database's revision")
    current.set_defaults(handler=_current)
    check = commands.add_parser("check", parents=[common], help="fail unless the models match the migrations")
    check.set_defaults(handler=_check)


def _config(args: argparse.Namespace) -> Any:
    """The Alembic Config with the URL and metadata resolved from --app/--metadata or alembic.ini."""
    from framework.db.migrations import database_url_of, load_application, load_metadata, make_config
    from framework.db.migrations.targets import APP_OPTION, METADATA_OPTION

    config = make_config(args.config)
    app_spec = args.app or config.get_main_option(APP_OPTION)
    app = load_application(app_spec) if app_spec else None
    metadata = load_metadata(args.metadata or config.get_main_option(METADATA_OPTION))
    return make_config(args.config, url=database_url_of(app), metadata=metadata)


def _run(args: argparse.Namespace, action: str, *positional: Any, **options: Any) -> int:
    from alembic import command
    from alembic.util import CommandError

    try:
        config = _config(args)
        getattr(command, action)(config, *positional, **options)
    except (CommandError, FileNotFoundError) as exc:
        print(f"framework db {args.db_command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    return _run(args, "upgrade", args.revision, sql=args.sql)


def _downgrade(args: argparse.Namespace) -> int:
    return _run(args, "downgrade", args.revision, sql=args.sql)


def _revision(args: argparse.Namespace) -> int:
    return _run(args, "revision", message=args.message, autogenerate=args.autogenerate)


def _current(args: argparse.Namespace) -> int:
    return _run(args, "current")


def _check(args: argparse.Namespace) -> int:
    """Exit 1 unless the database is at head and the models match it (i.e. the migrations build the models)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from framework.db.migrations import database_revisions, model_differences
    from framework.db.migrations.targets import METADATA_ATTRIBUTE, URL_ATTRIBUTE

    try:
        config = _config(args)
        heads = set(ScriptDirectory.from_config(config).get_heads())
    except (CommandError, FileNotFoundError) as exc:
        print(f"framework db check: {exc}", file=sys.stderr)
        return 1
    url, metadata = config.attributes[URL_ATTRIBUTE], config.attributes[METADATA_ATTRIBUTE]
    current = database_revisions(url, metadata)
    if current != heads:
        print(
            f"framework db check: the database is at {sorted(current) or 'no revision'}, the migrations' head is "
            f"{sorted(heads) or 'none'}. Run `framework db upgrade` first.",
            file=sys.stderr,
        )
        return 1
    differences = model_differences(url, metadata)
    if differences:
        listed = "\n".join(f"  {difference!r}" for difference in differences)
        print(
            "framework db check: the models and the migrations disagree. Create a migration with "
            f"`framework db revision --autogenerate -m '...'` and review it. Differences:\n{listed}",
            file=sys.stderr,
        )
        return 1
    print("Models and migrations agree; the database is at head.")
    return 0


def _init(args: argparse.Namespace) -> int:
    """Write alembic.ini (if missing), DIRECTORY/env.py, DIRECTORY/script.py.mako and DIRECTORY/versions/."""
    from framework.db.migrations.templates import ALEMBIC_INI, ENV_PY, SCRIPT_PY_MAKO

    directory = Path(args.directory)
    if (directory / "env.py").exists():
        print(f"framework db init: {directory / 'env.py'} exists; nothing written.", file=sys.stderr)
        return 1
    (directory / "versions").mkdir(parents=True, exist_ok=True)
    (directory / "env.py").write_text(ENV_PY, encoding="utf-8")
    (directory / "script.py.mako").write_text(SCRIPT_PY_MAKO, encoding="utf-8")
    config_path = Path(args.config)
    if not config_path.exists():
        app = args.app or "package.module:build_app"
        config_path.write_text(ALEMBIC_INI.format(script_location=directory.as_posix(), app=app), encoding="utf-8")
    print(f"Created {directory}/ (env.py, script.py.mako, versions/) and {config_path}.")
    return 0
