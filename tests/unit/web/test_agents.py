"""Agents' accounts (bcrypt, file managed by the CLI) and console sessions."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.stores.agents import AgentError, AgentStore, can_administer, can_edit
from bot.stores.sessions import SessionStore

PASSWORD = "correct horse battery"  # noqa: S105 - a test password


def test_passwords_are_stored_as_bcrypt_hashes_only(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.yml")
    store.add("Jean.Dupont", PASSWORD)
    text = store.path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    assert "jean.dupont:\n    hash: $2b$" in text and "role: agent" in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.verify("jean.dupont", PASSWORD)
    assert store.verify(" JEAN.DUPONT ", PASSWORD)
    assert not store.verify("jean.dupont", PASSWORD + "!")
    assert not store.verify("nobody", PASSWORD)


@pytest.mark.parametrize(
    ("name", "password"),
    [("../etc", PASSWORD), ("", PASSWORD), ("jean", "short"), ("jean", "é" * 40)],
)
def test_bad_names_and_passwords_are_refused(tmp_path: Path, name: str, password: str) -> None:
    with pytest.raises(AgentError):
        AgentStore(tmp_path / "agents.yml").add(name, password)


def test_add_twice_needs_replace_and_remove_needs_an_agent(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.yml")
    store.add("jean", PASSWORD)
    with pytest.raises(AgentError, match="already exists"):
        store.add("jean", PASSWORD)
    store.add("jean", "another long password", replace=True)
    assert store.verify("jean", "another long password")
    store.remove("jean")
    assert store.names() == []
    with pytest.raises(AgentError):
        store.remove("jean")


def test_a_damaged_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "agents.yml"
    path.write_text("agents: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(AgentError):
        AgentStore(path).names()


def test_cli_add_list_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    agents_file = tmp_path / "agents.yml"
    monkeypatch.setenv("AGGLO_AGENTS_FILE", str(agents_file))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{PASSWORD}\n"))
    assert main(["agents", "add", "Marie"]) == 0
    assert AgentStore(agents_file).verify("marie", PASSWORD)
    capsys.readouterr()
    assert main(["agents", "list"]) == 0
    assert capsys.readouterr().out == "marie\tagent\n"
    assert main(["agents", "remove", "marie"]) == 0
    assert AgentStore(agents_file).names() == []


def test_cli_errors_go_to_stderr_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGGLO_AGENTS_FILE", str(tmp_path / "agents.yml"))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\nsomething else\n"))
    assert main(["agents", "add", "marie"]) == 2
    assert "differ" in capsys.readouterr().err
    assert AgentStore(tmp_path / "agents.yml").names() == []
    assert main(["agents", "remove", "nobody"]) == 2
    assert "no agent named" in capsys.readouterr().err


def test_sessions_expire() -> None:
    now = [1000.0]
    sessions = SessionStore(lifetime_seconds=60, clock=lambda: now[0])
    session = sessions.create("marie")
    assert sessions.get(session.token) == session
    assert session.token != session.csrf_token and len(session.token) >= 40
    now[0] += 61
    assert sessions.get(session.token) is None
    assert sessions.get("") is None and sessions.get(None) is None


def test_roles_agent_by_default_editor_or_admin_on_request(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.yml")
    store.add("jean", PASSWORD)
    store.add("claire", PASSWORD, role="editor")
    assert store.roles() == {"claire": "editor", "jean": "agent"}
    assert store.role("CLAIRE") == "editor" and store.role("nobody") is None
    # A new password keeps the role unless another is given.
    store.add("claire", "another long password", replace=True)
    assert store.role("claire") == "editor" and store.verify("claire", "another long password")
    store.add("claire", "another long password", replace=True, role="agent")
    assert store.role("claire") == "agent"
    store.add("paul", PASSWORD, role="admin")
    assert store.role("paul") == "admin"
    assert (can_edit("admin"), can_edit("editor"), can_edit("agent"), can_edit(None)) == (True, True, False, False)
    assert (can_administer("admin"), can_administer("editor")) == (True, False)
    with pytest.raises(AgentError, match="invalid role"):
        store.add("luc", PASSWORD, role="superuser")


def test_the_older_file_format_is_read_as_agents_and_rewritten_in_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "agents.yml"
    old_hash = AgentStore(tmp_path / "scratch.yml")
    old_hash.add("jean", PASSWORD)
    hashed = yaml.safe_load(old_hash.path.read_text(encoding="utf-8"))["agents"]["jean"]["hash"]
    path.write_text(f"agents:\n  jean: {hashed}\n", encoding="utf-8")
    store = AgentStore(path)
    assert store.roles() == {"jean": "agent"}
    assert store.verify("jean", PASSWORD)
    store.add("claire", PASSWORD, role="editor")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))["agents"]
    assert data["jean"] == {"hash": hashed, "role": "agent"}
    assert data["claire"]["role"] == "editor"


@pytest.mark.parametrize(
    "text", ["agents:\n  jean: {role: editor}\n", "agents:\n  jean: {hash: x, role: superuser}\n", "agents: [a]\n"]
)
def test_a_damaged_entry_is_reported(tmp_path: Path, text: str) -> None:
    path = tmp_path / "agents.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgentError):
        AgentStore(path).roles()


def test_cli_adds_an_editor_and_lists_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    agents_file = tmp_path / "agents.yml"
    monkeypatch.setenv("AGGLO_AGENTS_FILE", str(agents_file))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{PASSWORD}\n"))
    assert main(["agents", "add", "claire", "--role", "editor"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{PASSWORD}\n"))
    assert main(["agents", "add", "jean"]) == 0
    assert "'jean' (agent) added" in capsys.readouterr().out
    assert main(["agents", "list"]) == 0
    assert capsys.readouterr().out == "claire\teditor\njean\tagent\n"
    with pytest.raises(SystemExit) as refused:
        main(["agents", "add", "paul", "--role", "superuser"])
    assert refused.value.code == 2
    assert AgentStore(agents_file).role("paul") is None
