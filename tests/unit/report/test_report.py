"""The staff report, from stored conversations and feedback with known counts."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.common import tracker_events as ev
from bot.core.services import Services
from bot.report.data import Period, ReportData, collect
from bot.report.grouping import group_questions
from bot.report.render import write_report
from bot.stores.feedback import FeedbackStore
from tests.conftest import mask
from tests.unit.test_cli import bot

CONSOLE_URL = "http://127.0.0.1:8000"

PARIS = ZoneInfo("Europe/Paris")
PERIOD = Period(dt.date(2026, 11, 2), dt.date(2026, 11, 4))
TODAY = dt.date(2026, 12, 1)
PHONE = "06 12 34 56 78"
EMAIL = "jeanne.martin@exemple.fr"


def at(day: int, hour: int, minute: int = 0) -> float:
    """A time in November 2026, Paris time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=PARIS).timestamp()


def conversation(sender: str, start: float, turns: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    rows = ev.session_start(sender, start)
    for index, (text, intent, topic) in enumerate(turns):
        rows += ev.turn(sender, start + 60 * (index + 1), text, intent, topic)
    return rows


def fixture_rows() -> list[dict[str, Any]]:
    rows = []
    # 2 November: 2 conversations, 5 messages.
    rows += conversation(
        "a",
        at(2, 9),
        [
            ("c'est quoi le pass mobil agglo", "aide_velo", "aide_velo"),
            ("combien on touche ?", "demander_montant", "aide_velo"),  # amount unknown
            ("horaires de la piscine ?", "nlu_fallback", "incompris"),
        ],
    )
    rows += conversation(
        "b",
        at(2, 23, 30),  # late evening in Paris, already 3 November in UTC
        [
            ("quel délai pour le permis de louer", "demander_delai", "permis_de_louer"),  # delay known
            ("Horaire piscine", "nlu_fallback", "incompris"),
        ],
    )
    # 3 November: 1 conversation, 4 messages; one answer without a payload before the real one.
    rows += ev.session_start("c", at(3, 10))
    rows += [ev.user("c", at(3, 10, 1), f"rappelez-moi au {PHONE}", "nlu_fallback")]
    rows += [ev.bot("c", at(3, 10, 1) + 0.01, "Je n'ai pas compris.", None)]
    rows += [ev.bot("c", at(3, 10, 1) + 0.02, "Pouvez-vous reformuler ?", "incompris")]
    rows += ev.turn("c", at(3, 10, 2), "combien coûte un passeport", "hors_sujet", "hors_sujet")
    rows += ev.turn("c", at(3, 10, 3), "combien coute un passport ?", "hors_sujet", "hors_sujet")
    rows += ev.turn("c", at(3, 10, 4), "le montant de l'aide vélo", "demander_montant", "aide_velo")
    # 4 November: 1 conversation, 2 messages.
    rows += conversation(
        "d",
        at(4, 15),
        [
            ("HORAIRES DE LA PISCINE", "hors_sujet", "hors_sujet"),
            ("pièces pour la mutuelle", "demander_pieces", "mutuelle"),  # documents unknown
        ],
    )
    # An agent's conversation in the console: not a resident's.
    rows += conversation("agent-marie", at(3, 11), [("fiche mutuelle", "mutuelle", "mutuelle")])
    # Outside the period: the day before and the day after.
    rows += conversation("e", at(1, 23, 50), [("horaires piscine", "nlu_fallback", "incompris")])
    rows += conversation("f", at(5, 0, 1), [("combien pour le vélo", "demander_montant", "aide_velo")])
    return rows


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    directory = tmp_path_factory.mktemp("report")
    tracker_url = f"sqlite:///{directory / 'tracker.sqlite3'}"
    ev.write_events(tracker_url, fixture_rows())
    feedback_url = f"sqlite:///{directory / 'feedback.sqlite3'}"
    store = FeedbackStore(feedback_url, mask)
    ratings = [
        ("up", "aide_velo", None),
        ("up", "aide_velo", None),
        ("up", "aide_velo", None),
        ("down", "aide_velo", f"Pas de montant ! écrivez-moi : {EMAIL}"),
        ("down", "permis_de_louer", None),
        ("up", "permis_de_louer", None),
    ]
    for rating, topic, comment in ratings:
        store.add(rating=rating, message="question", answer="réponse", topic=topic, comment=comment)
    return tracker_url, feedback_url


@pytest.fixture(scope="module")
def report(stored: tuple[str, str], services: Services) -> ReportData:
    tracker_url, feedback_url = stored
    return collect(
        services.kb,
        PERIOD,
        tracker_url=tracker_url,
        feedback_url=feedback_url,
        mask_text=mask,
        console_url=CONSOLE_URL,
        today=TODAY,
    )


def test_messages_and_conversations_per_day(report: ReportData) -> None:
    assert report.messages == 11 and report.conversations == 4
    assert report.messages_per_day == [5, 4, 2]
    assert report.conversations_per_day == [2, 1, 1]


def test_messages_per_topic(report: ReportData) -> None:
    counts = {topic.topic: (topic.messages, topic.conversations) for topic in report.topics}
    assert counts == {
        "aide_velo": (3, 2),
        "incompris": (3, 3),
        "hors_sujet": (3, 2),
        "permis_de_louer": (1, 1),
        "mutuelle": (1, 1),
    }
    assert report.topics[0].label == "Pass'Mobil'Agglo – aide à l'achat de vélo"
    assert (report.not_understood, report.out_of_scope) == (3, 3)


def test_similar_unanswered_questions_are_grouped_and_masked(report: ReportData) -> None:
    groups = [(group.count, group.spellings) for group in report.unanswered.groups]
    assert groups == [(3, 3), (2, 2), (1, 1)]
    piscine, passeport, phone = report.unanswered.groups
    assert {piscine.example, *piscine.others} == {
        "horaires de la piscine ?",
        "Horaire piscine",
        "HORAIRES DE LA PISCINE",
    }
    assert {passeport.example, *passeport.others} == {"combien coûte un passeport", "combien coute un passport ?"}
    assert PHONE not in phone.example and "[téléphone]" in phone.example


def test_questions_on_unknown_fields_per_topic_and_field(report: ReportData) -> None:
    asks = [(ask.topic, ask.field, ask.count) for ask in report.unknown_fields]
    assert asks == [("aide_velo", "amount", 2), ("mutuelle", "documents", 1)]
    assert report.unknown_fields[0].link == "http://127.0.0.1:8000/console/topic/aide_velo#field-amount"


def test_feedback_rates_and_masked_comments(stored: tuple[str, str], services: Services) -> None:
    tracker_url, feedback_url = stored
    today = dt.datetime.now(PARIS).date()  # the ratings were stored just now
    data = collect(
        services.kb,
        Period(PERIOD.since, today + dt.timedelta(days=1)),
        tracker_url=tracker_url,
        feedback_url=feedback_url,
        mask_text=mask,
        console_url=CONSOLE_URL,
        today=TODAY,
    )
    assert [(item.topic, item.up, item.down) for item in data.feedback] == [
        ("aide_velo", 3, 1),
        ("permis_de_louer", 1, 1),
    ]
    assert [comment.comment for comment in data.comments] == ["Pas de montant ! écrivez-moi : [e-mail]"]
    assert data.comments[0].day == today
    assert (
        collect(
            services.kb,
            PERIOD,
            tracker_url=tracker_url,
            feedback_url=feedback_url,
            mask_text=mask,
            console_url=CONSOLE_URL,
        ).feedback
        == []
    )


def test_the_page_is_self_contained_escaped_and_has_its_plots(report: ReportData, tmp_path: Path) -> None:
    out = tmp_path / "rapport.html"
    plots = write_report(report, out, plots_dir=tmp_path / "plots")
    page = out.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3 == len(plots)  # per day, per topic, unknown fields (no feedback in the period)
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    assert sorted(path.name for path in (tmp_path / "plots").iterdir()) == [
        "per_day.png",
        "per_topic.png",
        "unknown.png",
    ]
    assert "Questions restées sans réponse" in page and "Informations encore inconnues" in page
    assert 'href="http://127.0.0.1:8000/console/topic/aide_velo#field-amount"' in page
    assert "Pass&#39;Mobil&#39;Agglo" in page  # every value escaped
    assert "<link" not in page and "<script" not in page
    assert PHONE not in page and EMAIL not in page


def test_the_report_masks_with_the_tracker_stores_masking() -> None:
    # Conversations stored before masking existed are masked when the report reads them.
    assert mask(f"appelez le {PHONE} ou {EMAIL}") == "appelez le [téléphone] ou [e-mail]"


def test_grouping_keeps_different_questions_apart() -> None:
    stop_words = frozenset({"de", "la", "le", "un", "une"})
    grouping = group_questions(
        {"combien coûte un passeport": 2, "combien coûte une carte grise": 1, "horaires de la médiathèque": 1},
        stop_words,
    )
    assert [group.count for group in grouping.groups] == [2, 1, 1]
    limited = group_questions({"a b c": 3, "d e f": 2, "g h i": 1}, stop_words, limit=2)
    assert limited.ungrouped == 1 and len(limited.groups) == 2


def test_cli_writes_the_report(stored: tuple[str, str], kb_settings: Any, tmp_path: Path) -> None:
    tracker_url, feedback_url = stored
    out = tmp_path / "r.html"
    result = bot(
        "report",
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-04",
        "--out",
        str(out),
        "--tracker-db",
        tracker_url,
        "--feedback-db",
        feedback_url,
        env={"AGGLO_DATABASE_URL": kb_settings.database_url},
    )
    assert result.returncode == 0, result.stderr
    assert "11 messages in 4 conversations" in result.stdout and out.exists()
    missing = bot(
        "report",
        "--tracker-db",
        f"sqlite:///{tmp_path / 'none.sqlite3'}",
        env={"AGGLO_DATABASE_URL": kb_settings.database_url},
    )
    assert missing.returncode == 2 and "no tracker store" in missing.stderr
    backwards = bot(
        "report", "--since", "2026-11-05", "--until", "2026-11-01", env={"AGGLO_DATABASE_URL": kb_settings.database_url}
    )
    assert backwards.returncode == 2 and "after it ends" in backwards.stderr


def test_distress_and_emergencies_are_their_own_category_counted_never_listed(
    tmp_path: Path, services: Services
) -> None:
    suicide, violence = "jveux plus vivre, appelez moi au " + PHONE, "ça sent le gaz et mon mari me frappe"
    rows = ev.session_start("u1", at(3, 9))
    rows += [ev.user("u1", at(3, 9, 1), suicide, "hors_sujet")]
    rows += [ev.bot("u1", at(3, 9, 1) + 0.01, "3114", "urgence", {"emergency": ["suicide"]})]
    rows += ev.session_start("u2", at(3, 10))
    rows += [ev.user("u2", at(3, 10, 1), violence, "nlu_fallback")]
    rows += [ev.bot("u2", at(3, 10, 1) + 0.01, "3919", "urgence", {"emergency": ["violences_conjugales", "fuite_gaz"]})]
    rows += [ev.user("u2", at(3, 10, 2), "j'ai encore peur ce soir, il me frappe", "hors_sujet")]
    rows += [ev.bot("u2", at(3, 10, 2) + 0.01, "3919", "urgence", {"emergency": ["violences_conjugales"]})]
    rows += ev.turn("u3", at(3, 11), "bot de merde", "hors_sujet", "insulte")
    tracker_url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    ev.write_events(tracker_url, rows)
    data = collect(
        services.kb, PERIOD, tracker_url=tracker_url, feedback_url=None, mask_text=mask, console_url=CONSOLE_URL
    )
    assert [(item.kind, item.messages, item.conversations) for item in data.emergencies] == [
        ("violences_conjugales", 2, 1),
        ("fuite_gaz", 1, 1),
        ("suicide", 1, 1),
    ]
    assert data.emergencies[0].label == "Violences conjugales ou faites aux femmes"
    assert {topic.topic: topic.messages for topic in data.topics} == {"urgence": 3, "insulte": 1}
    assert data.unanswered.groups == [] and data.out_of_scope == 0
    out = tmp_path / "rapport.html"
    write_report(data, out)
    page = out.read_text(encoding="utf-8")
    assert "Urgences et détresse" in page and "Idées suicidaires" in page
    for written in ("vivre", "gaz et mon mari", "peur ce soir", "merde", PHONE):
        assert written not in page


def test_the_reasons_per_topic_and_per_fact_and_the_callbacks_are_counted_masked(
    services: Services, tmp_path: Path
) -> None:
    from bot.report.render import render_html
    from bot.stores.callbacks import CallbackStore

    tracker_url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    ev.write_events(tracker_url, [])
    feedback_url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    store = FeedbackStore(feedback_url, mask)
    for reason, facts in (
        ("inexact", ["pdl_cerfa", "pdl_principe"]),
        ("inexact", ["pdl_cerfa"]),
        ("pas_a_jour", ["pdl_cerfa"]),
        (None, ["velo_principe"]),
    ):
        topic = "aide_velo" if reason is None else "permis_de_louer"
        store.add(rating="down", message="q", answer="r", topic=topic, comment=None, reason=reason, facts=facts)
    store.add(rating="up", message="q", answer="r", topic="permis_de_louer", comment=None, facts=["pdl_cerfa"])
    callbacks = CallbackStore(feedback_url, mask)
    for topic in ("permis_de_louer", "permis_de_louer", None):
        callbacks.add(
            name="Marie Exemple",
            contact=PHONE,
            contact_kind="phone",
            commune_insee="62119",
            question=f"rappelez-moi au {PHONE}",
            topic=topic,
            conversation="web-x",
        )
    today = dt.datetime.now(PARIS).date()
    data = collect(
        services.kb,
        Period(today, today + dt.timedelta(days=1)),
        tracker_url=tracker_url,
        feedback_url=feedback_url,
        mask_text=mask,
        console_url=CONSOLE_URL,
    )
    # Columns: pas compris, incomplet, inexact, pas à jour, autre, none given.
    assert [(row.key, row.counts) for row in data.reasons_by_topic] == [
        ("permis_de_louer", (0, 0, 2, 1, 0, 0)),
        ("aide_velo", (0, 0, 0, 0, 0, 1)),
    ]
    assert [(row.key, row.total) for row in data.reasons_by_fact] == [
        ("pdl_cerfa", 3),
        ("pdl_principe", 1),
        ("velo_principe", 1),
    ]
    assert [(row.label, row.counts) for row in data.callbacks] == [("Permis de louer", (2, 0, 0)), ("–", (1, 0, 0))]
    page = render_html(data, {})
    assert "Avis 👎 par sujet et par motif" in page and "pas à jour" in page and "Demandes de rappel" in page
    assert "Marie" not in page and PHONE not in page
