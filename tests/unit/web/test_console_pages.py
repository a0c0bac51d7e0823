"""Fiches an agent can use with a resident waiting (issue 17): a table of contents, history and
unconfirmed facts folded below what is in force, search results grouped by fiche with the words
found marked, and « Ma rue est-elle concernée ? » on a commune's page."""

from __future__ import annotations

import datetime as dt
import html
import re

from aiohttp.test_utils import TestClient

from bot.core.services import Services
from bot.web import views
from tests.unit.web.conftest import log_in


def _between(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


async def test_a_fiche_has_jump_links_to_every_field(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/topic/permis_de_louer")).text()
    toc = _between(page, 'aria-label="Sommaire de la fiche"', "</nav>")
    assert '<a href="#field-documents">Pièces à fournir</a>' in toc
    for anchor in re.findall(r'href="#([a-z_-]+)"', toc):
        assert f'id="{anchor}"' in page, anchor


async def test_history_and_unconfirmed_facts_are_folded_below_what_is_in_force(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/topic/permis_de_louer")).text()
    details = _between(page, 'id="field-details"', "</section>")
    in_force, folded = details.split('<details class="fiche__older">')
    assert 'id="fact-pdl_changements_2025"' in in_force
    # 2018's perimeters (history) and the deduced lists (low confidence) are folded.
    for fact_id in ("pdl_perimetres_2018", "pdl_liste_2022_deduite", "pdl_total_2023_deduit"):
        assert f'id="fact-{fact_id}"' in folded and f'id="fact-{fact_id}"' not in in_force
    assert "Historique et informations à confirmer" in folded
    assert "Historique : 2018" in folded


def test_a_fact_of_past_years_only_is_history(services: Services) -> None:
    topic = services.kb.topic("permis_de_louer")
    assert topic is not None
    facts = {fact.id: fact for fact in topic.facts}
    today = dt.date(2026, 12, 2)
    assert views.is_history(facts["pdl_perimetres_2018"], today)  # « 2018 »
    assert views.is_history(facts["pdl_liste_2022_deduite"], today)  # « 2022-2023 »
    assert views.is_history(facts["pdl_evolution_communes"], today)  # « de 2018 à 2025 »
    assert not views.is_history(facts["pdl_principe"], today)  # « depuis le 1er septembre 2018 »
    assert not views.is_history(facts["pdl_evolution_communes"], dt.date(2025, 6, 1))


async def test_search_results_are_grouped_by_fiche_with_the_words_marked(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/search?q=permis")).text()
    groups = re.findall(r'<h2 class="result-group__title"><a href="/console/topic/([a-z_]+)">', page)
    assert groups[0] == "permis_de_louer"
    assert len(groups) == len(set(groups)), "one group per fiche"
    results = page.count('<li class="result">')
    assert results > len(groups)
    assert re.search(rf"{results} résultats dans {len(groups)} fiches", page)
    assert "<mark>permis</mark>" in page or "<mark>Permis</mark>" in page
    # Typed with a typo and no accent, the words found are marked as written in the fact.
    typed = await (await client.get("/console/search?q=diagnostik%20energetique")).text()
    assert "<mark>diagnostic</mark>" in typed and "<mark>énergétique</mark>" in typed


def test_highlighting_marks_whole_words_and_escapes_nothing_itself() -> None:
    pieces = views.highlight("Le Pass'Mobil'Agglo aide à l'achat d'un vélo <b>", ["velo", "agglo"])
    assert [text for text, marked in pieces if marked] == ["Agglo", "vélo"]
    assert "".join(text for text, _ in pieces) == "Le Pass'Mobil'Agglo aide à l'achat d'un vélo <b>"


async def test_search_text_is_escaped_inside_the_marks(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/search?q=%3Cscript%3Epermis")).text()
    assert "<script>permis" not in page
    assert "Résultats pour « &lt;script&gt;permis »" in page


async def test_a_commune_page_checks_a_street(client: TestClient) -> None:
    await log_in(client)
    page = html.unescape(await (await client.get("/console/commune?insee=62841&rue=12+r.+d%27hinge")).text())
    assert "Ma rue est-elle concernée ?" in page
    assert "Rues concernées (depuis le 1er janvier 2025) :" in page
    assert "À Vendin-lès-Béthune, « rue d'Hinges » fait partie des rues où le permis de louer s'applique" in page
    # The sentences of every verdict travel with the page, for the offline console.
    assert "data-sentences" in page and "street_not_listed_past" in page
    other = html.unescape(await (await client.get("/console/commune?insee=62841&rue=rue+des+Lilas")).text())
    assert "La rue indiquée n'en fait pas partie." in other


async def test_a_commune_without_a_street_list_says_so_and_gives_the_contact(client: TestClient) -> None:
    await log_in(client)
    page = html.unescape(await (await client.get("/console/commune?insee=62119")).text())
    assert "Aucune source publique que nous connaissons ne donne la liste des rues concernées" in page
    assert "par le permis de louer à Béthune" in page
    assert "03 21 61 50 00" in page
    assert 'name="rue"' not in page


async def test_the_rules_table_says_where_streets_are_listed(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/topic/permis_de_louer")).text()
    assert '<a href="/console/commune?insee=62841#streets-permis_de_louer">3 rues</a>' in page
    assert "liste non publiée" in page


async def test_console_pages_carry_the_knowledge_base_stamp_and_the_manifest(
    client: TestClient, services: Services
) -> None:
    await log_in(client)
    page = await (await client.get("/console")).text()
    assert f'<meta name="agglo-kb-version" content="{services.kb.version}"' in page
    assert '<link rel="manifest" href="/console/manifest.webmanifest">' in page
    assert re.search(r"Base de connaissances du \d\d/\d\d/\d{4} à \d\d:\d\d", page)
    assert "data-offline-copy" not in page
