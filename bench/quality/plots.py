"""The quality report's plots (PNG): the topic confusion matrix and the F1 per topic."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.quality.report import SYSTEM_LABELS


def plot_confusion(gold: Sequence[str], predicted: Sequence[str], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    matrix = confusion_matrix(gold, predicted, labels=labels)
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=float), where=totals > 0)
    size = max(8.0, 0.42 * len(labels) + 3)
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    image = axes.imshow(share, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels, rotation=70, ha="right", fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted topic")
    axes.set_ylabel("expected topic")
    axes.set_title(title)
    for row in range(len(labels)):
        for column in range(len(labels)):
            if matrix[row, column]:
                color = "white" if share[row, column] > 0.6 else "black"
                axes.text(column, row, str(matrix[row, column]), ha="center", va="center", fontsize=6, color=color)
    figure.colorbar(image, ax=axes, fraction=0.04, label="share of the expected topic's messages")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_f1(per_topic: dict[str, dict[str, float]], title: str, path: Path) -> None:
    """Grouped horizontal bars: one group per topic, one bar per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    systems = list(per_topic)
    reference = per_topic[systems[0]]
    topics = sorted(reference, key=lambda topic: (reference[topic], topic))
    height = 0.8 / len(systems)
    positions = np.arange(len(topics))
    figure, axes = plt.subplots(figsize=(10, max(6.0, 0.38 * len(topics) + 2)))
    for index, system in enumerate(systems):
        values = [per_topic[system].get(topic, 0.0) for topic in topics]
        axes.barh(positions + index * height, values, height=height, label=SYSTEM_LABELS.get(system, system))
    axes.set_yticks(positions + height * (len(systems) - 1) / 2, topics, fontsize=8)
    axes.set_xlim(0, 1)
    axes.set_xlabel("F1")
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
