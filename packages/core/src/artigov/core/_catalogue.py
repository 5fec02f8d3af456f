"""Every finding and refusal code artigov reports, stated once: code, name, summary, help.

Text, JSON and SARIF output take a code's name and default fix from here, and the README's code
tables are generated from it (``nox -s codes`` rewrites them; a test fails when they drift).
A code is never reused: a retired one stays listed with its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOGUE", "Code"]


@dataclass(frozen=True)
class Code:
    """One stable code.

    Attributes:
        code: ``S014``: a family letter and three digits.
        name: short stable name (``schema-violation``): SARIF's rule name, JSON's ``name``.
        summary: what it means, one line (the README's tables).
        help: the default fix, used when a finding does not give a more specific one ("" when
            every finding of the code gives its own).
    """

    code: str
    name: str
    summary: str
    help: str = ""


CATALOGUE: tuple[Code, ...] = (
    # Validation of artifacts (S), their YAML (Y) and JSON (J) metadata.
    Code("S001", "unreadable-file", "missing, a directory, or unreadable", "check the path and its permissions"),
    Code("S002", "empty-file", "the file is empty", "add a frontmatter block with the artifact's metadata"),
    Code(
        "S003",
        "binary-file",
        "a NUL byte anywhere: describe it with a sidecar instead",
        "describe binary files with a sidecar X.meta.yaml instead of frontmatter",
    ),
    Code(
        "S004",
        "not-utf8",
        "not valid UTF-8 (UTF-16/UTF-32 are named, with the `iconv` line that converts them)",
        "save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)",
    ),
    Code(
        "S005",
        "no-metadata",
        "no frontmatter and no sidecar",
        "add a `---` frontmatter block at the top, or a sidecar X.meta.yaml",
    ),
    Code(
        "S006",
        "unterminated-frontmatter",
        "the frontmatter is never closed",
        "close the frontmatter with a line holding only `---`",
    ),
    Code(
        "S007",
        "frontmatter-too-large",
        "frontmatter over 64 KiB",
        "keep frontmatter under 64 KiB; move content into the body",
    ),
    Code(
        "S008",
        "file-too-large",
        "a frontmatter artifact over 16 MiB",
        "artifacts with frontmatter are limited to 16 MiB; use a sidecar for large files",
    ),
    Code("S013", "metadata-not-mapping", "metadata is a list or scalar", "write the metadata as `key: value` lines"),
    Code(
        "S014",
        "schema-violation",
        "a field breaks the schema (the message names it; the fix says how)",
        "fix the field as the message says",
    ),
    Code(
        "S015",
        "checksum-mismatch",
        "the declared checksum differs from the content's",
        "update `checksum` to the content's sha256, or restore the content",
    ),
    Code(
        "S016",
        "duplicate-id-version",
        "the same (id, version) in two files (both named)",
        "give one of the two a new version, or remove the copy",
    ),
    Code(
        "S017",
        "orphan-sidecar",
        "a sidecar whose file does not exist",
        "restore the described file, or delete the sidecar",
    ),
    Code(
        "S018",
        "two-sidecars",
        "a file with both `.meta.yaml` and `.meta.json`",
        "keep one sidecar: X.meta.yaml or X.meta.json",
    ),
    Code(
        "S019",
        "outside-workspace",
        "a path outside the workspace, or a symlink (however reached) whose target is",
        "pass paths inside the workspace",
    ),
    Code(
        "S020",
        "toml-frontmatter",
        "`+++` TOML frontmatter (Hugo): rewrite it as YAML between `---` lines, or use a sidecar",
        "rewrite the `+++` TOML block as YAML between `---` lines, or use a sidecar",
    ),
    Code(
        "S021",
        "not-a-regular-file",
        "a FIFO, socket or device, or a name with a line break or not in UTF-8, where artifacts are: never read",
        "remove or rename it",
    ),
    Code(
        "S022",
        "unlisted-folder",
        "a folder where artifacts are that cannot be listed (permissions, an I/O error): its artifacts are left out",
        "make the folder readable, or leave it out with `exclude` in artigov.yaml",
    ),
    Code("Y001", "yaml-invalid", "YAML syntax error", "fix the YAML syntax"),
    Code(
        "Y002",
        "yaml-alias",
        "anchors/aliases are refused",
        "write the value out in full instead of using anchors and aliases",
    ),
    Code("Y003", "yaml-tag", "explicit tags are refused", "remove the tag; quote the value if it must be a string"),
    Code(
        "Y004",
        "yaml-duplicate-key",
        "duplicate or merge (`<<`) keys; a key that is not text (`null:`, `true:`, `1:`: quote it); "
        "a `{…}` key (an unrendered `{{ … }}` template)",
        "keep one of the duplicate keys",
    ),
    Code("Y005", "yaml-too-deep", "nesting deeper than 64 levels", "flatten the structure"),
    Code(
        "J001",
        "json-invalid",
        "a JSON sidecar that is not valid JSON (or has duplicate keys, NaN)",
        "fix the JSON syntax",
    ),
    # Routing (R).
    Code("R001", "ambiguous-route", "two kinds routed to the same or nested folders", ""),
    Code("R002", "command-drift", "a command writes a kind somewhere other than its canonical folder", ""),
    Code("R003", "unrouted-command-kind", "a command produces a kind that has no route", ""),
    Code("R004", "route-not-allowed", "a route for a kind no contract allows", ""),
    Code(
        "R005",
        "escaping-template",
        "a template (or a resolved path) leaves the workspace: `..`, absolute, symlink outside",
        "",
    ),
    Code("R006", "misplaced-artifact", "an artifact not at its canonical path (the message names the path)", ""),
    Code("R007", "unknown-placeholder", "a template uses a placeholder artigov does not know", ""),
    Code("R008", "unrouted-artifact", "an artifact whose kind has no route", ""),
    # Contracts and their gates (C).
    Code("C001", "unknown-framework", "no contract for the framework", ""),
    Code("C002", "disallowed-kind", "an artifact of a kind the contract does not allow", ""),
    Code("C003", "missing-required-kind", "the gate needs a kind there is no artifact of", ""),
    Code("C004", "status-below-minimum", "artifacts of the kind exist, none at the gate's status", ""),
    Code("C005", "approval-missing", "an approved input with fewer approvers than the gate needs", ""),
    Code("C006", "approver-not-accountable", "an approver who is not accountable for the kind under RACI", ""),
    Code("C007", "unknown-gate", "no such gate", ""),
    Code("C008", "contract-invalid", "the contract breaks its schema", ""),
    Code(
        "C009",
        "contract-inconsistent",
        "a gate or RACI entry for a kind not allowed, a duplicate gate, a wrong framework name, "
        "one key given to two people",
        "",
    ),
    Code(
        "C010",
        "approval-unsigned",
        "the contract requires signed approvals; an approver listed in `approved_by` has no signed statement",
        "",
    ),
    Code(
        "C011",
        "approval-stale",
        "the approver's statement is for other content: the document changed after it was approved",
        "",
    ),
    Code(
        "C012",
        "approval-wrong-key",
        "the statement's signature does not verify, or is by someone else's key (or a stranger's)",
        "",
    ),
    Code(
        "C013",
        "approver-key-missing",
        "the trust version the statement names gives no key for the approver, or it is not in `governance/keys/`",
        "",
    ),
    Code("C014", "approval-rejected", "the approver's latest statement rejects the document", ""),
    Code(
        "C015",
        "approval-not-signed",
        "(warning, the gate passes) approved documents with an unsigned `approved_by` where the contract "
        "does not require signatures: one warning per kind, with the count and the first document",
        "",
    ),
    Code(
        "C016",
        "approval-body-only",
        "a warning: an approval statement from before statements covered the metadata covers the body only",
        "have the approver approve again",
    ),
    Code(
        "C017",
        "index-stale",
        "the committed index differs from the files: the gates would be checked against the index, "
        "not the documents (a pull request that changes a document without its index line)",
        "run `artigov index update`, review it, and commit the index",
    ),
    # Status transitions refused by review, approve and reject (A).
    Code(
        "A001",
        "status-skip",
        "the transition does not start from the document's status (approve a draft, review an approved document)",
        "",
    ),
    Code("A002", "self-approval", "the approver submitted it for review (`forbid_self_approval`)", ""),
    Code(
        "A003",
        "not-authorized",
        "RACI does not make the person accountable (approve) or responsible/accountable (review, reject)",
        "",
    ),
    Code("A004", "wrong-key", "`--key` is not the person's key in the newest trust version (or there is none)", ""),
    Code(
        "A005",
        "no-signing-key",
        "signatures are required and the person has no key (in the trust document, or no secret key here)",
        "",
    ),
    Code("A006", "not-a-valid-artifact", "the file is not a valid artifact, or its kind is not allowed", ""),
    Code("A007", "comment-required", "`reject` without `--comment`", ""),
    Code("A008", "bad-person-name", "the person's name cannot name a file (use an e-mail address)", ""),
    # Metadata edits (E).
    Code(
        "E001",
        "edit-refused",
        "a status change could not be written in place and proved by loading the file again",
        "edit the frontmatter by hand (block style, one `key: value` per line) and run the command again",
    ),
    # Hydration (H).
    Code("H001", "no-candidate", "no artifact of a required kind at the stage's minimum status"),
    Code("H002", "ambiguous-drafts", "several drafts tie where the stage needs one (`draft_fallback: newest` picks)"),
    Code("H003", "unknown-stage", "no such stage in the contract"),
    # Snapshot verification (V): the checks a snapshot must pass, in order.
    Code("V001", "no-snapshot", "the framework has no snapshot yet", "promote first"),
    Code("V002", "head-unreadable", "HEAD is missing or unreadable while snapshots exist (`repair-head` rebuilds it)"),
    Code("V003", "snapshot-missing", "the requested snapshot or gate does not exist, or was pruned by retention"),
    Code("V004", "manifest-altered", "the head manifest's bytes do not hash to the digest HEAD records"),
    Code("V005", "sequence-mismatch", "a snapshot folder holds a manifest with another sequence"),
    Code("V006", "parent-mismatch", "a parent digest is not the previous manifest's (altered or missing history)"),
    Code(
        "V007",
        "replayed-head",
        "a newer snapshot exists or is recorded in the decision log: a replayed older head, or a fork",
    ),
    Code("V008", "object-missing", "an object the manifest names is missing", "restore it from git"),
    Code("V009", "object-corrupt", "an object is corrupt, or does not hold the input its manifest entry describes"),
    Code("V010", "bad-signature", "the signature is missing or does not verify (flipped byte, unsigned snapshot)"),
    Code(
        "V011",
        "untrusted-signer",
        "the signer may not sign this gate under the trust version the manifest names, or is not the one named",
    ),
    Code("V012", "key-expired", "the signing key has expired"),
    Code("V013", "key-revoked", "the signing key has been revoked"),
    Code(
        "V014",
        "no-trusted-keys",
        "the trust version names no key that may sign this framework's gate",
        "propose a trust version that lists the signer: `artigov trust propose --add-signer F:GATE:FPR`",
    ),
    Code(
        "V015", "snapshot-expired", "the snapshot has passed its `expires`", "promote again to issue a fresh snapshot"
    ),
    Code("V016", "manifest-invalid", "the manifest breaks snapshot.schema.json"),
    Code(
        "V017",
        "decision-log-damaged",
        "the decision log no longer holds, intact, the lines the snapshot pins (truncated, edited or missing)",
        "restore the decision log from git",
    ),
    Code(
        "V018",
        "trusted-key-missing",
        "the public key of a trusted fingerprint is not found",
        "add governance/keys/FPR.asc",
    ),
    Code(
        "V019",
        "gates-mismatch",
        "HEAD's list of gates disagrees with the chain (a gate's current snapshot is not its newest)",
    ),
    Code(
        "V020",
        "promotion-interrupted",
        "a promotion was interrupted after its commit point",
        "finish it with `artigov repair-head` (or any promote or rollback)",
    ),
    Code(
        "V021",
        "approval-record-altered",
        "an approval statement (or its signature) the manifest records is missing or altered",
        "restore it from git",
    ),
    Code(
        "V022",
        "approval-mismatch",
        "a recorded approval does not approve exactly that input, or is not signed by the key it names",
    ),
    # The root of trust (T): signed, numbered versions of the trust document (DESIGN section 14).
    Code(
        "T001",
        "no-trust",
        "the record holds no trust version: nothing says whose signatures count",
        "`artigov trust init --key FPR` (a new record) or `artigov migrate-record` (an existing one)",
    ),
    Code("T002", "trust-malformed", "a trust version is not a valid, canonical trust document, or the chain has a gap"),
    Code(
        "T003",
        "trust-unsigned",
        "a trust version lacks the threshold of signatures by the previous version's root keys or its own",
        "propose the change with `artigov trust propose` and have the root key holders `artigov trust sign` it",
    ),
    Code("T004", "trust-pin-mismatch", "version 1 of the trust document is not the one pinned outside the repository"),
    Code("T005", "trust-proposal-refused", "a trust proposal or signature cannot be made (the message says why)"),
    Code(
        "T006",
        "trust-version-unknown",
        "a manifest or approval names a trust version that is not valid, or older than one already in force",
    ),
    # Continuity (G): the record at a later commit extends the record at an earlier one (`verify --since`).
    Code(
        "G001",
        "snapshot-rewritten",
        "a snapshot of the earlier commit is gone or changed, and no recorded prune removed it",
        "restore the snapshot from the earlier commit; a race is resolved by promoting again on top",
    ),
    Code("G002", "log-rewritten", "a decision log of the earlier commit is not a prefix of the later one"),
    Code("G003", "head-moved-back", "a framework's HEAD or a gate's head moved back (a revert, a reset)"),
    Code("G004", "trust-rewritten", "a trust version of the earlier commit is gone or changed"),
    Code("G005", "approval-rewritten", "an approval statement of the earlier commit is gone or changed"),
    Code(
        "G006",
        "stale-trust-version",
        "a snapshot added since the earlier commit names a trust version older than the one in force there",
    ),
)
