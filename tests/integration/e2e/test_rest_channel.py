"""End to end: the real action server and Rasa server, spoken to through the REST channel."""

from __future__ import annotations

import os
import re
import signal

import pytest

from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import payload, say, text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]


def test_the_four_headline_questions(servers: Servers) -> None:
    bike = say(servers, "e2e-1", "je voudrais une aide pour acheter un vélo électrique")
    assert payload(bike)["topic"] == "aide_velo"
    # The e-bike's amount from Mes Aides Vélo, not the list of every bike's amount.
    assert "300 €" in text(bike) and not re.search(r"\b(70|200|500) €", text(bike))
    assert "03 21 61 50 00" in text(bike)

    form = say(servers, "e2e-2", "quel formulaire pour le permis de louer ?")
    assert payload(form)["topic"] == "permis_de_louer"
    assert "15652*01" in text(form)

    vermelles = say(servers, "e2e-3", "mon appart à Vermelles est concerné par le permis de louer ?")
    assert (payload(vermelles)["topic"], payload(vermelles)["commune"]) == ("permis_de_louer", "62846")
    assert "Vermelles fait partie des communes concernées" in text(vermelles)

    mutuelle = say(servers, "e2e-4", "c'est quoi la mutuelle pour tous")
    assert payload(mutuelle)["topic"] == "mutuelle"
    for answer in (bike, form, vermelles, mutuelle):
        sources = payload(answer)["sources"]
        assert sources and all({"title", "url", "verified_on"} <= set(source) for source in sources)


def test_context_carries_over(servers: Servers) -> None:
    say(servers, "e2e-ctx", "le permis de louer s'applique à Béthune ?")
    gosnay = say(servers, "e2e-ctx", "et à Gosnay ?")
    assert payload(gosnay)["commune"] == "62377"
    assert "Gosnay ne figure pas dans la liste" in text(gosnay)

    say(servers, "e2e-ctx2", "parle-moi du permis de louer")
    delay = say(servers, "e2e-ctx2", "quel est le délai ?")
    assert payload(delay)["topic"] == "permis_de_louer"
    assert "1 mois" in text(delay)


def test_out_of_scope_is_not_forced_onto_an_aid(servers: Servers) -> None:
    weather = say(servers, "e2e-oos", "quel temps fera-t-il demain ?")
    assert payload(weather)["topic"] == "hors_sujet"


def test_conversations_persist_in_the_tracker_store(servers: Servers) -> None:
    say(servers, "e2e-store", "bonjour")
    assert (servers.config.var_dir / "tracker.sqlite3").stat().st_size > 0


# Runs last in this module: it stops the action server.
def test_action_server_down_gives_an_apology_not_silence(servers: Servers) -> None:
    actions = servers.processes[0]
    os.killpg(actions.pid, signal.SIGTERM)
    actions.wait(timeout=30)
    reply = say(servers, "e2e-down", "c'est quoi la mutuelle pour tous")
    assert "Désolé" in text(reply) and "03 21 61 50 00" in text(reply)
    assert payload(reply)["topic"] == "contact"
