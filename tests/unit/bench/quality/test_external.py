"""The external section of the quality bench on made-up files: loading, scoring, targets, and
the rule that the report keeps figures only, never a line of the external files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quality import external, report
from bot.settings import load_settings


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / external.OOS_FILE).write_text("allume la lampe rouge\nqui a peint ce tableau bleu\n", encoding="utf-8")
    (tmp_path / external.PROVENANCE_FILE).write_text(
        "utterance\tsource_key\trepo\tpath\toriginal_label\n"
        "allume la lampe rouge\tmaison\tr\tp\tl\nqui a peint ce tableau bleu\tquiz\tr\tp\tl\n",
        encoding="utf-8",
    )
    (tmp_path / external.IN_DOMAIN_FILE).write_text(
        "utterance\taccepted_topics\tsource\nquand passe le camion jaune\tdechets\ts\n"
        "une cuve pour la pluie\taide_recuperateur_eau|eau_potable\ts\n",
        encoding="utf-8",
    )
    return tmp_path


def test_the_files_are_found_through_the_setting(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGLO_EXTERNAL_EVAL", str(folder))
    assert external.find_directory(load_settings().external_eval) == (folder, "")
    found, reason = external.find_directory(folder / "absent")
    assert found is None and external.OOS_FILE in reason


def test_scores_per_source_and_per_accepted_set_without_the_lines(folder: Path) -> None:
    lines = external.load_external(folder)
    assert lines.oos_sources == ["maison", "quiz"]
    assert lines.accepted[1] == frozenset({"aide_recuperateur_eau", "eau_potable"})
    figures = external.score(lines, ["hors_sujet", "logement"], ["dechets", "eau_potable"])
    assert figures["oos_non_content_rate"] == 0.5
    assert figures["oos_by_source"] == {"maison": {"lines": 1, "rate": 1.0}, "quiz": {"lines": 1, "rate": 0.0}}
    assert figures["oos_content_topics"] == {"logement": 1}
    assert figures["in_domain_accepted_rate"] == 1.0
    section = {
        "meta": {"date": "d", "commit": "c", "directory": str(folder), "oos_lines": 2, "in_domain_lines": 2},
        "nlu": {"project": figures, "tfidf": external.score(lines, ["incompris", "hors_sujet"], ["x", "y"])},
    }
    targets = external.targets(section)
    assert [target["met"] for target in targets] == [False, True, False, True]
    written = json.dumps(section, ensure_ascii=False) + "\n".join(report.render_external(section))
    for line in [*lines.oos, *lines.in_domain]:
        assert line not in written
