"""The linear intent classifier on hand-made sentence features: training, saving, loading,
and the single-message scoring path against the training arithmetic."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.linear_intent_classifier import LinearIntentClassifier, _LinearModel, rejection_threshold

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


def test_the_rejection_threshold_rejects_only_what_pays() -> None:
    gold = ["hors_sujet", "hors_sujet", "aide_velo", "aide_velo", "aide_velo"]
    # The two lowest scores: an out-of-scope message taken for an aid, and a wrong aid answer.
    predicted = ["aide_velo", "hors_sujet", "mutuelle", "aide_velo", "aide_velo"]
    best = np.array([-1.0, 0.5, -0.8, 0.9, 1.2])
    threshold = rejection_threshold(best, predicted, gold, "hors_sujet", {})
    # Rejecting the lowest gains the out-of-scope one; rejecting the wrong aid answer gains
    # nothing (still not the right aid), so the threshold stops between the two.
    assert -1.0 < threshold < -0.8
    # A right out-of-scope answer is kept as it is, and a right aid answer is never rejected.
    assert rejection_threshold(best, predicted, gold, "hors_sujet", {"aide_velo": 5.0}) < 0.9
    # When every low score is a right answer, nothing is rejected.
    assert rejection_threshold(best, gold, gold, "hors_sujet", {}) == -np.inf


def test_a_message_scored_below_the_rejection_threshold_goes_to_the_fallback(tmp_path: Path) -> None:
    classifier, _, _ = trained(tmp_path)
    assert classifier._model is not None
    clear, vague = message([0, 1], [0, 1]), message([2, 3], [3, 4])
    clear_score, vague_score = (classifier._model.scores(m).max() for m in (clear, vague))
    assert vague_score < clear_score
    classifier._model = replace(classifier._model, reject_below=(clear_score + vague_score) / 2)
    kept, rejected = classifier.process([clear, vague])
    assert kept.get(INTENT)["name"] == "aide_velo" and kept.get(INTENT)["confidence"] > 0.5
    assert rejected.get(INTENT)["confidence"] == 0.0
    assert len(rejected.get(INTENT_RANKING_KEY)) == 2, "the ranking stays, for the fallback's suggestions"


def test_the_cross_validated_threshold_is_saved_with_the_model(tmp_path: Path) -> None:
    examples = [message([i % 2, 2], [i % 3], "aide_velo") for i in range(10)]
    examples += [message([3, 3 + i % 2], [3 + i % 2], "mutuelle") for i in range(10)]
    # Out-of-scope messages that mix the two aids' words: held out, they look like an aid.
    examples += [message([i % 2, 3], [i % 3, 3 + i % 2], "hors_sujet") for i in range(10)]
    storage = LocalModelStorage(tmp_path)
    resource = Resource("calibrated")
    config = {**LinearIntentClassifier.get_default_config(), "rejection_folds": 5}
    classifier = LinearIntentClassifier.create(config, storage, resource, None)
    classifier.train(TrainingData(examples))
    loaded = LinearIntentClassifier.load(config, storage, resource, None)
    assert loaded._model is not None and classifier._model is not None
    assert loaded._model.reject_below == classifier._model.reject_below
    (velo,) = loaded.process([message([0, 2], [0])])
    assert velo.get(INTENT)["name"] == "aide_velo" and velo.get(INTENT)["confidence"] > 0
