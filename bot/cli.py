"""Command line: ``python -m bot kb build|check|show``, ``python -m bot commune TEXT``,
``python -m bot serve|web``, ``python -m bot agents add|list|remove`` and
``python -m bot db upgrade|current``.

Errors go to stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from bot.answers import agent_fiche, commune_answer, resident_answer
from bot.kb.build import build
from bot.kb.content import AID_FIELDS, RESIDENT_CONFIDENCES, ContentError, load_content
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.services import Services
from bot.settings import load_settings

EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot", description="Agglo Assistant: knowledge base and commune tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    kb = commands.add_parser("kb", help="build, check or show the knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, parser_class=_Parser)
    kb_commands.add_parser("build", help="validate kb/ and write the database (DATABASE_URL, SQLite by default)")
    kb_commands.add_parser("check", help="lint kb/ and print, per topic, the fields that are still unknown")
    show = kb_commands.add_parser("show", help="print the answer for a topic")
    show.add_argument("topic", help="a topic slug of kb/topics.yml, e.g. permis_de_louer")
    show.add_argument("--agent", action="store_true", help="the complete agent fiche, unknowns included")
    show.add_argument("--commune", help="answer for this commune (free text)")
    commune = commands.add_parser("commune", help="resolve a commune and list the rules that apply to it")
    commune.add_argument("text", help='free text, e.g. "noeux les mines"')
    serve = commands.add_parser("serve", help="start the action server and the Rasa server (make run)")
    serve.add_argument("--shell", action="store_true", help="chat in the terminal instead (make shell)")
    web = commands.add_parser("web", help="start the web front only: demo page, widget, agents' console")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument(
        "--port", type=int, default=int(os.environ.get("WEB_PORT", "8000")), help="default $WEB_PORT or 8000"
    )
    web.add_argument(
        "--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"), help="the Rasa server to talk to"
    )
    db = commands.add_parser("db", help="database migrations (AGGLO_MIGRATION_DATABASE_URL, else DATABASE_URL)")
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_upgrade = db_commands.add_parser("upgrade", help="apply the migrations up to REVISION (default: the latest)")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_commands.add_parser("current", help="print the database's revision and the latest one")
    agents = commands.add_parser("agents", help="manage the console's agents (AGGLO_AGENTS_FILE, var/agents.yml)")
    agents_commands = agents.add_subparsers(dest="agents_command", required=True, parser_class=_Parser)
    add = agents_commands.add_parser("add", help="add an agent; the password is read twice from the terminal or stdin")
    add.add_argument("name", help="login name, e.g. marie.dupont")
    add.add_argument("--replace", action="store_true", help="change the password of an existing agent")
    agents_commands.add_parser("list", help="list the agents")
    remove = agents_commands.add_parser("remove", help="remove an agent (their sessions end at once)")
    remove.add_argument("name")
    return parser


def _build() -> int:
    from sqlalchemy.engine import make_url

    report = build(load_settings())
    where = make_url(report.database_url).render_as_string(hide_password=True)
    print(
        f"Knowledge base written to {where}: {report.topics} topics, {report.facts} facts, "
        f"{report.members} member communes ({report.communes} communes in all), {report.rules} commune rules."
    )
    return 0


def _check() -> int:
    settings = load_settings()
    content = load_content(settings.kb_dir, settings.french_communes_file)
    print("Content is valid.\n")
    print(f"{'topic':<24} {'facts':>5} {'low':>4}  unknown fields")
    for topic in content.topics.values():
        if topic.family == "conversation":
            continue
        low = sum(1 for fact in topic.facts if fact.confidence not in RESIDENT_CONFIDENCES)
        unknown = sorted({entry.field for entry in topic.unknowns})
        if topic.family == "headline_aid":
            verified = {fact.field for fact in topic.facts if fact.confidence in RESIDENT_CONFIDENCES}
            unknown = sorted(set(unknown) | {name for name in AID_FIELDS if name not in verified})
        print(f"{topic.slug:<24} {len(topic.facts):>5} {low:>4}  {', '.join(unknown) or '-'}")
    conversation = [topic.slug for topic in content.topics.values() if topic.family == "conversation"]
    print(f"\nConversation topics (answered from domain.yml): {', '.join(conversation)}")
    if not settings.french_communes_file.exists():
        print(f"\nWarning: {settings.french_communes_file} is missing: non-member communes will not be recognised.")
    return 0


def _show(slug: str, agent: bool, commune_text: str | None) -> int:
    services = Services(load_settings())
    if services.kb.topic(slug) is None:
        known = ", ".join(topic.slug for topic in services.kb.topics())
        print(f"error: unknown topic {slug!r}. Known topics: {known}", file=sys.stderr)
        return EXIT_ERROR
    insee = None
    if commune_text:
        match = services.communes.find(commune_text)
        if match is None or match.commune is None:
            print(f"error: no commune recognised in {commune_text!r}", file=sys.stderr)
            return EXIT_ERROR
        insee = match.commune.insee
    answer = (
        agent_fiche(services.kb, slug, commune_insee=insee)
        if agent
        else resident_answer(services.kb, slug, commune_insee=insee)
    )
    print(answer.text)
    return 0


def _commune(text: str) -> int:
    services = Services(load_settings())
    match = services.communes.find(text)
    if match is None:
        print(f"error: no commune recognised in {text!r}", file=sys.stderr)
        return EXIT_ERROR
    if match.commune is None:
        names = ", ".join(f"{c.name} ({c.insee})" for c in match.candidates)
        print(f"error: {text!r} is ambiguous: {names}", file=sys.stderr)
        return EXIT_ERROR
    commune = match.commune
    status = "membre de l'Agglo" if commune.is_member else "hors Agglo"
    postal_code = commune.postal_code or "?"
    print(f"{commune.name} – INSEE {commune.insee}, code postal {postal_code} – {status} (reconnu : {match.method})")
    print()
    print(commune_answer(services.kb, commune.insee).text)
    return 0


def _read_password() -> str:
    """Twice from the terminal, hidden; or the first two lines of stdin (scripts)."""
    if sys.stdin.isatty():
        first, second = getpass.getpass("Password: "), getpass.getpass("Password (again): ")
    else:
        lines = [*sys.stdin.read().splitlines(), "", ""]
        first, second = lines[0], lines[1]
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def _agents(command: str, name: str | None, replace: bool) -> int:
    from bot.web.agents import AgentError, AgentStore, normalise_name
    from bot.web.settings import load_web_settings

    store = AgentStore(load_web_settings().agents_file)
    try:
        if command == "list":
            for agent in store.names():
                print(agent)
            return 0
        if name is None:  # argparse requires it for add and remove
            raise AgentError("an agent name is required")
        name = normalise_name(name)
        if command == "remove":
            store.remove(name)
            print(f"Agent {name!r} removed from {store.path}.")
            return 0
        store.add(name, _read_password(), replace=replace)
        print(f"Agent {name!r} {'updated' if replace else 'added'} in {store.path}.")
        return 0
    except ValueError as error:  # AgentError, or the two passwords differ
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


def _web(host: str, port: int, rasa_url: str) -> int:
    from bot.web.app import run  # imported here: aiohttp is only needed to serve
    from bot.web.settings import load_web_settings

    run(load_web_settings(host=host, port=port, rasa_url=rasa_url), Services(load_settings()))
    return 0


def _db(command: str, revision: str) -> int:
    from bot import db  # imported here: Alembic is only needed to migrate

    url = db.migration_database_url()
    if command == "upgrade":
        db.upgrade(url, revision)
    print(f"Database revision: {db.current_revision(url) or 'none'} (latest: {db.head_revision()})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "kb":
            if args.kb_command == "build":
                return _build()
            if args.kb_command == "check":
                return _check()
            return _show(args.topic, args.agent, args.commune)
        if args.command == "serve":
            from bot.serve import serve  # imported here: it is only needed to run the servers

            return serve(shell=args.shell)
        if args.command == "web":
            return _web(args.host, args.port, args.rasa_url)
        if args.command == "db":
            return _db(args.db_command, getattr(args, "revision", "head"))
        if args.command == "agents":
            return _agents(args.agents_command, getattr(args, "name", None), getattr(args, "replace", False))
        return _commune(args.text)
    except ContentError as error:
        print(f"error: invalid content, nothing was written ({len(error.problems)} problem(s)):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except KnowledgeBaseUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
