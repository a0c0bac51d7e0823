"""The linear intent classifier on hand-made sentence features: training, saving, loading,
and the single-message scoring path against the training arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.linear_intent_classifier import LinearIntentClassifier, _LinearModel

WORDS = 6
CHARS = 8


def message(words: list[int], chars: list[int], intent: str | None = None) -> Message:
    """A message whose word and character-n-gram featurizers counted these column indices."""
    result = Message(data={TEXT: "x", **({INTENT: intent} if intent else {})})
    for origin, columns, width in (("words", words, WORDS), ("chars", chars, CHARS)):
        counts = scipy.sparse.coo_matrix(
            (np.ones(len(columns)), (np.zeros(len(columns), dtype=int), np.array(columns, dtype=int))),
            shape=(1, width),
        )
        result.add_features(Features(counts, "sentence", TEXT, origin))
    return result


TRAINING = [
    message([0, 1], [0, 1, 2], "aide_velo"),
    message([0, 2], [0, 1], "aide_velo"),
    message([1, 0, 0], [2, 3], "aide_velo"),
    message([3, 4], [4, 5], "hors_sujet"),
    message([4], [5, 6, 6], "hors_sujet"),
    message([3, 5], [6, 7], "hors_sujet"),
]


def trained(tmp_path: Path, **config: object) -> tuple[LinearIntentClassifier, LocalModelStorage, Resource]:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear_intent_classifier")
    classifier = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), **config}, storage, resource, None
    )
    classifier.train(TrainingData(TRAINING))
    return classifier, storage, resource


def test_single_message_scores_equal_the_training_arithmetic() -> None:
    origins, idf = _LinearModel.idf_of(TRAINING)
    rng = np.random.default_rng(2032)
    model = _LinearModel(
        origins=origins,
        idf=idf,
        classes=["a", "b", "c"],
        coef=rng.normal(size=(3, WORDS + CHARS)),
        intercept=rng.normal(size=3),
    )
    for example in [*TRAINING, message([2, 2, 5], [1, 7])]:
        expected = np.asarray(_LinearModel.features([example], origins, idf) @ model.coef.T).ravel() + model.intercept
        np.testing.assert_allclose(model.scores(example), expected)


def test_learns_saves_and_loads(tmp_path: Path) -> None:
    classifier, storage, resource = trained(tmp_path)
    loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage, resource, None)
    for model in (classifier, loaded):
        velo, other = model.process([message([0, 1], [0, 1]), message([4, 5], [5, 6])])
        assert velo.get(INTENT)["name"] == "aide_velo"
        assert other.get(INTENT)["name"] == "hors_sujet"
        ranking = velo.get(INTENT_RANKING_KEY)
        assert [item["name"] for item in ranking] == ["aide_velo", "hors_sujet"]
        assert abs(sum(item["confidence"] for item in ranking) - 1.0) < 1e-9
        assert ranking[0]["confidence"] > 0.5


def test_no_known_word_means_no_confidence(tmp_path: Path) -> None:
    classifier, _, _ = trained(tmp_path, known_words_from="words")
    (unknown,) = classifier.process([message([], [0, 1, 2])])
    assert unknown.get(INTENT)["confidence"] == 0.0
    # The ranking keeps the order of the scores, for the fallback's suggestions.
    assert unknown.get(INTENT_RANKING_KEY)[0]["name"] == "aide_velo"
    (known,) = classifier.process([message([0], [0, 1, 2])])
    assert known.get(INTENT)["confidence"] > 0.5


def test_an_untrained_model_predicts_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    loaded = LinearIntentClassifier.load({}, storage, Resource("never_trained"), None)
    (result,) = loaded.process([message([0], [0])])
    assert result.get(INTENT) == {"name": None, "confidence": 0.0}


def test_an_example_without_one_featurizers_features_still_trains(tmp_path: Path) -> None:
    words_only = Message(data={TEXT: "x", INTENT: "aide_velo"})
    words_only.add_features(
        Features(scipy.sparse.coo_matrix(([1.0], ([0], [1])), shape=(1, WORDS)), "sentence", TEXT, "words")
    )
    origins, idf = _LinearModel.idf_of([words_only, *TRAINING])
    assert origins == ["chars", "words"]
    assert _LinearModel.features([words_only], origins, idf)[:, :CHARS].nnz == 0
