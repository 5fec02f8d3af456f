"""The fork door (core/_forkdoor.py): a warm server any process of its user reaches through a Unix
socket, forking each request from a process started with the environment it was given (a hash
seed, above all). Real processes, a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from artigov.core import ForkDoor, call_door

SEED = "271828"


def test_each_request_runs_forked_with_the_servers_hash_seed_and_a_closed_door_answers_nothing(
    tmp_path: Path,
) -> None:
    fresh = subprocess.run(
        [sys.executable, "-c", "print(hash('artigov'))"],
        env={**os.environ, "PYTHONHASHSEED": SEED},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if os.environ.get("PYTHONHASHSEED") == SEED:
        pytest.skip("this test process already hashes with the door's seed")
    assert fresh.strip() != str(hash("artigov"))  # the caller hashes otherwise
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    with ForkDoor(
        ["artigov.core.testing"], "artigov.core.testing:print_str_hash", env={"PYTHONHASHSEED": SEED}
    ) as door:
        assert oct(door.path.parent.stat().st_mode & 0o777) == "0o700"  # only its owner reaches it
        for _ in range(2):  # one server, any number of requests
            done = call_door(str(door.path), ["probe"], tmp_path, env)
            assert done is not None
            assert (done.returncode, done.stdout.decode(), done.stderr) == (0, fresh, b"")
    assert call_door(str(door.path), ["probe"], tmp_path, env) is None  # closed: nothing answers
    assert not door.path.parent.exists()
    assert call_door(str(tmp_path / "no-such-door"), ["probe"], tmp_path, env) is None


def test_a_request_the_child_fails_comes_back_with_its_status_and_error(tmp_path: Path) -> None:
    with ForkDoor([], "artigov.core.no_such_module:main", env={}) as door:
        done = call_door(str(door.path), ["probe"], tmp_path, dict(os.environ))
    assert done is not None and done.returncode == 1
    assert b"ModuleNotFoundError" in done.stderr


@pytest.mark.parametrize("answer", [b"not json\n", b'{"other": 1}\n', b"[1]\n", b""])
def test_a_socket_that_is_not_a_door_answers_nothing(tmp_path: Path, answer: bytes) -> None:
    """A path naming some other program's socket (or one that hangs up) is no door: None, so the
    caller starts a new interpreter, never a traceback."""
    import socket
    import threading

    path = tmp_path / "other"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def answer_once() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.makefile("rb").readline()
            conn.sendall(answer)

    thread = threading.Thread(target=answer_once)
    thread.start()
    try:
        assert call_door(str(path), ["probe"], tmp_path, dict(os.environ), timeout=30) is None
    finally:
        thread.join(timeout=30)
        listener.close()
