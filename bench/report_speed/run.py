"""The staff report timed on the synthetic month: writing it to scratch SQLite databases, then
``bot.report`` reading, grouping, plotting and writing the HTML page."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from bench.common import tracker_events as ev
from bench.report_speed.synthetic import DAYS, conversations, ratings
from bot.kb.queries import KnowledgeBase
from bot.report.data import LOCAL_TIME, Period, collect
from bot.report.render import write_report
from bot.settings import Settings
from bot.stores.feedback import Feedback, FeedbackBase
from bot.stores.privacy import masker

TARGET_SECONDS = 60.0


def time_report(settings: Settings, conversation_count: int, rating_count: int) -> int:
    """Print how long the report took; 0 if within the target, else 1."""
    rng = random.Random(11)
    until = dt.date.today() - dt.timedelta(days=1)
    period = Period(until - dt.timedelta(days=DAYS - 1), until)
    start = dt.datetime.combine(period.since, dt.time(), LOCAL_TIME)
    kb = KnowledgeBase(settings.database_url)
    kb.check()
    with tempfile.TemporaryDirectory(prefix="report-speed-") as scratch:
        directory = Path(scratch)
        tracker_url = f"sqlite:///{directory / 'tracker.sqlite3'}"
        feedback_url = f"sqlite:///{directory / 'feedback.sqlite3'}"
        began = time.perf_counter()
        events = ev.write_events(tracker_url, conversations(conversation_count, start.timestamp(), rng))
        engine = create_engine(feedback_url, future=True)
        FeedbackBase.metadata.create_all(engine)
        with engine.begin() as connection:
            utc_start = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
            connection.execute(Feedback.__table__.insert(), ratings(rating_count, utc_start, rng))
        engine.dispose()
        print(f"Wrote {events:,} events ({conversation_count:,} conversations) in {time.perf_counter() - began:.1f} s")

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
