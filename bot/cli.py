"""Command line: ``python -m bot kb build|check|show``, ``python -m bot commune TEXT``,
``python -m bot web``, ``python -m bot report``, ``python -m bot agents add|list|remove``,
``python -m bot purge [--older-than DAYS | --callback REF]``, ``python -m bot maintenance
on|off|status`` and ``python -m bot db upgrade|current``.

Errors go to stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.core.answers import agent_fiche, commune_answer, resident_answer
from bot.core.services import Services
from bot.kb.build import BuildReport, build
from bot.kb.content import AID_FIELDS, RESIDENT_CONFIDENCES, Content, ContentError, load_content
from bot.kb.freshness import ended_facts, overdue_headline_facts, overdue_imports, stale_facts
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.report.data import ReportError
from bot.settings import Settings, env_name, load_settings
from bot.stores.agents import ROLES

EXIT_ERROR = 2
# A check that ran and found something to fix (kb check --stale: an overdue headline fact).
EXIT_CHECK_FAILED = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError("a date YYYY-MM-DD") from error


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot", description="Agglo Assistant: knowledge base and commune tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    kb = commands.add_parser("kb", help="build, check or show the knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, parser_class=_Parser)
    kb_commands.add_parser("build", help="validate kb/ and write the database (AGGLO_DATABASE_URL, SQLite by default)")
    check = kb_commands.add_parser("check", help="lint kb/ and print, per topic, the fields that are still unknown")
    check.add_argument(
        "--stale",
        type=_days,
        metavar="DAYS",
        help="instead, list the facts whose source was verified more than DAYS ago, oldest first, and exit 1 "
        "if a resident-facing fact of a headline aid is older than --headline-max-age",
    )
    check.add_argument(
        "--headline-max-age",
        type=_days,
        metavar="DAYS",
        help=f"limit for the headline aids' resident-facing facts (default ${env_name('headline_max_age_days')} or 90)",
    )
    check.add_argument("--today", type=_date, help="the date to compare with, YYYY-MM-DD (default: today)")
    show = kb_commands.add_parser("show", help="print the answer for a topic")
    show.add_argument("topic", help="a topic slug of kb/topics.yml, e.g. permis_de_louer")
    show.add_argument("--agent", action="store_true", help="the complete agent fiche, unknowns included")
    show.add_argument("--commune", help="answer for this commune (free text)")
    commune = commands.add_parser("commune", help="resolve a commune and list the rules that apply to it")
    commune.add_argument("text", help='free text, e.g. "noeux les mines"')
    web = commands.add_parser("web", help="start the web front only: demo page, widget, agents' console")
    web.add_argument("--host", help="address to listen on (default $AGGLO_BIND_HOST or 127.0.0.1)")
    web.add_argument("--port", type=int, help="default $AGGLO_WEB_PORT or 8000")
    web.add_argument("--rasa-url", help="the Rasa server to talk to (default $AGGLO_RASA_URL or http://127.0.0.1:5005)")
    report = commands.add_parser(
        "report", help="write the HTML report: messages, topics, unanswered questions, unknown fields asked, feedback"
    )
    report.add_argument("--since", type=_date, help="first day, YYYY-MM-DD (default: 29 days before --until)")
    report.add_argument("--until", type=_date, help="last day included, YYYY-MM-DD (default: today)")
    report.add_argument("--out", help="the HTML file to write (default var/reports/report-SINCE-UNTIL.html)")
    report.add_argument(
        "--tracker-db",
        help="the tracker store's SQLAlchemy URL (default $AGGLO_TRACKER_DATABASE_URL, else var/tracker.sqlite3)",
    )
    report.add_argument(
        "--feedback-db",
        help="the feedback database's URL (default $AGGLO_FEEDBACK_DATABASE_URL or sqlite:///var/feedback.sqlite3)",
    )
    report.add_argument(
        "--console-url",
        help="the console's address, for the links (default $AGGLO_CONSOLE_URL or http://127.0.0.1:8000)",
    )
    report.add_argument("--plots-dir", help="also write each plot as a PNG file in this directory")
    db = commands.add_parser("db", help="database migrations (AGGLO_MIGRATION_DATABASE_URL, else AGGLO_DATABASE_URL)")
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_upgrade = db_commands.add_parser("upgrade", help="apply the migrations up to REVISION (default: the latest)")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_commands.add_parser("current", help="print the database's revision and the latest one")
    agents = commands.add_parser("agents", help="manage the console's agents (AGGLO_AGENTS_FILE, var/agents.yml)")
    agents_commands = agents.add_subparsers(dest="agents_command", required=True, parser_class=_Parser)
    add = agents_commands.add_parser("add", help="add an agent; the password is read twice from the terminal or stdin")
    add.add_argument("name", help="login name, e.g. marie.dupont")
    add.add_argument("--replace", action="store_true", help="change the password of an existing agent")
    add.add_argument(
        "--role",
        choices=ROLES,
        help="agent (reads the console, the default for a new account) or editor (may also change the content); "
        "with --replace, the role is kept unless given",
    )
    agents_commands.add_parser("list", help="list the agents and their roles")
    remove = agents_commands.add_parser("remove", help="remove an agent (their sessions end at once)")
    remove.add_argument("name")
    purge = commands.add_parser(
        "purge",
        help="delete stored conversations (tracker events), feedback and callback requests older than the retention",
    )
    purge_what = purge.add_mutually_exclusive_group()
    purge_what.add_argument(
        "--older-than",
        type=_days,
        metavar="DAYS",
        help="retention in days (default $AGGLO_RETENTION_DAYS, or 90)",
    )
    purge_what.add_argument(
        "--callback",
        metavar="REF",
        help="instead, delete the callback request REF (a resident's request), its notes and its conversation",
    )
    purge.add_argument("--batch-size", type=_positive, default=2000, help="rows deleted per transaction (default 2000)")
    maintenance = commands.add_parser(
        "maintenance",
        help="pause the residents' assistant (the widget shows the contact and the callback form) or resume it",
    )
    maintenance_commands = maintenance.add_subparsers(dest="maintenance_command", required=True, parser_class=_Parser)
    switch_on = maintenance_commands.add_parser("on", help="pause the assistant; the web fronts follow within seconds")
    switch_on.add_argument("--reason", required=True, help="why (recorded with who and when; not shown to residents)")
    switch_off = maintenance_commands.add_parser("off", help="resume the assistant")
    switch_off.add_argument("--reason", help="why (optional)")
    maintenance_commands.add_parser("status", help="the current state and the latest switches")
    return parser


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {value!r}") from None
    if days < 0:
        raise argparse.ArgumentTypeError("the number of days cannot be negative")
    return days


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {value!r}")
    return int(value)


def _purge(settings: Settings, older_than: int | None, batch_size: int) -> int:
    import sqlalchemy as sa

    from bot.stores import retention

    days = settings.retention_days if older_than is None else older_than
    databases = (
        ("tracker events", settings.tracker_database_url, "events", retention.purge_events),
        ("feedback", settings.feedback_database_url, "feedback", retention.purge_feedback),
        ("callback requests", settings.feedback_database_url, "callback_requests", retention.purge_callbacks),
    )
    failed = False
    for label, url, table, purge in databases:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        try:
            engine = retention.open_database(url, table)
        except retention.DatabaseMissing as error:
            if table == "callback_requests":  # no request made yet: a database from before callbacks
                print(f"{label}: none stored yet ({error})")
                continue
            print(f"error: {label}: {error}; nothing purged there", file=sys.stderr)
            failed = True
            continue
        except sa.exc.SQLAlchemyError as error:
            print(f"error: {label}: cannot open {shown}: {error}", file=sys.stderr)
            failed = True
            continue
        try:
            result = purge(engine, days, batch_size)
        except sa.exc.SQLAlchemyError as error:
            print(f"error: {label}: purge of {shown} failed: {error}", file=sys.stderr)
            failed = True
            continue
        finally:
            engine.dispose()
        print(
            f"{label}: {result.deleted} row(s) older than {days} day(s) deleted from {shown} "
            f"in {result.batches} batch(es) of at most {batch_size}"
        )
    return EXIT_ERROR if failed else 0


def _purge_callback(settings: Settings, reference: str) -> int:
    """A resident's request to erase their callback request: it, its notes, its conversation."""
    import sqlalchemy as sa

    from bot.stores import retention
    from bot.stores.callbacks import CallbackNotFound, CallbackStore
    from bot.stores.privacy import masker

    try:
        retention.open_database(settings.feedback_database_url, "callback_requests").dispose()
        deleted = CallbackStore(settings.feedback_database_url, masker(settings.kb_dir).mask).delete(reference)
    except (retention.DatabaseMissing, CallbackNotFound):
        print(f"error: no callback request {reference!r}; nothing deleted", file=sys.stderr)
        return EXIT_ERROR
    print(f"Callback request {deleted.reference} and its notes deleted.")
    if deleted.conversation is None:
        return 0
    try:
        engine = retention.open_database(settings.tracker_database_url, "events")
    except retention.DatabaseMissing as error:
        print(f"Its conversation: {error}; nothing more to delete.")
        return 0
    try:
        events = retention.purge_conversation(engine, deleted.conversation)
    except sa.exc.SQLAlchemyError as error:
        print(f"error: its conversation could not be deleted: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.dispose()
    print(f"Its conversation: {events} tracker event(s) deleted.")
    return 0


def _maintenance(settings: Settings, command: str, reason: str | None) -> int:
    from bot.stores.maintenance import COMMAND_LINE, MaintenanceState, MaintenanceStore

    store = MaintenanceStore(settings.sessions_database_url)

    def line(state: MaintenanceState) -> str:
        if state.switched_at is None:
            return "off (never switched)"
        words = f"{'on' if state.on else 'off'} since {state.switched_at:%Y-%m-%d %H:%M} UTC, by {state.switched_by}"
        return words + f" ({state.source})" + (f": {state.reason}" if state.reason else "")

    if command == "status":
        print(f"Maintenance: {line(store.read())}")
        history = store.history(limit=10)
        if history:
            print("Latest switches:")
            for state in history:
                print(f"  {line(state)}")
        return 0
    state = store.switch(command == "on", by=getpass.getuser(), source=COMMAND_LINE, reason=reason)
    print(f"Maintenance: {line(state)}. Every web front follows within a few seconds.")
    return 0


def _build(settings: Settings) -> int:
    from sqlalchemy.engine import make_url

    report = build(settings)
    where = make_url(report.database_url).render_as_string(hide_password=True)
    print(
        f"Knowledge base written to {where}: {report.topics} topics, {report.facts} facts, "
        f"{report.members} member communes ({report.communes} communes in all), {report.rules} commune rules."
    )
    _print_imports(report)
    return 0


def _print_imports(report: BuildReport) -> None:
    """Each imported dataset: the copy used and why, and what changed since the previous build."""
    for imported in report.imports:
        print(f"Imported {imported.title}: {imported.facts} facts from the {imported.origin}.")
        for note in imported.notes:
            print(f"  {note}")
        if imported.first:
            print("  First import into this database: nothing to compare.")
        elif not imported.changes:
            print("  Unchanged since the previous build.")
        else:
            print("  Changed since the previous build (old → new):")
            for change in imported.changes:
                print(f"    {change.key}: {change.old or '(none)'} → {change.new or '(none)'}")


def _check(settings: Settings) -> int:
    content = load_content(settings.kb_dir, settings.french_communes_file, settings.data_packages_dir)
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
    _check_imports(content, settings.headline_max_age_days, dt.date.today())
    return 0


def _check_imports(content: Content, limit: int, today: dt.date) -> bool:
    """List the imported datasets with their date of last update; warn (and return False) for
    those older than the headline limit."""
    if not content.imports:
        return True
    print("\nImported official data (docs/sources-officielles.md):")
    for dataset in content.imports:
        age = (today - dataset.last_update).days
        print(f"  {dataset.title} → {dataset.topic}: {dataset.origin} ({age} days ago)")
    overdue = overdue_imports(content.imports, max_age_days=limit, today=today)
    for item in overdue:
        print(
            f"warning: {item.title} ({item.topic}): the data was last updated on {item.last_update}, {item.age_days} "
            f"days before {today}, more than the headline limit of {limit} days: check the official page and "
            "upgrade the data package (docs/sources-officielles.md)",
            file=sys.stderr,
        )
    return not overdue


def _check_stale(settings: Settings, days: int, headline_max_age: int | None, today: dt.date | None) -> int:
    """``kb check --stale DAYS``: what to verify again, and whether a headline aid is overdue."""
    content = load_content(settings.kb_dir, settings.french_communes_file, settings.data_packages_dir)
    today = today or dt.date.today()
    limit = headline_max_age if headline_max_age is not None else settings.headline_max_age_days
    facts = list(content.facts.values())
    families = {slug: topic.family for slug, topic in content.topics.items()}
    stale = stale_facts(facts, families, older_than_days=days, today=today)
    print(f"Content is valid. {len(stale)} fact(s) verified more than {days} days before {today}, oldest first:\n")
    if stale:
        print(f"{'verified on':<11} {'days':>5}  {'topic':<24} {'fact':<36} shown to")
    for fact in stale:
        shown_to = "residents" if fact.for_residents else "agents only"
        print(f"{fact.verified_on}  {fact.age_days:>5}  {fact.topic:<24} {fact.fact_id:<36} {shown_to}")
    ended = ended_facts(facts, today=today)
    if ended:
        print("\nFacts whose period has ended (residents are told so and sent to the contact):")
        for item in ended:
            print(f"  {item.valid_until}  {item.topic:<24} {item.fact_id}")
    imports_fresh = _check_imports(content, limit, today)
    overdue = overdue_headline_facts(facts, families, max_age_days=limit, today=today)
    if not imports_fresh and not overdue:
        return EXIT_CHECK_FAILED
    if overdue:
        print(
            f"\nerror: {len(overdue)} resident-facing fact(s) of a headline aid verified more than {limit} days ago: "
            + ", ".join(fact.fact_id for fact in overdue),
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    print(f"\nEvery resident-facing fact of the headline aids was verified within {limit} days.")
    return 0


def _show(settings: Settings, slug: str, agent: bool, commune_text: str | None) -> int:
    services = Services(settings)
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


def _commune(settings: Settings, text: str) -> int:
    services = Services(settings)
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


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    # Imported here: matplotlib and the report's modules are only needed for a report.
    from bot.report import data as report_data
    from bot.report.render import write_report
    from bot.stores.privacy import masker

    until = args.until or dt.date.today()
    period = report_data.Period(since=args.since or until - dt.timedelta(days=29), until=until)
    out = Path(args.out or settings.var_dir / "reports" / f"report-{period.since}-{period.until}.html")
    services = Services(settings)
    data = report_data.collect(
        services.kb,
        period,
        tracker_url=args.tracker_db or settings.tracker_database_url,
        feedback_url=args.feedback_db or settings.feedback_database_url,
        mask_text=masker(settings.kb_dir).mask,
        console_url=args.console_url or settings.console_url,
    )
    write_report(data, out, plots_dir=Path(args.plots_dir) if args.plots_dir else None)
    print(
        f"Report written to {out}: {data.messages} messages in {data.conversations} conversations from "
        f"{period.since} to {period.until}, {data.not_understood + data.out_of_scope} unanswered, "
        f"{sum(ask.count for ask in data.unknown_fields)} questions on unknown fields."
    )
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


def _agents(settings: Settings, command: str, name: str | None, replace: bool, role: str | None) -> int:
    from bot.stores.agents import AgentError, AgentStore, normalise_name

    store = AgentStore(settings.agents_file)
    try:
        if command == "list":
            for agent, agent_role in store.roles().items():
                print(f"{agent}\t{agent_role}")
            return 0
        if name is None:  # argparse requires it for add and remove
            raise AgentError("an agent name is required")
        name = normalise_name(name)
        if command == "remove":
            store.remove(name)
            print(f"Agent {name!r} removed from {store.path}.")
            return 0
        store.add(name, _read_password(), replace=replace, role=role)
        print(f"Agent {name!r} ({store.role(name)}) {'updated' if replace else 'added'} in {store.path}.")
        return 0
    except ValueError as error:  # AgentError, or the two passwords differ
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


def _web(settings: Settings, host: str | None, port: int | None, rasa_url: str | None) -> int:
    from bot.web.app import run  # imported here: aiohttp is only needed to serve

    given = {"bind_host": host, "web_port": port, "rasa_url": rasa_url}
    settings = settings.copy(update={name: value for name, value in given.items() if value is not None})
    run(settings, Services(settings))
    return 0


def _db(settings: Settings, command: str, revision: str) -> int:
    from bot.stores import migrations

    url = settings.migration_database_url
    if command == "upgrade":
        migrations.upgrade(url, revision)
    print(f"Database revision: {migrations.current_revision(url) or 'none'} (latest: {migrations.head_revision()})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "kb":
            if args.kb_command == "build":
                return _build(settings)
            if args.kb_command == "check":
                if args.stale is not None:
                    return _check_stale(settings, args.stale, args.headline_max_age, args.today)
                return _check(settings)
            return _show(settings, args.topic, args.agent, args.commune)
        if args.command == "web":
            return _web(settings, args.host, args.port, args.rasa_url)
        if args.command == "purge":
            if args.callback is not None:
                return _purge_callback(settings, args.callback)
            return _purge(settings, args.older_than, args.batch_size)
        if args.command == "maintenance":
            return _maintenance(settings, args.maintenance_command, getattr(args, "reason", None))
        if args.command == "report":
            return _report(settings, args)
        if args.command == "db":
            return _db(settings, args.db_command, getattr(args, "revision", "head"))
        if args.command == "agents":
            return _agents(
                settings,
                args.agents_command,
                getattr(args, "name", None),
                getattr(args, "replace", False),
                getattr(args, "role", None),
            )
        return _commune(settings, args.text)
    except ContentError as error:
        print(f"error: invalid content, nothing was written ({len(error.problems)} problem(s)):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except KnowledgeBaseUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, ValueError, ReportError, SQLAlchemyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
