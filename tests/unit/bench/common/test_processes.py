"""A server's process tree, memory and CPU time, and the machine's description (psutil)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress

import pytest

from bench.common.machine import cpu_model, load_average, machine
from bench.common.processes import cpu_seconds, memory_of, process_tree, rss_mb, tree_cpu_seconds


@pytest.fixture()
def parent_with_a_child() -> Iterator[subprocess.Popen[bytes]]:
    """A Python process that works a little, then starts a child of its own and waits, like a
    server and its worker. (The work makes its CPU time certain to be counted: a bare start may
    stay under the clock's tick, and was read as 0.0 once in CI.)"""
    child_code = "import time; time.sleep(60)"
    work = "import time; end = time.process_time() + 0.2\nwhile time.process_time() < end: pass\n"
    code = f"{work}import subprocess, sys; subprocess.run([sys.executable, '-c', {child_code!r}])"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        yield parent
    finally:
        for pid in reversed(process_tree(parent.pid)):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        parent.wait()


def test_the_tree_holds_the_process_and_its_descendants(parent_with_a_child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while len(process_tree(parent_with_a_child.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    tree = process_tree(parent_with_a_child.pid)
    assert tree[0] == parent_with_a_child.pid and len(tree) == 2
    memory = memory_of(parent_with_a_child.pid)
    assert [process["pid"] for process in memory["processes"]] == tree
    assert memory["total_mb"] >= memory["max_mb"] > 1
    assert tree_cpu_seconds(parent_with_a_child.pid) >= cpu_seconds(parent_with_a_child.pid) > 0


def test_this_process() -> None:
    assert os.getpid() in process_tree(os.getpid())
    assert rss_mb(os.getpid()) > 10
    memory = memory_of(os.getpid())
    assert memory["max_mb"] > 10 and memory["total_mb"] >= memory["max_mb"]
    assert cpu_seconds(os.getpid()) > 0


def test_a_process_that_is_gone_counts_for_nothing() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert process_tree(gone.pid) == [gone.pid]
    assert rss_mb(gone.pid) == 0.0 and cpu_seconds(gone.pid) == 0.0
    assert memory_of(gone.pid) == {"processes": [], "max_mb": 0.0, "total_mb": 0.0}


def test_the_machine_is_described() -> None:
    info = machine()
    assert info["nproc"] == os.cpu_count()
    assert info["cpu"] == cpu_model() and info["cpu"]
    assert info["memory_gb"] > 0
    assert len(info["load_average_at_start"]) == 3 and len(load_average()) == 3
    assert {"date", "python", "rasa", "rasa_sdk", "platform"} <= set(info)
