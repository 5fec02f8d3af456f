"""A speed seam for anything that runs many short artigov processes (a rehearsal, a test's fault
sweep): one server process that imported what they need once and ``fork()``\\ s one child per
command, instead of a new interpreter (and every import) per command.

:class:`ForkServer` starts the server (``python -m artigov.core._forkserver``) and sends it its
setup: the modules to import (with every name they export: a package's names load on first use,
:func:`artigov.core.lazy_exports`) and the functions to call once (``"module:function"``, e.g. a
command line that builds its command tree). Then, for each request, the server forks a child that
sets the request's working folder and environment, re-reads what artigov reads from the
environment at import (the fault settings) or on first use (the temporary folder), points its
stdin at ``/dev/null`` and its stdout and stderr at files, and runs the request's entry point (or a
``python -c`` script) exactly as a new process would, ending with its exit status. The child is a
real process with its own pid: a fault point still ends it with ``os._exit``, and a caller can
still SIGKILL it at any moment.

The protocol (one JSON object per line): the caller first writes
``{"preload": [...], "prepare": [...]}`` and the server answers ``{"ready": true}``; then each
request is ``{"argv": [...], "cwd": ..., "env": {...}, "out": path, "err": path, "main": str|null,
"code": str|null}`` (``main``: ``"module:function"``, called with ``sys.argv`` set to
``[argv0, *argv]``); the server answers ``{"pid": n}`` once the child is forked, then
``{"status": n}`` when it ended (``-9`` when killed by SIGKILL, as :mod:`subprocess` reports it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from artigov.core._faults import without_faults

__all__ = ["ForkServer", "Forked"]


class Forked:
    """One command forked by the server: its pid, and (after :meth:`wait`) its exit status and output."""

    def __init__(self, server: ForkServer, pid: int, out: Path, err: Path) -> None:
        self.server, self.pid, self._out, self._err = server, pid, out, err
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the command to end; its exit status (negative: the signal that ended it). Past
        ``timeout`` seconds the command is killed (SIGKILL) and :class:`subprocess.TimeoutExpired`
        raised, as :func:`subprocess.run` does."""
        if self.returncode is None:
            try:
                self.returncode = int(self.server._reply(timeout)["status"])
            except subprocess.TimeoutExpired:
                import signal

                with suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.returncode = int(self.server._reply()["status"])
                raise
        return self.returncode

    def result(self, argv: list[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """Wait, then the command's outcome as :func:`subprocess.run` gives it (text output)."""
        code = self.wait(timeout)
        out = self._out.read_text("utf-8", errors="replace")
        err = self._err.read_text("utf-8", errors="replace")
        self._out.unlink(missing_ok=True)
        self._err.unlink(missing_ok=True)
        return subprocess.CompletedProcess(argv, code, out, err)


class ForkServer:
    """The server process and its scratch folder for captured output; one command at a time.

    ``preload``: modules imported once (with every name they export); ``prepare``: functions
    (``"module:function"``) called once after that; ``main``: the entry point a request runs unless
    it brings ``code`` (None: every request brings it); ``argv0``: ``sys.argv[0]`` of a command (the
    name it says in its usage).
    """

    def __init__(
        self, preload: Sequence[str], prepare: Sequence[str] = (), *, main: str | None = None, argv0: str = "python"
    ) -> None:
        self.main, self.argv0 = main, argv0
        self._scratch = Path(tempfile.mkdtemp(prefix="agfork-"))
        self._n = 0
        self._buffer = b""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "artigov.core._forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env=without_faults(os.environ),
        )
        self._send({"preload": list(preload), "prepare": list(prepare)})
        self._reply(300)  # {"ready": true}: every preload imported

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write((json.dumps(message) + "\n").encode())
        self._proc.stdin.flush()

    def _reply(self, timeout: float | None = None) -> dict[str, Any]:
        """The server's next line (read unbuffered, so a deadline is never missed for a line already
        read into a buffer)."""
        import select
        import time

        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and (left <= 0 or not select.select([fd], [], [], left)[0]):
                raise subprocess.TimeoutExpired([f"{self.argv0} (forked)"], timeout or 0)
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the fork server of {self.argv0} ended unexpectedly")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        value: dict[str, Any] = json.loads(line)
        return value

    def start(self, argv: list[str], cwd: Path, env: Mapping[str, str], *, code: str | None = None) -> Forked:
        """Fork one command (the entry point with ``argv``; or, with ``code``, ``python -c code *argv``)."""
        self._n += 1
        out, err = self._scratch / f"{self._n}.out", self._scratch / f"{self._n}.err"
        main = None if code is not None else self.main
        if main is None and code is None:
            raise ValueError("this fork server has no entry point: pass code")
        for path in (out, err):  # there even if the child is killed before it opens them
            path.write_bytes(b"")
        request = {"argv": [self.argv0, *argv] if main else argv, "cwd": str(cwd), "env": dict(env)}
        self._send({**request, "out": str(out), "err": str(err), "main": main, "code": code})
        return Forked(self, int(self._reply(60)["pid"]), out, err)

    def run(
        self, argv: list[str], cwd: Path, env: Mapping[str, str], *, code: str | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """Run one command to its end (killed past ``timeout`` seconds: TimeoutExpired)."""
        return self.start(argv, cwd, env, code=code).result(argv, timeout)

    def close(self) -> None:
        """End the server (it has no child left) and remove the scratch folder."""
        import shutil

        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=60)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the server --------------------------------------------------------------------------------------


def _entry(name: str) -> Any:  # pragma: no cover - runs in the server and its children
    """The function ``"module:function"`` names."""
    import importlib

    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def _child(request: dict[str, Any]) -> None:  # pragma: no cover - runs in the forked child
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):  # first: every error is the command's
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _reread_environment()
        if request["code"] is not None:
            sys.argv = ["-c", *request["argv"]]
            exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = list(request["argv"])
            _entry(request["main"])()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - a new interpreter prints the traceback and exits 1: so does the child
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _reread_environment() -> None:  # pragma: no cover - runs in the forked child
    """Settings read from the environment at import or first use: read them again (the fault
    settings, the temporary folder; the operational log's rotation size is the server's, which every
    request inherits unchanged)."""
    from artigov.core._faults import configure_faults

    configure_faults(os.environ)
    tempfile.tempdir = None  # tempfile.gettempdir() reads TMPDIR again


def _setup(setup: dict[str, Any]) -> None:  # pragma: no cover - the server process
    import importlib

    for name in setup["preload"]:
        module = importlib.import_module(name)
        for export in getattr(module, "__all__", ()):
            getattr(module, export)  # a package's names load on first use (core.lazy_exports): load them all
    for name in setup["prepare"]:
        _entry(name)()


def _serve(requests: IO[str], replies: IO[str]) -> None:  # pragma: no cover - the server process
    _setup(json.loads(requests.readline()))
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)  # -9: killed by SIGKILL, as subprocess says
        replies.write(json.dumps({"status": code}) + "\n")
        replies.flush()


if __name__ == "__main__":  # pragma: no cover
    _serve(sys.stdin, sys.stdout)
