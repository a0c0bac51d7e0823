"""``python -m ops.prod run|stop|env|compose-nginx``: the production profile (ops/prod/run.py).

``compose-nginx`` rewrites ops/compose/ and ops/k8s/base/nginx.conf (nginx's configuration for
compose.yml and Kubernetes) with the default limits; ``env`` creates ``.env`` with fresh secrets."""

from __future__ import annotations

import argparse
import sys

from bot.settings import SettingsError
from ops.prod.env_file import ENV_FILE, create_env_file, production_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.prod", description=__doc__)
    parser.add_argument("command", choices=("run", "stop", "env", "compose-nginx"))
    args = parser.parse_args(argv)
    if args.command == "compose-nginx":
        from ops.prod.render import compose_files, compose_settings

        for path, text in compose_files(compose_settings()).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"Written: {path}")
        return 0
    if args.command == "env" or (args.command == "run" and not ENV_FILE.exists()):
        if ENV_FILE.exists():
            print(f"{ENV_FILE} already exists.")
        else:
            create_env_file()
            print(f"Created {ENV_FILE} from .env.example with new random secrets (readable by its owner only).")
        if args.command == "env":
            return 0
    from ops.prod.run import run, stop  # imported here: only needed to run

    try:
        settings = production_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return run(settings) if args.command == "run" else stop(settings)


if __name__ == "__main__":
    raise SystemExit(main())
