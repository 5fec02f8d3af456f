"""Index behaviour through real `artigov` processes: crashes, locks, concurrency, disk errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from artigov.core import FileLock, load_workspace, lock_path_for
from artigov.core.testing import make_artifact, make_workspace
from artigov.index import read_index, rebuild, verify
from artigov.index.testing import mutate, synth_workspace

REPO = Path(__file__).resolve().parent.parent

Runner = Callable[..., subprocess.CompletedProcess[str]]


def _ws(root: Path, n: int = 12):  # type: ignore[no-untyped-def]
    return load_workspace(synth_workspace(root, n))


def test_rebuild_is_byte_identical_across_checkouts_orders_mtimes_tz_and_locale(tmp_path: Path) -> None:
    one = synth_workspace(tmp_path / "one", 30)
    two = tmp_path / "two"
    two.mkdir()
    # Copy in reverse order, with different mtimes, so inode and listing order differ.
    files = sorted(p for p in one.rglob("*") if p.is_file())
    for i, src in enumerate(reversed(files)):
        dest = two / src.relative_to(one)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        os.utime(dest, ns=(1_000_000_000 * (i + 7), 1_000_000_000 * (i + 7)))
    outputs = []
    for root, env in ((one, {"TZ": "UTC", "LC_ALL": "C"}), (two, {"TZ": "Asia/Kolkata", "LC_ALL": "C.UTF-8"})):
        result = subprocess.run(
            [sys.executable, "-m", "artigov.cli", "index", "rebuild"],
            cwd=root,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        outputs.append((root / "artifacts_index.json").read_bytes())
    assert outputs[0] == outputs[1]
    rebuild(load_workspace(one))
    assert (one / "artifacts_index.json").read_bytes() == outputs[0]


def test_second_writer_times_out_naming_the_holder(tmp_path: Path, artigov: Runner) -> None:
    from artigov.core.testing import held_lock

    ws = _ws(tmp_path)
    rebuild(ws)
    with held_lock(lock_path_for(ws.index_path)) as pid:
        result = artigov("index", "update", "--lock-timeout", "0.5", cwd=ws.root)
        assert result.returncode == 1
        assert f"pid={pid}" in result.stderr and "--lock-timeout" in result.stderr
        assert result.stderr.count("\n") == 1
    with FileLock(lock_path_for(ws.index_path), timeout=1):
        pass


@pytest.mark.slow
def test_concurrent_adds_lose_nothing(tmp_path: Path) -> None:
    """Four writers side by side, each running ``artigov index add`` fifty times, one file at a time:
    200 processes contending for the index lock. Each add is its own process, forked from a warm
    runner per writer (core's fork server, as a rehearsal runs its commands) instead of a new
    interpreter: the lock, the journal and the rename are the real ones; the imports are done once."""
    from concurrent.futures import ThreadPoolExecutor

    from artigov.core import ForkServer

    files: dict[str, str | bytes] = {
        f"frameworks/w{w}/a{i:02d}.md": make_artifact(f"w{w}-a{i:02d}") for w in range(4) for i in range(50)
    }
    root = make_workspace(tmp_path, files=files)

    def writer(w: int) -> list[str]:
        failed = []
        with ForkServer(
            ["artigov.cli.quick", "artigov.commands.index"], main="artigov.cli.quick:main", argv0="artigov"
        ) as runner:
            for i in range(50):
                done = runner.run(["index", "add", f"frameworks/w{w}/a{i:02d}.md"], root, os.environ)
                if done.returncode:
                    failed.append(f"w{w} a{i:02d}: exit {done.returncode}: {done.stdout} {done.stderr}")
        return failed

    with ThreadPoolExecutor(4) as pool:
        assert [f for fails in pool.map(writer, range(4)) for f in fails] == []
    ws = load_workspace(root)
    index = read_index(ws)
    assert len(index.entries) == 200
    assert set(index.entries) == set(files)
    assert verify(ws).ok


@pytest.mark.slow
def test_disk_full_is_one_line_and_keeps_the_old_index(tmp_path: Path) -> None:
    ws = _ws(tmp_path, 8)
    rebuild(ws)
    before = ws.index_path.read_bytes()
    mutate(ws.root, 3, n_existing=8, changes=1)
    outcomes = set()
    for step in range(1, 40):
        result = subprocess.run(
            [sys.executable, "-m", "artigov.cli", "index", "update"],
            cwd=ws.root,
            capture_output=True,
            text=True,
            env={**os.environ, "ARTIGOV_FAULT_STEP": str(step), "ARTIGOV_FAULT_MODE": "enospc"},
            check=False,
        )
        assert "Traceback" not in result.stderr
        if result.returncode == 0:
            outcomes.add("ok")
            break
        assert result.stderr.count("\n") == 1, result.stderr
        assert "No space left on device" in result.stderr
        current = ws.index_path.read_bytes()
        assert current == before or verify(ws).ok
        # recover the journal the failed write may have left, then restore the old state for the next step
        outcomes.add("failed")
        subprocess.run(
            [sys.executable, "-m", "artigov.cli", "index", "recover"], cwd=ws.root, check=True, capture_output=True
        )
        ws.index_path.write_bytes(before)
    assert outcomes == {"failed", "ok"}


@pytest.mark.slow
def test_reduced_crash_rehearsal_every_point_once_and_20_random_kills(tmp_path: Path) -> None:
    """Index writes on a rehearsal copy of the example workspace: every fault point x operation
    once (each command forked by the warm runner, as `artigov rehearse` runs them), then 20
    SIGKILLs at random moments."""
    import tempfile

    from artigov.rehearse._warm import warm
    from artigov.rehearse.crash import INDEX_POINTS, OPERATIONS, fault_matrix, random_kills
    from artigov.rehearse.workspace import find_gates, rehearsal_copy

    short = Path(tempfile.mkdtemp(prefix="agt-", dir="/tmp"))  # the gpg-agent socket path stays short
    run = rehearsal_copy(REPO / "examples" / "workspace", short)
    try:
        find_gates(run)  # also brings the copy's index up to date
        with warm():
            rows = fault_matrix(run.ws, tmp_path / "matrix")
        # The kills without a warm runner: each command a new interpreter (what a caller without
        # one gets).
        rows += random_kills(run.ws, tmp_path / "kills", trials=20, seed=11)
    finally:
        run.close()
        shutil.rmtree(short, ignore_errors=True)
    assert len(rows) == len(INDEX_POINTS) * len(OPERATIONS) + len(OPERATIONS)
    assert sum(r.trials for r in rows[-len(OPERATIONS) :]) == 20
    assert all(r.ok for r in rows), [(r.point, r.op, r.problems) for r in rows if not r.ok]


@pytest.mark.slow
def test_every_packaged_playbook_passes_on_the_example_and_the_example_is_never_written(tmp_path: Path) -> None:
    import hashlib
    import shutil

    from artigov.rehearse import Scope, rehearse

    ws = tmp_path / "ws"
    shutil.copytree(REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".artigov"))

    def tree() -> dict[str, str]:
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ws.rglob("*")) if p.is_file()}

    before = tree()
    said: list[str] = []
    assert rehearse(ws, Scope("playbooks"), say=said.append) == 0, "\n".join(said)
    assert "playbooks: 5/5 passed" in said[-1]
    assert tree() == before


def test_a_killed_writers_workers_never_keep_the_lock(tmp_path: Path, artigov: Runner) -> None:
    # The parallel scan forks workers while the writer holds the index lock: when the writer is
    # SIGKILLed, its workers must neither keep the inherited flock nor outlive it.
    import signal
    import time

    ws = _ws(tmp_path, 3000)
    paused = tmp_path / "paused"
    proc = subprocess.Popen(
        [sys.executable, "-m", "artigov.cli", "index", "rebuild"],
        cwd=ws.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ARTIGOV_FAULT_PAUSE": "mid-scan", "ARTIGOV_FAULT_PAUSE_FILE": str(paused)},
    )
    deadline = time.monotonic() + 120
    while not paused.exists():  # inside the parallel scan, holding the lock, workers forked
        assert proc.poll() is None and time.monotonic() < deadline, "the rebuild never reached its scan"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    result = artigov("index", "update", "--lock-timeout", "5", cwd=ws.root)
    assert "lock held" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert verify(ws).ok


def test_sigint_is_one_line_exit_130_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    import signal
    import time

    from artigov.index.testing import synth_workspace

    ws = synth_workspace(tmp_path / "ws", 5000)  # enough for the parallel scan
    env = {**os.environ, "ARTIGOV_ACTOR": "tests@example.org"}
    paused = tmp_path / "paused"
    # A shell's background `&` (how CI may be launched) hands children SIGINT ignored, and Python
    # keeps an inherited SIG_IGN; this test is about a user's Ctrl-C, so it sets Python's own default.
    launcher = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv[0] = 'artigov'; runpy.run_module('artigov.cli', run_name='__main__', alter_sys=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", launcher, "index", "rebuild", "--root", str(ws)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **env,
            "ARTIGOV_FAULT_PAUSE": "mid-scan",
            "ARTIGOV_FAULT_PAUSE_FILE": str(paused),
            "PYTHONFAULTHANDLER": "1",  # a hang below is reported with its stacks
        },
    )
    deadline = time.monotonic() + 120
    while not paused.exists():  # the rebuild says when it is inside the scan, workers running
        assert proc.poll() is None and time.monotonic() < deadline, "the rebuild never reached its scan"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # say where it hangs: faulthandler prints every thread's stack
        proc.send_signal(signal.SIGABRT)
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"the rebuild did not exit within 120 s of SIGINT; its stacks:\n{err}") from None
    assert proc.returncode == 130 and err == "artigov: error: interrupted\n"
    after = subprocess.run(
        [sys.executable, "-m", "artigov.cli", "index", "rebuild", "--root", str(ws)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert after.returncode == 0 and "Traceback" not in after.stderr
    assert not list(ws.glob(".artifacts_index.json.tmp.*"))
