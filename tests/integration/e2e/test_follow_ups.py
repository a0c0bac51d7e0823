"""A conversation is a conversation: follow-ups without topic words, the commune stated earlier,
short replies to the assistant's question, buttons and switching topics, through the real servers."""

from __future__ import annotations

import pytest

from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import payload, say, text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]

BEUVRY = "62126"


def test_follow_ups_stay_on_the_current_topic(servers: Servers) -> None:
    sender = "follow-topic"
    assert payload(say(servers, sender, "c'est quoi le permis de louer ?"))["topic"] == "permis_de_louer"
    sanction = say(servers, sender, "et si je ne le fais pas ?")
    assert payload(sanction)["topic"] == "permis_de_louer"
    assert "15 000 €" in text(sanction)
    free = say(servers, sender, "c'est gratuit ?")
    assert payload(free)["topic"] == "permis_de_louer"
    assert "15 000 €" not in text(free), "the price question is not answered with the fine"
    delay = say(servers, sender, "ça prend combien de temps ?")
    assert payload(delay)["topic"] == "permis_de_louer"
    assert "1 mois" in text(delay)


def test_another_audience_stays_on_the_topic(servers: Servers) -> None:
    sender = "follow-audience"
    say(servers, sender, "parlez-moi de l'aide pour les récupérateurs d'eau de pluie")
    for question in ("il faut habiter où ?", "et pour une association ?", "et les communes, elles peuvent en avoir ?"):
        answer = say(servers, sender, question)
        assert payload(answer)["topic"] == "aide_recuperateur_eau", question
        assert "70 €" not in text(answer)


def test_the_commune_stated_earlier_applies_until_another_is_named(servers: Servers) -> None:
    sender = "follow-commune"
    say(servers, sender, "j'habite à Beuvry")
    agglo = say(servers, sender, "c'est dans l'agglo ?")
    assert payload(agglo)["commune"] == BEUVRY
    assert "Beuvry" in text(agglo) and "fait bien partie" in text(agglo)
    say(servers, sender, "et le permis de louer ?")
    concerned = say(servers, sender, "je suis concerné ?")
    assert (payload(concerned)["topic"], payload(concerned)["commune"]) == ("permis_de_louer", BEUVRY)
    assert "Beuvry fait partie des communes concernées" in text(concerned)
    other = say(servers, sender, "et à Gosnay ?")
    assert payload(other)["commune"] == "62377"


def test_short_replies_answer_the_assistants_question(servers: Servers) -> None:
    sender = "follow-replies"
    question = say(servers, sender, "je suis concerné ?")
    buttons = [button for message in question for button in message.get("buttons", [])]
    assert len(buttons) >= 2, "the assistant asks which scheme, with buttons"
    second = say(servers, sender, "la 2e")
    assert payload(second)["topic"] == buttons[1]["payload"].lstrip("/")
    no = say(servers, sender, "non merci")
    assert payload(no)["topic"] == payload(second)["topic"]


def test_a_quick_reply_carries_its_topic(servers: Servers) -> None:
    sender = "follow-buttons"
    answer = say(servers, sender, "c'est quoi la mutuelle pour tous ?")
    buttons = {button["title"]: button["payload"] for message in answer for button in message.get("buttons", [])}
    assert "Qui peut en bénéficier ?" in buttons
    say(servers, sender, "et l'aide au vélo ?")
    # The mutuelle's button still asks about the mutuelle, whatever the current topic.
    clicked = say(servers, sender, buttons["Qui peut en bénéficier ?"], trusted=True)
    assert payload(clicked)["topic"] == "mutuelle"


def test_switching_topics_and_coming_back(servers: Servers) -> None:
    sender = "follow-switch"
    assert payload(say(servers, sender, "c'est quoi la mutuelle pour tous ?"))["topic"] == "mutuelle"
    assert payload(say(servers, sender, "et l'aide au vélo ?"))["topic"] == "aide_velo"
    back = say(servers, sender, "revenons à la mutuelle, qui peut en bénéficier ?")
    assert payload(back)["topic"] == "mutuelle"
    assert payload(say(servers, sender, "et c'est combien ?"))["topic"] == "mutuelle"


def test_a_question_for_another_body_is_pointed_the_right_way(servers: Servers) -> None:
    answer = say(servers, "follow-orientation", "comment refaire mon passeport ?")
    assert payload(answer)["topic"] == "hors_sujet"
    assert "ANTS" in text(answer) and payload(answer)["sources"]
