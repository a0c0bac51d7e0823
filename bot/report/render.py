"""The report as one self-contained HTML page: inline CSS, plots as base64 PNG images.

The page's French headings are in ``templates/report.html`` and the plots' words in
``labels.yml``; Jinja2 escapes every value. Plots are drawn with matplotlib's Agg backend on
``Figure`` objects (no pyplot global state), so a report can be built in any thread.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path
from typing import Any

import yaml

from bot.rendering import french_date, make_environment
from bot.report.data import ReportData
from bot.stores.feedback import REASONS

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LABELS_FILE = Path(__file__).resolve().parent / "labels.yml"
# Longer lists are cut in the plots (the tables list everything).
PLOT_ROWS = 15
# Unanswered question groups listed.
MAX_GROUPS = 30
_BLUE, _GREEN, _RED, _ORANGE = "#00579c", "#2e7d32", "#c62828", "#b35c00"


def _percent(part: int, whole: int) -> str:
    return "–" if not whole else f"{100 * part / whole:.1f} %".replace(".", ",")


def _png(figure: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _bars(title: str, names: list[str], series: list[tuple[str, list[int], str]]) -> bytes:
    """Horizontal bars, the first name on top; several series are stacked."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 0.6 + 0.32 * max(len(names), 1)))
    axes = figure.add_subplot()
    positions = list(range(len(names)))[::-1]
    left = [0] * len(names)
    for label, values, colour in series:
        axes.barh(positions, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(positions)
    axes.set_yticklabels(names)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts
    axes.set_title(title)
    if len(series) > 1:
        axes.legend(loc="lower right")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _per_day(data: ReportData, labels: dict[str, str]) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    days = [day.strftime("%d/%m") for day in data.period.days]
    figure = Figure(figsize=(9, 3.6))
    axes = figure.add_subplot()
    axes.bar(days, data.messages_per_day, color=_BLUE, label=labels["messages"])
    axes.plot(days, data.conversations_per_day, color=_ORANGE, marker="o", label=labels["conversations"])
    step = max(1, len(days) // 15)
    axes.set_xticks(range(0, len(days), step))
    axes.set_xticklabels(days[::step], rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(labels["per_day_title"])
    axes.legend()
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def draw_plots(data: ReportData) -> dict[str, bytes]:
    """The report's plots as PNG images, by name."""
    import matplotlib

    matplotlib.use("Agg")
    labels: dict[str, str] = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))["plots"]
    plots = {"per_day": _per_day(data, labels)}
    topics = data.topics[:PLOT_ROWS]
    if topics:
        plots["per_topic"] = _bars(
            labels["per_topic_title"].format(count=len(topics)),
            [topic.label for topic in topics],
            [(labels["messages"], [topic.messages for topic in topics], _BLUE)],
        )
    feedback = data.feedback[:PLOT_ROWS]
    if feedback:
        plots["feedback"] = _bars(
            labels["feedback_title"],
            [item.label for item in feedback],
            [
                (labels["feedback_up"], [item.up for item in feedback], _GREEN),
                (labels["feedback_down"], [item.down for item in feedback], _RED),
            ],
        )
    asks = data.unknown_fields[:PLOT_ROWS]
    if asks:
        plots["unknown"] = _bars(
            labels["unknown_title"],
            [f"{ask.topic_label} – {ask.field_label}" for ask in asks],
            [(labels["asked"], [ask.count for ask in asks], _ORANGE)],
        )
    return plots


def render_html(data: ReportData, plots: dict[str, bytes], *, generated: dt.datetime | None = None) -> str:
    environment = make_environment(TEMPLATES_DIR)  # the console's: every value escaped
    generated = generated or dt.datetime.now()
    labels = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))["reasons"]
    encoded = {name: base64.b64encode(image).decode("ascii") for name, image in plots.items()}
    return environment.get_template("report.html").render(
        data=data,
        plots={name: encoded.get(name) for name in ("per_day", "per_topic", "feedback", "unknown")},
        since=french_date(data.period.since),
        until=french_date(data.period.until),
        generated=generated.strftime("%d/%m/%Y %H:%M"),
        per_day=[
            (french_date(day), messages, conversations)
            for day, messages, conversations in zip(
                data.period.days, data.messages_per_day, data.conversations_per_day, strict=True
            )
        ],
        percent=_percent,
        max_groups=MAX_GROUPS,
        reason_labels=[*(labels[reason] for reason in REASONS), labels["none"]],
        reason_label=lambda reason: labels.get(reason or "none", reason),
    )


def write_report(data: ReportData, out: Path, *, plots_dir: Path | None = None) -> dict[str, bytes]:
    """Write the HTML page (and, with ``plots_dir``, each plot as a PNG file); return the plots."""
    plots = draw_plots(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data, plots), encoding="utf-8")
    if plots_dir is not None:
        plots_dir.mkdir(parents=True, exist_ok=True)
        for name, image in plots.items():
            (plots_dir / f"{name}.png").write_bytes(image)
    return plots
