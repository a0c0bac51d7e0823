"""Work done once per turn: a matcher asked the same question twice in one turn answers from
memory the second time.

Composing one answer reads the same message many times over: the commune in it is looked for
by the people check, the turn's plan, the commune in context, "only a commune?" and the answer
itself, each a full pass of fuzzy matching. Inside :func:`one_turn` (the action server opens
one per action call), the methods marked :func:`per_turn` remember their results for the
turn's length only: nothing outlives the turn, so nothing is kept across conversations or
across a new knowledge-base snapshot, and outside a turn they compute as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

_Method = TypeVar("_Method", bound=Callable[..., Any])
_TURN: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("agglo_turn_memo", default=None)


@contextmanager
def one_turn() -> Iterator[None]:
    """A turn: the results of :func:`per_turn` methods are remembered until it ends."""
    token = _TURN.set({})
    try:
        yield
    finally:
        _TURN.reset(token)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def per_turn(method: _Method) -> _Method:
    """Remember ``method``'s result per object and arguments for the current turn. For pure
    methods of long-lived objects (matchers) whose arguments are strings, tuples, frozensets
    or lists of strings; a list result is handed out as a copy, so a caller may change it."""

    @functools.wraps(method)
    def remembered(self: Any, *args: Any) -> Any:
        memo = _TURN.get()
        if memo is None:
            return method(self, *args)
        key = (method.__qualname__, self, *map(_hashable, args))
        if key not in memo:
            memo[key] = method(self, *args)
        result = memo[key]
        return list(result) if isinstance(result, list) else result

    return remembered  # type: ignore[return-value]
