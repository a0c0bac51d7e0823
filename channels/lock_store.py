"""Rasa's Redis lock store, releasing a conversation's lock in two Redis commands instead of four.

Rasa 3.6's ``LockStore.cleanup``, run at the end of every message, reads the lock, writes it back
without the finished ticket, reads it again to see whether anyone else waits, then deletes it if
no one does: four round trips to Redis, each a blocking call in Rasa's event loop. This store
reads it once, then either writes it back without the ticket (someone waits) or deletes it (no
one does): the same outcome, with less time between the read and the write for another process
to slip in. Everything else (tickets, waiting, lifetimes, keys) is Rasa's ``RedisLockStore``.

Used from ops/endpoints.prod.yml::

    lock_store:
      type: channels.lock_store.AggloRedisLockStore
      url: ...
      port: ...

Rasa builds a lock store named by its class with ``endpoint_config`` alone; the settings are
those of Rasa's ``type: redis``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig


class AggloRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ``cleanup`` reads the lock once."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; delete the lock if no one else is waiting, else save it."""
        lock = self.get_lock(conversation_id)
        if lock is None:
            return
        lock.remove_ticket_for(ticket_number)
        if lock.is_someone_waiting():
            self.save_lock(lock)
        else:
            self.delete_lock(conversation_id)
