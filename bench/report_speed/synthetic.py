"""The synthetic month the report is timed on: conversations written as Rasa's tracker store
writes them, with misspelt unanswered questions among the answered ones, and ratings."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from bench.common import tracker_events as ev

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


def misspell(text: str, rng: random.Random) -> str:
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


def conversations(count: int, start: float, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Events of ``count`` conversations spread over DAYS days from ``start``; 15 % of the turns
    are unanswered questions."""
    span = DAYS * 86_400 - 3_600
    for number in range(count):
        sender = f"bench-{number:06d}"
        timestamp = start + rng.random() * span
        yield from ev.session_start(sender, timestamp)
        for turn in range(rng.randint(1, 4)):
            moment = timestamp + 30 * (turn + 1)
            if rng.random() < 0.15:
                question = misspell(rng.choice(UNANSWERED), rng)
                topic = rng.choice(["incompris", "hors_sujet"])
                yield from ev.turn(sender, moment, question, "nlu_fallback", topic)
            else:
                text, intent, topic = rng.choice(ANSWERED)
                yield from ev.turn(sender, moment, misspell(text, rng), intent, topic)


def ratings(count: int, start: dt.datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Rows of the feedback table: 30 % thumbs down, some with a comment to mask."""
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
