"""A speed seam for a check that needs a NEW interpreter (another ``PYTHONHASHSEED``) many times: a
warm server any process of the same user can reach through a Unix socket, which forks one child per
request instead of starting Python (and every import) again.

A promotion proves its plan deterministic by computing it again in a process with another hash seed
(:mod:`artigov.hydrate`); a rehearsal runs dozens of promotions, each of which paid a new interpreter
for that (~0.13 s of CPU, nearly all imports). :class:`ForkDoor` starts the server
(``python -m artigov.core._forkdoor``) with the environment it is given (the hash seed is fixed
when an interpreter starts, so a child forked from this server hashes with the server's seed),
imports the modules it is told once, and then listens on ``<scratch>/door``: the scratch folder is
made by :func:`tempfile.mkdtemp` (mode 0700), so only its owner can reach it. :func:`call_door`
sends one request and gives the child's outcome as :func:`subprocess.run` would, or None when the
door cannot be reached (the caller then starts a new interpreter, as without a door). The server
serves one request at a time and ends when its owner closes its standard input (or exits).

The protocol: the owner writes ``{"preload": [...], "prepare": [...], "main": "module:function",
"door": path}`` on the server's standard input and it answers ``{"ready": true}``; a caller then
writes one line ``{"argv": [...], "cwd": ..., "env": {...}, "out": path, "err": path}`` on a
connection and the server answers ``{"status": n}`` on it when the child has ended (its output is
in the files the caller named).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from artigov.core._faults import without_faults

__all__ = ["ForkDoor", "call_door"]

#: The socket's name inside the server's scratch folder.
DOOR_NAME = "door"


class ForkDoor:
    """The door server: ``preload`` and ``prepare`` as :class:`~artigov.core.ForkServer` takes them,
    ``main`` the entry point every request runs, ``env`` the server's own environment (say, a
    ``PYTHONHASHSEED``). :attr:`path` is the socket to give callers.

    Raises:
        OSError: the server could not start or listen (the caller goes on without a door).
    """

    def __init__(
        self, preload: Sequence[str], main: str, *, env: Mapping[str, str], prepare: Sequence[str] = ()
    ) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="agdoor-"))
        self.path = self._scratch / DOOR_NAME
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "artigov.core._forkdoor"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**without_faults(os.environ), **env},
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        setup = {"preload": list(preload), "prepare": list(prepare), "main": main, "door": str(self.path)}
        self._proc.stdin.write((json.dumps(setup) + "\n").encode())
        self._proc.stdin.flush()
        if not json.loads(self._proc.stdout.readline() or b"{}").get("ready"):
            self.close()
            raise OSError(f"the fork door at {self.path} did not start")

    def close(self) -> None:
        """End the server and remove its scratch folder."""
        import shutil

        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()
        self._proc.wait(timeout=60)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> ForkDoor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def call_door(
    path: str, argv: list[str], cwd: Path, env: Mapping[str, str], *, timeout: float = 300
) -> subprocess.CompletedProcess[bytes] | None:
    """Run one request through the door at ``path``: the child's exit status and output, or None
    when no door answers there (no server, a stale path, a server that went away, a socket that
    answers something else)."""
    with tempfile.TemporaryDirectory(prefix="agdoor-call-") as scratch:
        out, err = Path(scratch) / "out", Path(scratch) / "err"
        request = {"argv": argv, "cwd": str(cwd), "env": dict(env), "out": str(out), "err": str(err)}
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(timeout)
                conn.connect(path)
                conn.sendall((json.dumps(request) + "\n").encode())
                reply = conn.makefile("rb").readline()
        except OSError:
            return None
        try:
            status = int(json.loads(reply)["status"])
            return subprocess.CompletedProcess(argv, status, out.read_bytes(), err.read_bytes())
        except (ValueError, KeyError, TypeError, OSError):
            return None  # not a door's answer (another program's socket, or the server went away)


# -- the server --------------------------------------------------------------------------------------


def _serve(setup: dict[str, Any]) -> None:  # pragma: no cover - the server process
    import select

    from artigov.core._forkserver import _setup

    _setup(setup)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(setup["door"])
    listener.listen(8)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    while True:
        ready, _, _ = select.select([sys.stdin.fileno(), listener], [], [])
        if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 4096):
            return  # the owner closed the pipe, or is gone
        if listener in ready:
            conn, _ = listener.accept()
            with conn:
                _answer(conn, setup["main"])


def _answer(conn: socket.socket, main: str) -> None:  # pragma: no cover - the server process
    """Fork the child of one connection's request (running ``main``), then tell it the exit status."""
    from artigov.core._forkserver import _child

    line = conn.makefile("rb").readline()
    try:
        request = {**json.loads(line), "main": main, "code": None}
    except ValueError:
        return
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        conn.close()
        _child(request)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with suppress(OSError):  # the caller may be gone (killed mid-check): nothing to tell then
        conn.sendall((json.dumps({"status": code}) + "\n").encode())


if __name__ == "__main__":  # pragma: no cover
    _serve(json.loads(sys.stdin.buffer.readline()))
