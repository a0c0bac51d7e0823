"""The console's fiche marks a fact whose period has ended."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.core.services import Services
from bot.web import views
from tests.unit.web.conftest import log_in


async def test_the_console_fiche_marks_an_ended_fact(client: TestClient, services: Services) -> None:
    await log_in(client)
    page = await (await client.get("/console/topic/aide_velo")).text()
    item = re.search(r'<li id="fact-velo_divion_aide_communale" class="([^"]*)">(.*?)</li>', page, re.S)
    assert item is not None
    assert "fact--expired" in item.group(1)
    assert "Expiré : période terminée le 31/12/2024" in item.group(2)
    # Facts still in force carry no such mark: only the ended ones (Divion's, and the imported
    # sessions and amounts of a year that is over), plus the legend.
    fiche = views.fiche(services.kb, "aide_velo")
    assert fiche is not None and "velo_pass_mobil_existe" not in fiche.expired
    assert page.count("badge badge--expired") == len(fiche.expired) + 1
    current = re.search(r'<li id="fact-velo_pass_mobil_existe" class="([^"]*)">', page)
    assert current is not None and "fact--expired" not in current.group(1)
