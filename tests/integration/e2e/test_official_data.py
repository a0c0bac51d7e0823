"""What residents ask most, answered from official data, through the real servers (Rasa's REST
channel and the action server): each answer is on the right topic, gives the sourced fact with
its date or period, and ends with its source and the day it was verified."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.core.services import Services
from bot.settings import load_settings
from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import payload, say, text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]

# The question, its topic, the fact that must answer it first, and what the text must say.
CASES = [
    ("combien pour un vélo électrique ?", "aide_velo", "velo_mav_montant_electrique", ["300 €", "sessions 2026"]),
    (
        "la déchetterie est ouverte le dimanche ?",
        "dechets",
        "dechets_dechetteries_horaires",
        ["dimanches et jours fériés de 9 h 20 à 12 h", "guide du tri de l'Agglo, 2023"],
    ),
    ("le bus est gratuit ?", "mobilite", "mobilite_tadao_gratuit_2026", ["entièrement gratuit", "1er janvier 2026"]),
    (
        "qui appeler pour le permis de louer ?",
        "permis_de_louer",
        "pdl_contact_service_habitat",
        ["03 21 61 50 05", "permisdelouer@bethunebruay.fr", "plaquette de l'Agglo, 2020"],
    ),
]
_SOURCE_LINE = re.compile(r"^Sources? : .+, vérifié le \d{2}/\d{2}/\d{4}")


@pytest.mark.parametrize(("question", "topic", "first_fact", "needles"), CASES, ids=[case[1] for case in CASES])
def test_the_question_gets_a_sourced_dated_answer(
    servers: Servers, question: str, topic: str, first_fact: str, needles: list[str]
) -> None:
    messages = say(servers, f"official-{topic}", question)
    answer, data = text(messages), payload(messages)
    assert data["topic"] == topic, (question, answer)
    assert data["facts"] and data["facts"][0] == first_fact, (question, data["facts"], answer)
    for needle in needles:
        assert needle in answer, (question, needle, answer)
    assert _SOURCE_LINE.match(answer.splitlines()[-1]), answer
    assert data["sources"] and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", s["verified_on"]) for s in data["sources"])


def test_the_bike_aid_is_never_presented_as_open_once_its_last_session_ended(servers: Servers) -> None:
    """Mes Aides Vélo's 2026 sessions ended on 6 November 2026: from then on the answer says so
    first, gives the amount as past, the Agglo's page and the switchboard."""
    kb = Services(load_settings()).kb
    sessions = [fact for fact in kb.topic("aide_velo").facts if fact.id.startswith("velo_mav_session_")]
    last_end = max(fact.valid_until for fact in sessions if fact.valid_until is not None)
    messages = say(servers, "official-velo-ended", "pour un vélo cargo c'est combien l'aide ?")
    answer = text(messages)
    assert payload(messages)["topic"] == "aide_velo"
    assert "500 €" in answer and "Mes Aides Vélo, vérifié le 14/04/2026" in answer
    if dt.date.today() > last_end:
        assert answer.startswith("Attention : la dernière période connue"), answer
        assert f"Période terminée le {last_end:%d/%m/%Y}" in answer
        assert "bethunebruay.fr/fr/passmobilagglo" in answer and "03 21 61 50 00" in answer
    for wording in ("est ouverte", "toujours ouverte", "en cours jusqu"):
        assert wording not in answer
