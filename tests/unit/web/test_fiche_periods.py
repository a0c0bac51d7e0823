"""The console's fiche marks a fact whose period has ended."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from tests.unit.web.conftest import log_in


async def test_the_console_fiche_marks_an_ended_fact(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/topic/aide_velo")).text()
    item = re.search(r'<li id="fact-velo_divion_aide_communale" class="([^"]*)">(.*?)</li>', page, re.S)
    assert item is not None
    assert "fact--expired" in item.group(1)
    assert "Expiré : période terminée le 31/12/2024" in item.group(2)
    # Facts still in force carry no such mark.
    assert page.count("badge badge--expired") == 2  # the Divion fact and the legend
