"""The offline console answers like the server: static/agglomobile.js, run with Node, against the
Python it ports (text folding, the agents' search and its highlighting, the street lists), on
the real knowledge base. And the offline commune lookup finds the communes agents type."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.core.services import Services
from bot.core.streets import street_matcher
from bot.french.text import fold
from bot.kb.queries import search_words
from bot.web.offline import search_index
from bot.web.views import highlight

SCRIPT = Path(__file__).resolve().parents[3] / "bot" / "web" / "static" / "agglomobile.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is missing (it comes with npm: make install)")

RUNNER = """
const A = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf-8"));
const matcher = new A.StreetMatcher(input.index.streets);
const verdict = (v) => ({kind: v.kind, streets: v.streets.map((s) => s.name), exact: v.exact,
                         list: v.list ? v.list.applies_to : null});
process.stdout.write(JSON.stringify({
  fold: input.texts.map(A.fold),
  search: input.queries.map((q) =>
    A.search(input.index.search, q, 20).map((h) => [h.entry[0], h.entry[1], h.score])),
  highlight: input.highlights.map(([text, query]) => A.highlight(text, A.searchWords(query))),
  streets: input.streets.map(([rule, insee, address, commune]) =>
    verdict(matcher.check(rule, insee, address, commune))),
  communes: input.communes.map((q) => A.findCommune(input.index.communes, input.index.aliases, q)),
}));
"""

TEXTS = [
    "L’Agglo de Béthune-Bruay",
    "Nœux-lès-Mines, jusqu'à l'été",
    "aujourd'hui QU'IL fait ÉTÉ",
    "Pass'Mobil'Agglo : 100 € !",
    "Æsthète ß œuvre",
    "rue d'Hinges",
]
QUERIES = [
    "permis",
    "perrmis de loer",
    "vélo électrique",
    "velo",
    "déchetterie",
    "Pass'Mobil'Agglo",
    "mutuelle santé",
    "récupérateur d'eau de pluie",
    "eau",
    "x",
    "zzzz",
    "",
]
STREETS = [
    ("permis_de_louer", "62841", "rue d'Hinges", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "12 r. d'hinge", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "Hinges", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "avenue d'Hinges", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "rue Pierre Mendes-France", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "Mendès France", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "3 bis rue de Merville 62232 Vendin-lès-Béthune", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "rue Pierre", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62841", "rue des Lilas", "Vendin-lès-Béthune"),
    ("permis_de_louer", "62516", "pl. de l'eglise", "Lillers"),
    ("permis_de_louer", "62516", "Église", "Lillers"),
    ("permis_de_louer", "62516", "rue du Bourg d'Aval", "Lillers"),
    ("permis_de_louer", "62516", "rue du Mal de Lattre de Tassigny", "Lillers"),
    ("permis_de_louer", "62516", "rue de Lattre", "Lillers"),
    ("permis_de_louer", "62516", "rue Victor Hugo", "Lillers"),
    ("permis_de_louer", "62119", "rue d'Arras", "Béthune"),
]
COMMUNES = {
    "noeux les mines": "62617",
    "Nœux": "62617",
    "vendin les bethune": "62841",
    "Vendin-lez-Béthune": "62841",
    "bethune": "62119",
    "Béthnue": "62119",
    "bruay": "62178",
}


@pytest.fixture(scope="module")
def ported(services: Services) -> dict[str, Any]:
    index = search_index(services.kb)
    payload = {
        "index": index,
        "texts": TEXTS,
        "queries": QUERIES,
        "highlights": [(entry[3], query) for entry in index["search"][:40] for query in ("permis", "vélo")],
        "streets": STREETS,
        "communes": list(COMMUNES),
    }
    assert NODE is not None
    result = subprocess.run(
        [NODE, "-e", RUNNER, str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer: dict[str, Any] = json.loads(result.stdout)
    answer["index"] = index
    return answer


def test_text_is_folded_the_same_way(ported: dict[str, Any]) -> None:
    assert ported["fold"] == [fold(text) for text in TEXTS]


def test_the_offline_search_gives_the_servers_results(ported: dict[str, Any], services: Services) -> None:
    for query, offline in zip(QUERIES, ported["search"], strict=True):
        online = [[hit.topic.slug, hit.fact.id if hit.fact else ""] for hit in services.kb.search(query, limit=20)]
        assert [hit[:2] for hit in offline] == online, query
    assert ported["search"][0], "« permis » finds something"
    assert ported["search"][1][0][0] == "permis_de_louer", "one typo per word is tolerated"


def test_the_same_words_are_highlighted(ported: dict[str, Any]) -> None:
    cases = [(entry[3], query) for entry in ported["index"]["search"][:40] for query in ("permis", "vélo")]
    expected = [[list(piece) for piece in highlight(text, search_words(query))] for text, query in cases]
    assert ported["highlight"] == expected
    assert any(piece[1] for pieces in expected for piece in pieces)


def test_streets_get_the_same_verdict(ported: dict[str, Any], services: Services) -> None:
    matcher = street_matcher(services.kb)
    for case, offline in zip(STREETS, ported["streets"], strict=True):
        rule, insee, address, commune = case
        verdict = matcher.check(rule, insee, address, commune_name=commune, residents=False)
        online = {
            "kind": verdict.kind,
            "streets": [street.name for street in verdict.streets],
            "exact": verdict.exact,
            "list": verdict.street_list.applies_to if verdict.street_list else None,
        }
        assert offline == online, case


def test_the_offline_commune_lookup_finds_what_agents_type(ported: dict[str, Any]) -> None:
    for (query, insee), found in zip(COMMUNES.items(), ported["communes"], strict=True):
        assert found.get("commune", [None])[0] == insee, (query, found)
