"""Rasa's Redis lock store, releasing a conversation's lock in two Redis commands instead of four.

Rasa 3.6's ``LockStore.cleanup``, run at the end of every message, reads the lock, writes it back
without the finished ticket, reads it again to see whether anyone else waits, then deletes it if
no one does: four round trips to Redis, each a blocking call in Rasa's event loop. This store
reads it once, then either writes it back without the ticket (someone waits) or deletes it (no
one does): the same outcome, with less time between the read and the write for another process
to slip in.

Taking the lock, Rasa's ``LockStore.lock`` reads the lock, writes it back with a new ticket, then
reads it once more to see whether the ticket is served. Nothing runs in between (no ``await``):
the second read finds the lock just written, unless another Rasa process wrote the same
conversation's lock in those microseconds: the web fronts send a conversation to one Rasa
instance (bot/web/routing.py), and Rasa's read-then-write tickets never made that window safe
anyway (two processes may both find no lock, or one delete the other's). This store decides
from the lock it has just written: a ticket served at once costs no third round trip; a ticket
behind others (a message sent again to another instance while the first still runs) waits as
Rasa's does, reading the lock every ``wait_time_in_seconds``. Five Redis commands per message
become four. Everything else (tickets, waiting, lifetimes, keys) is
Rasa's ``RedisLockStore``.

Used from ops/endpoints.prod.yml::

    lock_store:
      type: channels.lock_store.AggloRedisLockStore
      url: ...
      port: ...

Rasa builds a lock store named by its class with ``endpoint_config`` alone; the settings are
those of Rasa's ``type: redis``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore, TicketLock
from rasa.utils.endpoints import EndpointConfig


class AggloRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ``lock`` does not read back the lock it has just written and whose
    ``cleanup`` reads the lock once."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ``LockStore.lock``, deciding whether the ticket is served from the lock written."""
        try:
            lock = self.get_or_create_lock(conversation_id)
            ticket = lock.issue_ticket(lock_lifetime)
            self.save_lock(lock)
        except Exception as error:
            # As Rasa's ``issue_ticket``.
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            if lock.is_locked(ticket):
                yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
            else:
                yield lock
        finally:
            self.cleanup(conversation_id, ticket)

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
