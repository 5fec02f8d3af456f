"""The invoke task collection ``artigov.tasks``.

A governance repository's ``tasks.py`` is one line::

    from artigov.tasks import ns

and maintainers run ``invoke validate`` (later ``invoke promote``). Each task
parses its flags and calls the same function as the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import Task
from invoke.tasks import task as _invoke_task

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.options import LOCK_TIMEOUT, LOG_FORMAT, LOG_LEVEL, ROOT, SHARED_OPTIONS
from artigov.rehearse import QUICK_HELP, WHAT

__all__ = ["demo", "index", "ns", "promote", "rehearse", "validate"]


def task(**kwargs: Any) -> Callable[[Callable[..., None]], Task[Any]]:
    """invoke's @task(...) without generated short flags (they collide: two `-l` options gave `--=STRING`)."""
    kwargs.setdefault("auto_shortflags", False)
    made: Callable[[Callable[..., None]], Task[Any]] = _invoke_task(**kwargs)
    return made


def _setup(log_format: str, log_level: str) -> None:
    from artigov.core import configure_logging, write_every_byte

    write_every_byte()
    configure_logging(log_format, log_level)


#: The options every task shares, and their defaults. A repository sets its own in invoke's
#: configuration, as invoke recommends (invoke.yaml beside tasks.py: ``artigov: {format: json,
#: lock_timeout: 60}``; or the environment: ``INVOKE_ARTIGOV_FORMAT=json``); a flag wins per run.
SHARED: dict[str, Any] = {o.name: o.default for o in SHARED_OPTIONS}
#: Each shared option's help line (``artigov.commands.options``: the command line's too).
_COMMON_HELP = {o.task_name: o.help for o in SHARED_OPTIONS}
#: The same, for the tasks that take no lock.
_HELP_NO_LOCK = {k: v for k, v in _COMMON_HELP.items() if k != LOCK_TIMEOUT.task_name}


def _opts(c: Context, **given: Any) -> dict[str, Any]:
    """The shared options: the flag if given, else invoke's ``artigov`` configuration, else the default."""
    conf = c.config.get("artigov") or {}
    out = {k: given.get(k) if given.get(k) is not None else conf.get(k, default) for k, default in SHARED.items()}
    try:
        out["lock_timeout"] = float(str(out["lock_timeout"]))
    except (TypeError, ValueError):
        raise Exit(f"artigov: error: --lock-timeout must be a number, not {out['lock_timeout']!r}", code=2) from None
    return out


def _format(value: str, kind: type[Any] = Format) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise Exit(f"artigov: error: --format must be one of: {', '.join(f.value for f in kind)}", code=2) from None


def _prepared(
    c: Context, root: str | None, format_: str | None, log_format: str | None, log_level: str | None
) -> tuple[Path | None, Any]:
    """The shared options resolved (flags win over invoke's configuration), logging set up:
    (workspace root or None, output format)."""
    o = _opts(c, root=root, format=format_, log_format=log_format, log_level=log_level)
    fmt = _format(o["format"])
    _setup(o["log_format"], o["log_level"])
    return (Path(o["root"]) if o["root"] else None), fmt


def _finish(code: int) -> None:
    if code:
        raise Exit(code=code)


@task(
    iterable=["path"],
    help={
        "path": "an artifact file to check (repeat for several); default: every artifact",
        **_HELP_NO_LOCK,
    },
)
def validate(
    c: Context,
    path: list[str] | None = None,
    root: str | None = None,
    format_: str | None = None,
    log_format: str | None = None,
    log_level: str | None = None,
) -> None:
    """Check artifacts' metadata against the schemas, checksums and duplicates."""
    from artigov.commands.formats import FindingFormat
    from artigov.commands.validate import run_validate

    o = _opts(c, root=root, format=format_, log_format=log_format, log_level=log_level)
    fmt = _format(o["format"], FindingFormat)
    _setup(o["log_format"], o["log_level"])
    _finish(run_validate(Path(o["root"]) if o["root"] else None, [Path(p) for p in path or []], fmt))


def _index(op: str, o: dict[str, Any], paths: list[str] | None = None) -> None:
    from artigov.commands.index import IndexOp, run_index

    fmt = _format(o["format"])
    _setup(o["log_format"], o["log_level"])
    where = Path(o["root"]) if o["root"] else None
    _finish(run_index(IndexOp(op, tuple(Path(p) for p in paths or [])), where, fmt, o["lock_timeout"]))


@task(
    name=Command.INDEX_ADD.leaf,
    iterable=["path"],
    help={"path": "an artifact file to index (repeat for several)", **_COMMON_HELP},
)
def index_add(
    c: Context,
    path: list[str] | None = None,
    root: str | None = None,
    format_: str | None = None,
    lock_timeout: str | None = None,
    log_format: str | None = None,
    log_level: str | None = None,
) -> None:
    """Index the given artifacts in one transaction."""
    o = _opts(c, root=root, format=format_, lock_timeout=lock_timeout, log_format=log_format, log_level=log_level)
    _index(Command.INDEX_ADD.leaf, o, path)


def _whole_index_task(command: Command, doc: str) -> Any:
    """One task per whole-workspace index operation: same flags, same function as `artigov index OP`."""
    op = command.leaf

    def body(
        c: Context,
        root: str | None = None,
        format_: str | None = None,
        lock_timeout: str | None = None,
        log_format: str | None = None,
        log_level: str | None = None,
    ) -> None:
        o = _opts(c, root=root, format=format_, lock_timeout=lock_timeout, log_format=log_format, log_level=log_level)
        _index(op, o)

    body.__doc__ = doc
    body.__name__ = f"index_{op}"
    return task(name=op, help=_COMMON_HELP)(body)


