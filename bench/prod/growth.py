"""Growth: about a million events of synthetic past conversations inserted into PostgreSQL's
events table, to measure the latency on a full store against the empty one."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

FILL_SQL = """
INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)
SELECT 'synthetic-' || c,
       t.type_name,
       :start + c * 20 + e,
       CASE WHEN t.type_name = 'user' THEN 'demander_montant' END,
       CASE WHEN t.type_name = 'action' THEN t.action_name END,
       json_build_object('event', t.type_name, 'timestamp', :start + c * 20 + e,
                         'text', CASE WHEN t.type_name IN ('user', 'bot')
                                      THEN 'message de la conversation synthétique ' || c || ' ' || repeat('x', 200)
                                 END,
                         'name', t.action_name)::text
FROM generate_series(:first, :last) AS c,
     generate_series(1, :per) AS e,
     LATERAL (SELECT CASE WHEN e = 1 THEN 'action' WHEN e = 2 THEN 'session_started'
                          ELSE (ARRAY['action', 'user', 'action', 'bot'])[(e % 4) + 1] END AS type_name,
                     CASE WHEN e = 1 THEN 'action_session_start' WHEN e % 4 = 2 THEN 'action_listen'
                          ELSE 'action_aide_velo' END AS action_name) AS t
"""


def fill_events(owner_url: str, conversations: int, per_conversation: int = 20) -> dict[str, Any]:
    engine = sa.create_engine(owner_url, future=True)
    started = time.perf_counter()
    start_ts = time.time() - 400 * 86400
    batch = 5000
    with engine.connect() as connection:
        for first in range(1, conversations + 1, batch):
            last = min(first + batch - 1, conversations)
            with connection.begin():
                connection.execute(
                    sa.text(FILL_SQL), {"start": start_ts, "first": first, "last": last, "per": per_conversation}
                )
        connection.exec_driver_sql("ANALYZE events")
        connection.commit()
        total = connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
        indexes = connection.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")).scalars()
        index_names = sorted(indexes)
        plan = connection.execute(
            sa.text(
                "EXPLAIN SELECT max(timestamp) FROM events WHERE sender_id = 'synthetic-777' "
                "AND type_name = 'session_started'"
            )
        ).scalars()
        plan_lines = list(plan)
    engine.dispose()
    return {
        "conversations": conversations,
        "events_inserted": conversations * per_conversation,
        "events_in_table": total,
        "seconds": round(time.perf_counter() - started, 1),
        "indexes": index_names,
        "session_start_plan": plan_lines,
    }
