"""Masking of personal data in the residents' own words before the report shows them.

A stand-in for ``bot.privacy.mask`` (the production work's masking of the tracker store):
once that lands, :func:`mask_personal_data` can call it instead, nothing else changes.
"""

from __future__ import annotations

import re

MASK = "•••"
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0033612345678) and any
# other run of 9 or more digits, separators allowed (another country's phone, a social
# security or bank account number).
_PHONE = re.compile(r"(?:(?:\+|00)\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?|\b0)[1-9](?:[\s.\-]?\d{2}){4}\b")
_LONG_NUMBER = re.compile(r"\d(?:[\s.\-]?\d){8,}")


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers (and other long numbers) replaced."""
    text = _EMAIL.sub(MASK, text)
    text = _PHONE.sub(MASK, text)
    return _LONG_NUMBER.sub(MASK, text)
