"""A linear intent classifier over the pipeline's sentence features (Rasa 3.6 custom component).

Why: with ~2,000 short examples over 37 intents, a linear SVM on TF-IDF-weighted bags of
words, lemmas and character n-grams generalises better than DIET, trains in seconds instead
of minutes, and classifies a message with one matrix product (no TensorFlow call per
message). Figures in bench/results/quality.md and README « Quality ».

Each sparse featurizer's sentence features (counts of words, of character n-grams, lookup
matches) form one block, weighted by ``log(1 + count) * idf`` and L2-normalised, as
scikit-learn's TfidfVectorizer(sublinear_tf=True) would. The model is saved as plain arrays
(``numpy.savez``, no pickle).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_MODEL_FILE = "linear_intent_classifier.npz"
Vector = npt.NDArray[np.float64]


def _sentence_blocks(message: Message) -> dict[str, Any]:
    """The message's TEXT sentence features, one block per featurizer (its origin name)."""
    blocks: dict[str, Any] = {}
    for features in message.features:
        if features.attribute == TEXT and features.type == FEATURE_TYPE_SENTENCE and features.is_sparse():
            origin = features.origin if isinstance(features.origin, str) else "+".join(features.origin)
            blocks[origin] = features.features
    return blocks


def _l2_rows(matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return scipy.sparse.diags(1.0 / norms) @ matrix


@dataclass(frozen=True)
class _LinearModel:
    """What training learns: the blocks' layout and idf weights, and the SVM's weights."""

    origins: list[str]
    idf: list[Vector]
    classes: list[str]
    coef: Vector
    intercept: Vector
    # A message whose best SVM score is below this is not classified (confidence 0, hence
    # the fallback); -inf: never. Chosen by cross-validation (``rejection_threshold``).
    reject_below: float = -np.inf

    @staticmethod
    def idf_of(messages: Sequence[Message]) -> tuple[list[str], list[Vector]]:
        blocks = [_sentence_blocks(m) for m in messages]
        origins = sorted({origin for message_blocks in blocks for origin in message_blocks})
        idf: list[Vector] = []
        for origin in origins:
            width = next(b[origin].shape[1] for b in blocks if origin in b)
            empty = scipy.sparse.csr_matrix((1, width))
            counts = scipy.sparse.vstack([b.get(origin, empty) for b in blocks]).tocsr()
            document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
            # Smoothed idf, as scikit-learn's TfidfTransformer computes it.
            idf.append(np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1.0)
        return origins, idf

    @staticmethod
    def features(messages: Sequence[Message], origins: list[str], idf: list[Vector]) -> scipy.sparse.csr_matrix:
        """The training matrix: one row per message, the weighted blocks side by side."""
        columns = []
        for origin, weights in zip(origins, idf, strict=True):
            empty = scipy.sparse.csr_matrix((1, len(weights)))
            rows = [_sentence_blocks(m).get(origin) for m in messages]
            block = scipy.sparse.vstack([empty if r is None else r for r in rows]).tocsr().astype(np.float64)
            block.data = np.log1p(block.data)
            columns.append(_l2_rows(block @ scipy.sparse.diags(weights)))
        return scipy.sparse.hstack(columns).tocsr()

    def scores(self, message: Message) -> Vector:
        """The SVM's score of each intent for one message: the arithmetic of ``features`` and a
        product with the weights, on the message's few non-zero features only."""
        scores = self.intercept.copy()
        blocks = _sentence_blocks(message)
        offset = 0
        for origin, idf in zip(self.origins, self.idf, strict=True):
            block = blocks.get(origin)
            if block is not None and block.nnz:
                counts = scipy.sparse.coo_matrix(block)
                counts.sum_duplicates()
                weights = np.log1p(counts.data) * idf[counts.col]
                weights /= np.linalg.norm(weights) or 1.0
                scores += self.coef[:, offset + counts.col] @ weights
            offset += len(idf)
        return scores

    def save(self, path: Path) -> None:
        arrays = {f"idf_{i}": idf for i, idf in enumerate(self.idf)}
        np.savez(
            path,
            classes=np.array(self.classes),
            origins=np.array(self.origins),
            coef=self.coef,
            intercept=self.intercept,
            reject_below=np.array(self.reject_below),
            **arrays,
        )

    @classmethod
    def read(cls, path: Path) -> _LinearModel:
        with np.load(path, allow_pickle=False) as saved:
            origins = [str(o) for o in saved["origins"]]
            return cls(
                origins=origins,
                idf=[saved[f"idf_{i}"] for i in range(len(origins))],
                classes=[str(c) for c in saved["classes"]],
                coef=saved["coef"],
                intercept=saved["intercept"],
                reject_below=float(saved["reject_below"]) if "reject_below" in saved else -np.inf,
            )


def rejection_threshold(
    best_scores: Vector, predicted: Sequence[str], gold: Sequence[str], rejected_as: str, weights: dict[str, float]
) -> float:
    """The best-score threshold below which a message is better not classified, from held-out
    predictions: a rejected message counts as right when its intent is ``rejected_as`` (out of
    scope), as wrong otherwise; each example weighs its intent's class weight. The threshold
    maximises the weighted number of right answers (-inf when rejecting nothing is best)."""
    weight = np.array([weights.get(intent, 1.0) for intent in gold])
    right = np.array([p == g for p, g in zip(predicted, gold, strict=True)])
    out_of_scope = np.array([g == rejected_as for g in gold])
    order = np.argsort(best_scores)
    # Rejecting the k lowest-scored messages: those k count right iff out of scope, the others
    # keep their prediction.
    gain = np.concatenate([[0.0], np.cumsum((weight * (out_of_scope.astype(float) - right))[order])])
    k = int(np.argmax(gain))
    if k == 0:
        return -np.inf
    sorted_scores = best_scores[order]
    upper = sorted_scores[k] if k < len(sorted_scores) else sorted_scores[-1] + 1.0
    return float((sorted_scores[k - 1] + upper) / 2)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Linear SVM over the sparse featurizers' sentence features; softmax of its scores as confidence."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Regularisation of the SVM (scikit-learn's LinearSVC C).
            "C": 1.0,
            # Weight of each intent's errors in training (LinearSVC's class_weight), e.g.
            # {"hors_sujet": 2.0}; intents not named weigh 1.
            "class_weight": None,
            # Confidence = softmax(temperature × SVM score): higher means sharper confidences.
            "temperature": 5.0,
            "ranking_length": 10,
            # Alias of the word featurizer: a message none of whose words was seen in training
            # ("sdfghjkl qsdf") gets confidence 0, hence the fallback, whatever its character
            # n-grams resemble. None: no such check.
            "known_words_from": None,
            # Rejection calibrated by cross-validation: this many stratified folds of the
            # training data give held-out SVM scores, from which the score below which a message
            # is sent to the fallback is chosen (``rejection_threshold``); 0: no rejection.
            "rejection_folds": 0,
            # The intent a rejected message counts as right for in that choice (out of scope).
            "rejected_as": "hors_sujet",
            "random_seed": 2032,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: _LinearModel | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.svm import LinearSVC

        examples = [m for m in training_data.intent_examples if _sentence_blocks(m)]
        intents = [str(m.get(INTENT)) for m in examples]
        if len(set(intents)) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; it will predict nothing.")
            return self._resource
        origins, idf = _LinearModel.idf_of(examples)
        weights = {intent: float(weight) for intent, weight in (self.config["class_weight"] or {}).items()}
        svm = LinearSVC(
            C=float(self.config["C"]),
            class_weight=weights or None,
            random_state=int(self.config["random_seed"]),
        )
        matrix = _LinearModel.features(examples, origins, idf)
        reject_below = self._cross_validated_rejection(svm, matrix, intents, weights)
        svm.fit(matrix, intents)
        coef = np.asarray(svm.coef_, dtype=np.float64)
        intercept = np.asarray(svm.intercept_, dtype=np.float64)
        if len(svm.classes_) == 2:
            # Two intents: one score, positive for the second; one row per intent all the same.
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        self._model = _LinearModel(
            origins=origins,
            idf=idf,
            classes=[str(c) for c in svm.classes_],
            coef=coef,
            intercept=intercept,
            reject_below=reject_below,
        )
        with self._model_storage.write_to(self._resource) as directory:
            self._model.save(directory / _MODEL_FILE)
        return self._resource

    def _cross_validated_rejection(
        self, svm: Any, matrix: scipy.sparse.csr_matrix, intents: list[str], weights: dict[str, float]
    ) -> float:
        """The rejection threshold from out-of-fold SVM scores (idf and vocabulary are those of
        all the data, a small optimism shared by every candidate threshold)."""
        from sklearn.base import clone
        from sklearn.model_selection import StratifiedKFold

        folds = int(self.config["rejection_folds"])
        smallest = min(intents.count(intent) for intent in set(intents))
        if folds < 2 or smallest < folds or len(set(intents)) < 3:
            return -np.inf
        best = np.empty(len(intents))
        predicted: list[str] = [""] * len(intents)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=int(self.config["random_seed"]))
        labels = np.array(intents)
        for train_index, test_index in splitter.split(labels, labels):
            model = clone(svm).fit(matrix[train_index], labels[train_index])
            scores = model.decision_function(matrix[test_index])
            best[test_index] = scores.max(axis=1)
            for row, column in zip(test_index, scores.argmax(axis=1), strict=True):
                predicted[row] = str(model.classes_[column])
        threshold = rejection_threshold(best, predicted, intents, str(self.config["rejected_as"]), weights)
        logger.info("LinearIntentClassifier: rejection below an SVM score of %.3f (cross-validated)", threshold)
        return threshold

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                return cls(config, model_storage, resource, _LinearModel.read(directory / _MODEL_FILE))
        except (ValueError, FileNotFoundError, KeyError):
            logger.warning("LinearIntentClassifier: no trained model found; it will predict nothing.")
            return cls(config, model_storage, resource)

    def _has_known_word(self, message: Message) -> bool:
        origin = self.config["known_words_from"]
        if not origin:
            return True
        words = _sentence_blocks(message).get(origin)
        return words is not None and words.nnz > 0

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self._model is None or not _sentence_blocks(message):
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            scores = self._model.scores(message)
            exponents = np.exp(float(self.config["temperature"]) * (scores - scores.max()))
            confidences = exponents / exponents.sum()
            if not self._has_known_word(message) or scores.max() < self._model.reject_below:
                confidences = np.zeros_like(confidences)
            order = np.argsort(-scores)[: int(self.config["ranking_length"])]
            ranking = [{"name": self._model.classes[i], "confidence": float(confidences[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
