"""The agents' console over HTTP, for the benchmarks and the browser tests that change the
knowledge base while the web front runs: a logged-in session, and waiting until a new build is
served."""

from __future__ import annotations

import re
import time

import requests

_LOGIN_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
_PAGE_TOKEN = re.compile(r'name="agglo-csrf-token" content="([^"]+)"')


def console_session(url: str, name: str, password: str) -> tuple[requests.Session, str]:
    """A session logged in to the console at ``url`` as ``name``, and its CSRF token (for the
    JSON API)."""
    http = requests.Session()
    form = _LOGIN_TOKEN.search(http.get(f"{url}/console/login", timeout=30).text)
    if form is None:
        raise RuntimeError("no login form")
    http.post(
        f"{url}/console/login",
        data={"csrf": form.group(1), "name": name, "password": password, "next": "/console"},
        timeout=30,
    ).raise_for_status()
    token = _PAGE_TOKEN.search(http.get(f"{url}/console", timeout=30).text)
    if token is None:
        raise RuntimeError("login refused")
    return http, token.group(1)


def wait_until_served(http: requests.Session, url: str, version: str, timeout: float = 60) -> None:
    """Wait until the web front serves the knowledge base's build ``version`` (it looks for a new
    build every second)."""
    deadline = time.monotonic() + timeout
    while http.get(f"{url}/console/api/offline/state", timeout=30).json()["kb_version"] != version:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the web front did not serve build {version} within {timeout:.0f} s")
        time.sleep(0.2)
