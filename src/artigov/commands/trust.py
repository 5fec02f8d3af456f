"""``artigov trust init|show|propose|sign|status``: the Typer-free command functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from artigov.commands.formats import Format
from artigov.commands.names import Command
from artigov.commands.runner import execute
from artigov.core import EXIT_FINDINGS, EXIT_OK, Workspace

if TYPE_CHECKING:
    from artigov.promote import TrustChanges, TrustResult

__all__ = ["run_trust_init", "run_trust_propose", "run_trust_show", "run_trust_sign", "run_trust_status"]


def _result(command: str, result: TrustResult, fmt: Format) -> int:
    from artigov.commands.render import emit_json

    if fmt is Format.json:
        emit_json({"ok": True, **result.to_dict()})
        return EXIT_OK
    if result.state == "accepted":
        print(
            f"{command}: version {result.version} accepted ({result.digest}) in {result.folder}/, "
            f"signed by {', '.join(result.signed_by)}; commit it (git add {result.folder})"
        )
    else:
        print(
            f"{command}: version {result.version} proposed in {result.folder}/ ({result.digest}), "
            f"signed by {', '.join(result.signed_by) or 'nobody yet'}; not valid yet: {'; '.join(result.missing)}"
        )
        print(f"{command}: commit it and have the other root key holders run `artigov trust sign`")
    for note in result.notes:
        print(f"{command}: note: {note}")
    return EXIT_OK


def run_trust_init(root: Path | None, root_keys: list[str], threshold: int, keys: list[str], fmt: Format) -> int:
    """``artigov trust init``: version 1 from today's settings."""

    def action(ws: Workspace) -> int:
        from artigov.promote import trust_init

        return _result("trust init", trust_init(ws, root_keys=root_keys, threshold=threshold, keys=keys), fmt)

    return execute(Command.TRUST_INIT, root, action)


def run_trust_propose(
    root: Path | None, changes: TrustChanges, document: Path | None, keys: list[str], fmt: Format
) -> int:
    """``artigov trust propose``: version N+1 as a pending proposal (signed with ``keys``)."""

    def action(ws: Workspace) -> int:
        from artigov.core import ArtigovError
        from artigov.promote import trust_propose

        data = None
        if document is not None:
            try:
                data = document.read_bytes()
            except OSError as e:
                raise ArtigovError(f"{document}: {e.strerror}", fix="name a readable JSON file") from None
        return _result("trust propose", trust_propose(ws, changes, document=data, keys=keys), fmt)

    return execute(Command.TRUST_PROPOSE, root, action)


def run_trust_sign(root: Path | None, keys: list[str], version: int | None, fmt: Format) -> int:
    """``artigov trust sign``: sign the pending proposal; accepted when the signatures suffice."""

    def action(ws: Workspace) -> int:
        from artigov.promote import trust_sign

        return _result("trust sign", trust_sign(ws, keys=keys, version=version), fmt)

    return execute(Command.TRUST_SIGN, root, action)


def _doc_lines(doc: dict[str, Any]) -> list[str]:
    lines = [f"  root keys (threshold {doc['root']['threshold']}): {', '.join(doc['root']['keys'])}"]
    for name, f in doc["frameworks"].items():
        for gate, keys in f["signers"].items():
            lines.append(f"  {name}: gate {gate} may be signed by {', '.join(keys)}")
        for person, keys in f["people"].items():
            lines.append(f"  {name}: {person} approves with {', '.join(keys)}")
    return lines


def run_trust_show(root: Path | None, version: int | None, pin: str | None, fmt: Format) -> int:
    """``artigov trust show``: the newest valid version (or ``version``) of the trust document."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.core import load_trust

        chain = load_trust(ws, pin=pin)
        doc = chain.version(version, what="--version") if version else chain.newest
        entry = chain.versions[doc.version - 1]
        if fmt is Format.json:
            emit_json(
                {
                    "ok": True,
                    "version": doc.version,
                    "newest": chain.newest.version,
                    "digest": entry.digest,
                    "signed_by": list(entry.signed_by),
                    "document": doc.to_dict(),
                }
            )
            return EXIT_OK
        print(f"trust: version {doc.version} of {chain.newest.version} ({entry.digest})")
        print(f"  signed by: {', '.join(entry.signed_by)}")
        for line in _doc_lines(doc.to_dict()):
            print(line)
        print(chain.tofu_note())
        return EXIT_OK

    return execute(Command.TRUST_SHOW, root, action, audit=False)


def run_trust_status(root: Path | None, pin: str | None, fmt: Format) -> int:
    """``artigov trust status``: the chain, its proposals and what they lack (exit 1 if it does not hold)."""

    def action(ws: Workspace) -> int:
        from artigov.commands.render import emit_json
        from artigov.promote import trust_status

        st = trust_status(ws, pin=pin)
        if fmt is Format.json:
            emit_json(st.to_dict())
            return EXIT_OK if st.ok else EXIT_FINDINGS
        if not st.ok:
            assert st.problem is not None
            print(f"trust: FAILED: {st.problem['code']} {st.problem['message']} (fix: {st.problem['fix']})")
        for v in st.versions:
            print(
                f"trust: version {v['version']} valid ({v['digest']}): root {', '.join(v['root_keys'])} "
                f"(threshold {v['threshold']}), signed by {', '.join(v['signed_by'])}"
            )
        for p in st.pending:
            if p["state"] == "pending":
                have = ", ".join(p["signed_by"]) or "nobody yet"
                missing = "; ".join(p["missing"]) or "valid: `artigov trust sign` accepts it"
                print(f"trust: version {p['version']} proposed in {p['folder']}/: signed by {have}; {missing}")
            else:
                print(f"trust: {p['folder']}/ is {p['state']}: {p['problem']}")
        if st.note:
            print(st.note)
        for setting in st.retired_settings:
            print(f"trust: note: {setting} counts for nothing now; remove it")
        return EXIT_OK if st.ok else EXIT_FINDINGS

    return execute(Command.TRUST_STATUS, root, action, audit=False)