index_update = _whole_index_task(Command.INDEX_UPDATE, "Bring the index up to date, re-reading only changed files.")
index_rebuild = _whole_index_task(Command.INDEX_REBUILD, "Rebuild the index from scratch.")
index_verify = _whole_index_task(Command.INDEX_VERIFY, "Check the index against the files on disk; exit 1 on drift.")


index = Collection(Command.INDEX_ADD.group, index_add, index_update, index_rebuild, index_verify)


@task(
    positional=[],  # --framework and --gate are flags, so `invoke promote --help` works
    help={
        "framework": "the framework to promote",
        "gate": "the contract gate",
        "key": "signing key fingerprint",
        "commit": "stage exactly what the promotion wrote and make one git commit",
        "allow-dirty": "promote inputs with uncommitted changes (recorded in the manifest)",
        **_HELP_NO_LOCK,
    },
)
def promote(
    c: Context,
    framework: str,
    gate: str,
    key: str | None = None,
    commit: bool = False,
    allow_dirty: bool = False,
    root: str | None = None,
    format_: str | None = None,
    log_format: str | None = None,
    log_level: str | None = None,
) -> None:
    """validate -> route check -> index update -> contract check -> hydrate -> promote (stops at a failure)."""
    from artigov.commands.pipeline import run_pipeline
    from artigov.promote import PromoteOptions

    where, fmt = _prepared(c, root, format_, log_format, log_level)
    _finish(run_pipeline(where, framework, gate, fmt, PromoteOptions(key=key, commit=commit, allow_dirty=allow_dirty)))


@task(
    positional=[],
    help={
        "framework": "the framework to roll back",
        "to": "the snapshot to restore (default: the gate's previous good snapshot)",
        "gate": "the gate whose previous good snapshot to restore (with no --to)",
        "reason": "why (recorded in the signed manifest and the decision log)",
        "key": "signing key fingerprint",
        "commit": "stage exactly what the rollback wrote and make one git commit",
        **_HELP_NO_LOCK,
    },
)
def rollback(
    c: Context,
    framework: str,
    to: int | None = None,
    gate: str | None = None,
    reason: str = "",
    key: str | None = None,
    commit: bool = False,
    root: str | None = None,
    format_: str | None = None,
    log_format: str | None = None,
    log_level: str | None = None,
) -> None:
    """Restore an earlier snapshot's files, recorded as a new signed snapshot (artigov rollback)."""
    from artigov.commands.promote import run_rollback
    from artigov.promote import RollbackOptions

    where, fmt = _prepared(c, root, format_, log_format, log_level)
    target = None
    if to is not None:  # invoke passes a flag without a typed default as text
        if not str(to).isdigit():
            raise Exit(f"artigov: error: --to {to!r} is not a snapshot number (fix: pass a number, e.g. --to 2)", 2)
        target = int(to)
    _finish(run_rollback(where, framework, fmt, reason, RollbackOptions(key, commit, to=target, gate=gate)))


def _transition_task(command: Command, doc: str) -> Any:
    action = command.value

    def body(
        c: Context,
        path: str,
        as_: str | None = None,
        key: str | None = None,
        comment: str = "",
        root: str | None = None,
        format_: str | None = None,
        log_format: str | None = None,
        log_level: str | None = None,
    ) -> None:
        from artigov.commands.approve import run_transition
        from artigov.contract import Signoff

        where, fmt = _prepared(c, root, format_, log_format, log_level)
        _finish(run_transition(where, action, Path(path), fmt, Signoff(as_, key, comment)))

    body.__doc__ = doc
    body.__name__ = action
    return task(
        name=action,
        positional=[],  # --path is a flag, so `invoke approve --help` works
        help={
            "path": "the document (or its sidecar)",
            "as": "who decides (default: $ARTIGOV_ACTOR, else git user.email)",
            "key": "fingerprint to sign with (default: your key from the contract's people:)",
            "comment": "why, for the record" + (" (required)" if command is Command.REJECT else ""),
            **_HELP_NO_LOCK,
        },
    )(body)


review = _transition_task(Command.REVIEW, "Submit a draft for review (draft -> review), with a signed statement.")
approve = _transition_task(
    Command.APPROVE, "Approve a document in review (review -> approved), with a signed statement."
)
reject = _transition_task(Command.REJECT, "Reject a document (back to draft), with a signed statement saying why.")


@task(help={"dir": "where to put the demo workspace (default: a new temp folder)"})
def demo(c: Context, dir: str | None = None) -> None:
    """The whole story on a temp copy of the example workspace with a throwaway key."""
    from artigov.demo import run_demo

    _setup(LOG_FORMAT.default, LOG_LEVEL.default)
    _finish(run_demo(Path(dir) if dir else None))


@task(
    help={
        "what": ", ".join(WHAT),
        "quick": QUICK_HELP,
        ROOT.task_name: ROOT.help,
    }
)
def rehearse(c: Context, what: str = "all", quick: bool = False, root: str | None = None) -> None:
    """Crash sweeps and rollback playbooks on a temporary copy of this workspace (never the workspace)."""
    from artigov.core import ArtigovError, find_root
    from artigov.rehearse import Scope
    from artigov.rehearse import rehearse as run

    _setup(LOG_FORMAT.default, "error")
    if what not in WHAT:
        raise Exit(f"artigov: error: unknown rehearsal {what!r} (fix: use one of: {', '.join(WHAT)})", code=2)
    try:
        where = _opts(c, root=root)["root"]
        _finish(run(find_root(Path(where) if where else None), Scope(what, quick)))
    except ArtigovError as e:
        raise Exit(f"artigov: error: {e}", code=e.exit_code) from None


ns = Collection(validate, index, promote, rollback, review, approve, reject, demo, rehearse)
ns.configure({"artigov": SHARED})
