"""bench/turn_cost: the messages it times and the answering it times, as the actions answer."""

from __future__ import annotations

from bench.turn_cost.run import Parsed, answer_message, cpu_ms_each, eval_messages, summary
from bot.core.services import Services
from bot.core.turns import Nlu


def test_it_times_every_message_of_the_evaluation_sets() -> None:
    messages = eval_messages()
    assert len(messages) > 300
    assert "c'est qui le président de l'agglo en ce moment ?" in messages


def test_a_message_is_answered_as_the_actions_answer_it(services: Services) -> None:
    # The reading answers a question it reads; the topic's action answers a topic named alone;
    # small talk gets nothing from the knowledge base.
    asked = answer_message(services, Parsed("combien coûte un composteur de 800 L ?", Nlu(intent="dechets")))
    alone = answer_message(services, Parsed("le permis de louer", Nlu(intent="permis_de_louer")))
    small_talk = answer_message(services, Parsed("bonjour", Nlu(intent="salutation")))
    assert asked > 0 and alone > 0 and small_talk == 0


def test_cpu_time_is_measured_per_item_and_summarised() -> None:
    costs = cpu_ms_each(range(3), lambda n: sum(range(10_000 * (n + 1))))
    assert len(costs) == 3 and all(cost >= 0 for cost in costs)
    figures = summary([1.0, 2.0, 3.0, 10.0])
    assert figures["mean"] == 4.0 and figures["max"] == 10.0 and 2.0 < figures["p50"] < 3.0
