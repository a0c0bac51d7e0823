"""The generated configuration (ops/prod/templates) says what the settings say; offline."""

from __future__ import annotations

import configparser
import dataclasses
from pathlib import Path

from ops.prod.render import Ports, local_layout, nginx_conf, redis_conf, supervisord_conf
from tests.conftest import prod_settings

PORTS = Ports(postgres=1, redis=2, public=8080, internal=8081, rasa=(5005, 5006, 5007), actions=(5055,), web=(8000,))


def _supervisord(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_every_program_has_its_section_and_the_app_group_lists_the_servers(tmp_path: Path) -> None:
    conf = _supervisord(supervisord_conf(prod_settings(tmp_path), PORTS, as_root=False))
    programs = [section.removeprefix("program:") for section in conf.sections() if section.startswith("program:")]
    assert programs == ["postgres", "redis", "actions-0", "rasa-0", "rasa-1", "rasa-2", "web-0", "nginx"]
    assert conf["group:app"]["programs"] == "actions-0,rasa-0,rasa-1,rasa-2,web-0"
    # Not root: nobody to switch to.
    assert not any(conf.has_option(section, "user") for section in conf.sections())


def test_a_percent_sign_reaches_the_servers_escaped_for_supervisord(tmp_path: Path) -> None:
    settings = prod_settings(tmp_path).copy(update={"db_app_password": "50%off"})
    conf = _supervisord(supervisord_conf(settings, PORTS, as_root=True, python_user="agglo"))
    # URL-quoted first (%25), then doubled for supervisord.
    assert ":50%%25off@" in conf["program:web-0"]["environment"]
    assert conf["program:web-0"]["user"] == "agglo"
    assert conf["program:postgres"]["user"] == settings.service_user


def test_the_limits_and_the_exempt_addresses_reach_nginx(tmp_path: Path) -> None:
    settings = prod_settings(tmp_path).copy(update={"rate_limit_exempt": "10.0.0.1, 192.168.0.0/24", "chat_burst": 3})
    text = nginx_conf(settings, local_layout(settings, PORTS, as_root=False))
    assert "        10.0.0.1 1;\n        192.168.0.0/24 1;\n    }" in text
    assert "limit_req zone=chat burst=3 nodelay;" in text
    # The web fronts reach the Rasa servers directly (each conversation pinned to one of them):
    # no Rasa upstream in nginx; the action servers stay behind its internal side.
    assert "upstream rasa" not in text and "/webhooks/rest/" not in text
    assert "server 127.0.0.1:5055 max_fails=2" in text


def test_every_web_front_knows_every_rasa_server_in_the_same_order(tmp_path: Path) -> None:
    settings = prod_settings(tmp_path)
    conf = _supervisord(supervisord_conf(settings, dataclasses.replace(PORTS, web=(8000, 8001)), as_root=False))
    for front in ("web-0", "web-1"):
        environment = conf[f"program:{front}"]["environment"]
        assert 'AGGLO_RASA_URLS="http://127.0.0.1:5005,http://127.0.0.1:5006,http://127.0.0.1:5007"' in environment


def test_redis_keeps_nothing_on_disk_and_asks_for_the_password(tmp_path: Path) -> None:
    text = redis_conf(prod_settings(tmp_path), PORTS)
    assert 'save ""' in text and "appendonly no" in text
    assert "requirepass x\n" in text and "port 2\n" in text
