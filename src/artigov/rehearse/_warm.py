"""A speed seam for rehearsals: a warm process that imported artigov once and forks one child per
command, instead of a new interpreter (and every import) per command.

A rehearsal runs a few hundred short commands; most of each one's CPU time is Python starting and
importing. :class:`WarmRunner` starts one server process (``python -m artigov.rehearse._warm``)
that imports the command line and the packages with every name they export, builds the
command line's Typer command tree (:func:`artigov.cli.app.prebuild`) and makes python-gnupg's
version probe, then, for each request, ``fork()``\\ s a child
that sets the request's working folder and environment, re-reads the fault settings read from
the environment at import, points its stdin at ``/dev/null`` and
its stdout and stderr at files, and runs ``artigov`` (or a ``python -c`` script) exactly as a new
process would, ending with the command's exit status. The child is a real process with its own
pid: crash points still end it with ``os._exit``, and a rehearsal still SIGKILLs it at random
moments. Nothing else in artigov knows about this module (``prebuild`` is a plain function):
:func:`run_cli` falls back to a new interpreter whenever no runner is active.

The protocol (one JSON object per line): the rehearsal writes
``{"argv": [...], "cwd": ..., "env": {...}, "out": path, "err": path, "code": str|null}``; the
server answers ``{"pid": n}`` once the child is forked, then ``{"status": n}`` when it ended
(``-9`` when killed by SIGKILL, as :mod:`subprocess` reports it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

__all__ = ["WarmRunner", "active", "run_cli", "warm"]

#: Imported once by the server, with every name they export, before any fork.
_PRELOAD = (
    "artigov.cli.app",
    "artigov.cli.quick",
    "artigov.commands.runner",
    "artigov.promote",
    "artigov.contract",
    "artigov.hydrate",
    "artigov.index",
    "artigov.router",
    "artigov.schema",
    "gnupg",
    "jsonschema",
    "yaml",
)


class WarmProcess:
    """One command forked by the server: its pid, and (after :meth:`wait`) its exit status and output."""

    def __init__(self, runner: WarmRunner, pid: int, out: Path, err: Path) -> None:
        self.runner, self.pid, self._out, self._err = runner, pid, out, err
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the command to end; its exit status (negative: the signal that ended it). Past
        ``timeout`` seconds the command is killed (SIGKILL) and :class:`subprocess.TimeoutExpired`
        raised, as :func:`subprocess.run` does."""
        if self.returncode is None:
            try:
                self.returncode = int(self.runner._reply(timeout)["status"])
            except subprocess.TimeoutExpired:
                import signal

                with suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.returncode = int(self.runner._reply()["status"])
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


class WarmRunner:
    """The server process and its scratch folder for captured output."""

    def __init__(self) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="agwarm-"))
        self._n = 0
        self._buffer = b""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "artigov.rehearse._warm"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env={k: v for k, v in os.environ.items() if not k.startswith("ARTIGOV_FAULT")},
        )
        self._reply(300)  # {"ready": true}: every preload imported

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
                raise subprocess.TimeoutExpired(["artigov (warm)"], timeout or 0)
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the rehearsal's warm runner ended unexpectedly")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        value: dict[str, Any] = json.loads(line)
        return value

    def start(self, argv: list[str], cwd: Path, env: Mapping[str, str], *, code: str | None = None) -> WarmProcess:
        """Fork one command (``artigov`` with ``argv``; or, with ``code``, ``python -c code *argv``)."""
        self._n += 1
        out, err = self._scratch / f"{self._n}.out", self._scratch / f"{self._n}.err"
        request = {"argv": argv, "cwd": str(cwd), "env": dict(env), "out": str(out), "err": str(err), "code": code}
        assert self._proc.stdin is not None
        self._proc.stdin.write((json.dumps(request) + "\n").encode())
        self._proc.stdin.flush()
        return WarmProcess(self, int(self._reply(60)["pid"]), out, err)

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


class _Active:
    runner: WarmRunner | None = None


def active() -> WarmRunner | None:
    """The runner of the rehearsal in progress, if any."""
    return _Active.runner


@contextmanager
def warm() -> Iterator[WarmRunner]:
    """Make a warm runner the active one for the duration of a rehearsal."""
    runner = WarmRunner()
    previous, _Active.runner = _Active.runner, runner
    try:
        yield runner
    finally:
        _Active.runner = previous
        runner.close()


def run_cli(
    args: list[str], cwd: Path, env: Mapping[str, str], *, code: str | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``artigov args`` (or ``python -c code args``) in ``cwd`` with exactly ``env``: forked by
    the active warm runner, else in a new interpreter."""
    runner = active()
    if runner is not None:
        return runner.run(args, cwd, env, code=code, timeout=timeout)
    head = [sys.executable, "-c", code] if code is not None else [sys.executable, "-m", "artigov.cli"]
    return subprocess.run(
        [*head, *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )


# -- the server --------------------------------------------------------------------------------------


def _child(request: dict[str, Any]) -> None:  # pragma: no cover - runs in the forked child
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _reread_environment()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        if request["code"] is not None:
            sys.argv = ["-c", *request["argv"]]
            exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = ["artigov", *request["argv"]]
            from artigov.cli.quick import main

            main()
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
    from artigov.core import configure_faults

    configure_faults(os.environ)
    tempfile.tempdir = None  # tempfile.gettempdir() reads TMPDIR again


def _serve(requests: IO[str], replies: IO[str]) -> None:  # pragma: no cover - the server process
    import importlib

    for name in _PRELOAD:
        module = importlib.import_module(name)
        for export in getattr(module, "__all__", ()):
            getattr(module, export)  # a package's names load on first use (core.lazy_exports): load them all
    from artigov.cli.app import prebuild
    from artigov.core import gpg_for, throwaway_gnupg_home

    prebuild()  # Typer's command tree, built once here instead of in every forked command
    with throwaway_gnupg_home() as home:
        gpg_for(home)  # python-gnupg's `gpg --list-config` probe, made once here (see core._gpg)
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
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        replies.write(json.dumps({"status": code}) + "\n")
        replies.flush()


if __name__ == "__main__":  # pragma: no cover
    _serve(sys.stdin, sys.stdout)
