"""How long the staff report takes on a large tracker store.

``python -m bench.report_speed`` writes about 1,000,000 synthetic events (about 50,000
conversations over 30 days, with misspelt unanswered questions and questions on unknown
fields) and 5,000 ratings to scratch SQLite databases, then times ``bot.report`` on them:
reading, grouping, plots and the HTML page. Target: under 60 s. Needs a built knowledge base
(``make kb``). ``--conversations N`` for a smaller run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bench.common import tracker_events as ev
from bot.kb.queries import KnowledgeBase
from bot.report.data import LOCAL_TIME, Period, collect
from bot.report.render import write_report
from bot.settings import load_settings
from bot.stores.feedback import Feedback, FeedbackBase
from bot.stores.privacy import masker

TARGET_SECONDS = 60.0
DAYS = 30
# (message, intent, topic of the answer)
ANSWERED = [
    ("c'est quoi le pass mobil agglo", "aide_velo", "aide_velo"),
    ("combien pour un vélo électrique", "demander_montant", "aide_velo"),
    ("quelles conditions pour l'aide vélo", "demander_conditions", "aide_velo"),
    ("aide pour un récupérateur d'eau", "aide_recuperateur_eau", "aide_recuperateur_eau"),
    ("montant de l'aide récupérateur", "demander_montant", "aide_recuperateur_eau"),
    ("permis de louer à Béthune", "permis_de_louer", "permis_de_louer"),
    ("quel délai pour le permis de louer", "demander_delai", "permis_de_louer"),
    ("quels papiers pour le permis de louer", "demander_pieces", "permis_de_louer"),
    ("la mutuelle pour tous c'est quoi", "mutuelle", "mutuelle"),
    ("comment s'inscrire à la mutuelle", "demander_demarche", "mutuelle"),
    ("jours de collecte des déchets", "dechets", "dechets"),
    ("prix de l'eau", "eau_potable", "eau_potable"),
    ("bonjour", "salutation", "salutation"),
    ("merci", "remerciement", "remerciement"),
]
UNANSWERED = [
    "horaires de la piscine",
    "combien coûte un passeport",
    "où refaire ma carte d'identité",
    "le prix du gazole aujourd'hui",
    "je cherche un logement social",
    "aide de la caf pour le loyer",
    "horaires de la médiathèque",
    "quand passe le bus 12",
    "inscription à la cantine",
    "quel temps fera-t-il demain",
    "rendez-vous pour un permis de construire",
    "déclarer une naissance",
    "trouver un médecin de garde",
    "la taxe foncière a augmenté",
    "stationnement gratuit le dimanche",
]


def _misspell(text: str, rng: random.Random) -> str:
    """A resident's spelling: case, accents, a dropped or doubled letter, punctuation."""
    if rng.random() < 0.3:
        text = text.translate(str.maketrans("éèêàùôç", "eeeauoc"))
    letters = list(text)
    for _ in range(rng.randint(0, 2)):
        index = rng.randrange(len(letters))
        if rng.random() < 0.5:
            del letters[index]
        else:
            letters.insert(index, letters[index])
    text = "".join(letters)
    if rng.random() < 0.2:
        text = text.upper()
    return text + rng.choice(["", " ?", "?", " !", "..."])


def _conversations(count: int, start: float, rng: random.Random) -> Iterator[dict[str, Any]]:
    span = DAYS * 86_400 - 3_600
    for number in range(count):
        sender = f"bench-{number:06d}"
        timestamp = start + rng.random() * span
        yield from ev.session_start(sender, timestamp)
        for turn in range(rng.randint(1, 4)):
            moment = timestamp + 30 * (turn + 1)
            if rng.random() < 0.15:
                question = _misspell(rng.choice(UNANSWERED), rng)
                topic = rng.choice(["incompris", "hors_sujet"])
                yield from ev.turn(sender, moment, question, "nlu_fallback", topic)
            else:
                text, intent, topic = rng.choice(ANSWERED)
                yield from ev.turn(sender, moment, _misspell(text, rng), intent, topic)


def _ratings(count: int, start: dt.datetime, rng: random.Random) -> list[dict[str, Any]]:
    topics = sorted({topic for _, _, topic in ANSWERED})
    rows = []
    for _ in range(count):
        down = rng.random() < 0.3
        rows.append(
            {
                "created_at": start + dt.timedelta(seconds=rng.random() * DAYS * 86_400),
                "rating": "down" if down else "up",
                "comment": "Pas assez précis, rappelez-moi au 06 12 34 56 78" if down and rng.random() < 0.3 else None,
                "topic": rng.choice(topics),
                "message": "question",
                "answer": "réponse",
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--ratings", type=int, default=5_000)
    args = parser.parse_args(argv)
    rng = random.Random(11)
    until = dt.date.today() - dt.timedelta(days=1)
    period = Period(until - dt.timedelta(days=DAYS - 1), until)
    start = dt.datetime.combine(period.since, dt.time(), LOCAL_TIME)
    settings = load_settings()
    kb = KnowledgeBase(settings.database_url)
    kb.check()
    with tempfile.TemporaryDirectory(prefix="report-speed-") as scratch:
        directory = Path(scratch)
        tracker_url = f"sqlite:///{directory / 'tracker.sqlite3'}"
        feedback_url = f"sqlite:///{directory / 'feedback.sqlite3'}"
        began = time.perf_counter()
        events = ev.write_events(tracker_url, _conversations(args.conversations, start.timestamp(), rng))
        engine = create_engine(feedback_url, future=True)
        FeedbackBase.metadata.create_all(engine)
        with engine.begin() as connection:
            utc_start = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
            connection.execute(Feedback.__table__.insert(), _ratings(args.ratings, utc_start, rng))
        engine.dispose()
        print(f"Wrote {events:,} events ({args.conversations:,} conversations) in {time.perf_counter() - began:.1f} s")

        began = time.perf_counter()
        data = collect(
            kb,
            period,
            tracker_url=tracker_url,
            feedback_url=feedback_url,
            mask_text=masker(settings.kb_dir).mask,
            console_url=settings.console_url,
        )
        read = time.perf_counter() - began
        write_report(data, directory / "report.html")
        elapsed = time.perf_counter() - began
        size = (directory / "report.html").stat().st_size
    print(
        f"Report on {events:,} events: {elapsed:.1f} s (reading and grouping {read:.1f} s, plots and page "
        f"{elapsed - read:.1f} s); {data.messages:,} messages, {len(data.unanswered.groups)} groups of "
        f"unanswered questions, page {size / 1024:.0f} KB. Target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if elapsed < TARGET_SECONDS else 'MISSED'}."
    )
    return 0 if elapsed < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
