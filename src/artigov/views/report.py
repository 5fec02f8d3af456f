"""``artigov report``: one self-contained static HTML page for auditors.

The snapshot history as a timeline (sequence, gate, signer, rollbacks), the
status of every gate now, the hydration decisions behind the head snapshot
(winner and losers per kind, with their rank keys, from the audit log), and
whether the audit chain verifies. Inline CSS, no script, no network resource.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from artigov.core import Workspace

if TYPE_CHECKING:
    from artigov.promote import DecisionEvent, DecisionLog, Manifest, SnapshotRow, SnapshotStore

__all__ = ["build_report", "render_report"]

_CSS = "\n".join(
    [
        "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;"
        "color:#1d2330;padding:0 1rem}",
        "h1{font-size:1.6rem;margin-bottom:.2rem}",
        "h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}",
        "table{border-collapse:collapse;width:100%;margin:.5rem 0}",
        "th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eceff4;vertical-align:top}",
        "th{background:#f5f7fa;font-weight:600}",
        "code{font:12px ui-monospace,Menlo,monospace;overflow-wrap:anywhere}",
        "code.hash{overflow-wrap:normal;word-break:normal}.ts{white-space:nowrap}",
        ".key{white-space:nowrap;margin-right:.6rem}",
        ".badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:12px;font-weight:600}",
        ".ok,.passed,.won,.head{background:#e3f6e8;color:#17603a}",
        ".failed,.rejected,.bad{background:#fde8e8;color:#8a1c1c}",
        ".lost,.superseded,.pruned{background:#eef1f6;color:#4a5568}",
        ".rolled{background:#fff4d6;color:#7a5200}",
        ".muted{color:#6b7280}",
        ".timeline td:first-child{font-weight:600;width:3rem}",
        "section.snap{margin-top:2.5rem}h3{font-size:1rem;margin:1.2rem 0 .3rem}",
        "ul.diff{list-style:none;padding-left:.5rem}.added{color:#17603a}.removed{color:#8a1c1c}",
        ".rollback{background:#fff4d6;padding:.4rem .6rem;border-radius:4px}",
        "@page{size:A4;margin:14mm}",
        "@media print{body{max-width:none;margin:0;padding:0;font-size:10.5px}"
        "h2{break-after:avoid}tr,li{break-inside:avoid}section.snap{break-before:page}"
        ".badge{border:1px solid #888;background:none!important;color:#000!important}"
        "code{font-size:9.5px}th{background:none}}",
    ]
)


#: The decision events the report shows (by name prefix).
_REPORTED = ("gate_checked", "candidate_", "snapshot_promoted")


def _by_sequence(events: list[DecisionEvent]) -> dict[int, list[DecisionEvent]]:
    out: dict[int, list[DecisionEvent]] = {}
    for e in events:
        if e.sequence is not None:
            out.setdefault(e.sequence, []).append(e)
    return out


def _decision_rows(events: list[DecisionEvent]) -> list[dict[str, Any]]:
    return [
        {
            "kind": e.data.get("kind"),
            "path": e.subject,
            "outcome": e.outcome,
            "rank_key": e.data.get("rank_key"),
            "lost_to": e.data.get("lost_to"),
            "rule": e.data.get("rule"),
            "reason": e.data.get("reason"),
        }
        for e in events
        if e.name.startswith("candidate_")
    ]


def _inputs(
    ws: Workspace, framework: str, manifest: Manifest, events: list[DecisionEvent], names: dict[str, str]
) -> list[dict[str, Any]]:
    """Each input with its approvals (the statements the manifest records, else the ``approved_by``
    the decision log recorded, unsigned) and its reviews (the record's review statements for that
    exact content)."""
    from artigov.contract import statements_for

    promoted = next((e for e in events if e.name == "snapshot_promoted"), None)
    logged = {i.get("path"): i for i in (promoted.data.get("inputs", []) if promoted else [])}
    out = []
    for item in manifest.inputs:
        approvals = [
            {**a.to_dict(), "signed": bool(a.fingerprint), "name": names.get(str(a.fingerprint), "")}
            for a in item.approvals
        ]
        if not approvals:
            approvals = [
                {"approver": who, "signed": False, "name": "", "time": None}
                for who in logged.get(item.path, {}).get("approved_by", [])
            ]
        stated = statements_for(ws, framework, item.id, item.version)
        reviews = [
            {**st.summary(), "signed": st.signature is not None, "name": names.get(str(st.body.fingerprint), "")}
            for st in stated
            if st.body is not None and st.decision == "review" and st.body.checksum == item.checksum
        ]
        fields = ("kind", "id", "version", "status", "path")
        out.append({k: getattr(item, k) for k in fields} | {"approvals": approvals, "reviews": reviews})
    return out


def _gate_result(events: list[DecisionEvent]) -> dict[str, Any] | None:
    checked = next((e for e in events if e.name == "gate_checked"), None)
    if checked is None:
        return None
    data = checked.data
    return {
        "outcome": checked.outcome,
        "checked": data.get("checked"),
        "findings": len(data.get("findings", [])),
    }


def _snapshot_details(
    ws: Workspace, store: SnapshotStore, rows: list[SnapshotRow], events: list[DecisionEvent]
) -> list[dict[str, Any]]:
    from artigov.core import key_user_ids
    from artigov.promote import diff_inputs, snapshot_state

    framework = store.framework
    names = key_user_ids(ws.keys_dir)
    grouped = _by_sequence(events)
    last_of_gate: dict[str, tuple[int, Manifest]] = {}
    out = []
    for row in rows:
        if row.status == "pruned":
            continue
        s = row.sequence
        manifest = store.manifest(s)
        mine = grouped.get(s, [])
        decided_in = manifest.rollback_of or s  # a rollback restores an earlier snapshot's plan
        previous = last_of_gate.get(manifest.gate)
        detail = {
            "sequence": s,
            "gate": manifest.gate,
            "status": row.status,
            "created_at": manifest.created_at,
            "signer": manifest.signer,
            "signer_name": names.get(manifest.signer, ""),
            "rollback_of": manifest.rollback_of,
            "reason": manifest.reason,
            "verifies": snapshot_state(ws, framework, s, store),
            "gate_result": _gate_result(mine),
            "inputs": _inputs(ws, framework, manifest, grouped.get(decided_in, []), names),
            "commit": manifest.git.get("commit"),
            "dirty": manifest.git.get("dirty") or [],
            "decisions": _decision_rows(grouped.get(decided_in, [])),
            "since": previous[0] if previous else None,
            "diff": diff_inputs(previous[1].inputs, manifest.inputs) if previous else None,
        }
        last_of_gate[manifest.gate] = (s, manifest)
        out.append(detail)
    _mark_rolled_back(out)
    return out


def _mark_rolled_back(details: list[dict[str, Any]]) -> None:
    """On each rolled-back snapshot: the rollback that set it aside, and its reason."""
    for d in details:
        if d["status"] != "rolled back":
            continue
        later = [
            r
            for r in details
            if r.get("rollback_of") and r["gate"] == d["gate"] and r["sequence"] > d["sequence"] > int(r["rollback_of"])
        ]
        if later:
            d["rolled_back_by"], d["rolled_back_reason"] = later[0]["sequence"], later[0].get("reason")


def build_report(ws: Workspace, framework: str) -> dict[str, Any]:
    """Everything the page shows, as data."""
    from artigov.contract import check_contract, load_contract
    from artigov.promote import DecisionLog, SnapshotStore, check_decision_logs, history

    contract = load_contract(ws, framework)
    store = SnapshotStore.open(ws, framework)
    rows = history(ws, framework, store=store)
    head = store.head()
    # Streamed: only the events of snapshots that are still in the history are kept.
    kept = {r.sequence for r in rows}
    events = [
        e for e in DecisionLog(store.decisions_path).events() if e.name.startswith(_REPORTED) and e.sequence in kept
    ]
    details = _snapshot_details(ws, store, rows, events)
    head_detail = next((d for d in details if head is not None and d["sequence"] == head.sequence), None)
    gates = []
    for gate in contract.gates:
        report = check_contract(ws, framework, gate.name)
        gates.append(
            {
                "gate": gate.name,
                "passed": report.ok,
                "requires": gate.requires,
                "findings": [f.one_line() for f in report.findings],
                "warnings": [f.one_line() for f in report.warnings],
            }
        )
    checks = check_decision_logs(ws, framework)
    audit = checks[0] if checks else None
    from artigov.core import stamp_now
    from artigov.promote import git_state, withdrawn_versions

    at, clock = stamp_now()
    return {
        "generated": {"at": at, "clock": clock, "commit": git_state(ws.root, []).commit},
        "withdrawn": [
            {"id": i, "version": v, "why": why} for (i, v), why in sorted(withdrawn_versions(ws, framework).items())
        ],
        "trust": _trust_history(ws, framework, DecisionLog(store.decisions_path)),
        "framework": framework,
        "head": head.sequence if head else None,
        "snapshots": [r.to_dict() for r in rows],
        "details": details,
        "gates": gates,
        "decisions": head_detail["decisions"] if head_detail else [],
        "plan_digest": store.manifest(head.sequence).plan_digest if head else None,
        "audit": {
            "path": ws.rel(store.decisions_path),
            "present": audit is not None and (head is not None or audit.events > 0),
            "ok": audit is not None and audit.ok,
            "events": audit.events if audit else 0,
            "head": audit.head if audit else None,
            "bad_line": audit.bad_line if audit else None,
            "problem": audit.problem if audit else "no decision log: nothing was promoted yet",
        },
    }


def _trust_history(ws: Workspace, framework: str, log: DecisionLog) -> dict[str, Any]:
    """Every trust version: who was root, who could sign which gate of ``framework``, whose approval
    keys counted, who signed the version, and when the framework's decision log recorded it."""
    from artigov.core import TrustError, load_trust

    recorded = {
        e.data.get("version"): (e.ts, e.sequence)
        for e in log.events(b"trust_version_recorded")
        if e.name == "trust_version_recorded"
    }
    try:
        chain = load_trust(ws)
    except TrustError as e:
        return {"ok": False, "problem": f"{e.code} {e.problem}", "versions": []}
    versions = []
    for v in chain.versions:
        mine = v.document.frameworks.get(framework)
        versions.append(
            {
                "version": v.document.version,
                "digest": v.digest,
                "root_keys": list(v.document.root_keys),
                "threshold": v.document.threshold,
                "signed_by": list(v.signed_by),
                "signers": {g: list(k) for g, k in sorted(mine.signers.items())} if mine else {},
                "people": {p: list(k) for p, k in sorted(mine.people.items())} if mine else {},
                "recorded": recorded.get(v.document.version),
            }
        )
    return {"ok": True, "pinned": chain.pinned, "first_digest": chain.first_digest, "versions": versions}


def _render_trust(trust: dict[str, Any]) -> str:
    if not trust.get("ok"):
        return f"<h2>Trust history</h2><p><span class='badge bad'>broken</span> {_e(trust.get('problem'))}</p>"
    out = [
        "<h2>Trust history</h2><p class=muted>Who was root, who could sign which gate, whose approval keys "
        f"counted (governance/trust/; version 1 {'pinned' if trust['pinned'] else 'trusted on first use'}: "
        f"{_hash(trust['first_digest'])})</p>",
        "<table id=trust><thead><tr><th>version</th><th>root keys</th><th>may sign</th><th>approval keys</th>"
        "<th>signed by</th><th>recorded</th></tr></thead><tbody>",
    ]
    for v in trust["versions"]:
        signers = (
            "<br>".join(f"{_e(g)}: " + ", ".join(_hash(k, 4) for k in keys) for g, keys in v["signers"].items())
            or "<span class=muted>nobody</span>"
        )
        people = (
            "<br>".join(f"{_e(p)}: " + ", ".join(_hash(k, 4) for k in keys) for p, keys in v["people"].items())
            or "<span class=muted>none</span>"
        )
        roots = ", ".join(_hash(k, 4) for k in v["root_keys"]) + f" (threshold {_e(v['threshold'])})"
        signed = ", ".join(_hash(k, 4) for k in v["signed_by"])
        when = v.get("recorded")
        recorded = f"{_ts(when[0])}, with snapshot {_e(when[1])}" if when else "<span class=muted>not yet</span>"
        out.append(
            f"<tr class=trust-version data-version={_e(v['version'])}><td>{_e(v['version'])}</td><td>{roots}</td>"
            f"<td>{signers}</td><td>{people}</td><td>{signed}</td><td>{recorded}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _hash(value: Any, group: int = 8) -> str:
    """A digest or fingerprint that wraps only between groups of ``group`` characters (never after
    one character), whole when copied."""
    text = "" if value is None else str(value)
    prefix, sep, rest = text.rpartition(":")
    body = rest if sep else text
    chunks = [_e(body[i : i + group]) for i in range(0, len(body), group)]
    return f"<code class=hash title='{_e(text)}'>{_e(prefix + sep)}{'<wbr>'.join(chunks)}</code>"


def _ts(value: Any) -> str:
    """A timestamp on one line."""
    return f"<span class=ts>{_e(value)}</span>" if value else ""


def _rank_key(key: dict[str, Any]) -> str:
    """A rank key as a reader reads it: status, version, commit time (a date, not an epoch)."""
    import datetime as _dt

    parts = []
    for name in ("status", "version", "commit_time"):
        if name not in key:
            continue
        value = key[name]
        if name == "commit_time" and isinstance(value, int):
            value = _dt.datetime.fromtimestamp(value, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            source = key.get("commit_time_source")
            value = f"{value} ({source})" if source else value
        if name == "version" and key.get("version_parsable") is False:
            value = f"{value} (not semver: compared as text)"
        parts.append(f"<span class=key>{_e(name.replace('_', ' '))}: {_e(value)}</span>")
    return " ".join(parts) or "<span class=muted>-</span>"


def _person(approval: dict[str, Any]) -> str:
    name = approval.get("name") or ""
    who = _e(approval.get("approver"))
    shown = f"{_e(name)} &lt;{who}&gt;" if name and str(approval.get("approver")) not in name else (_e(name) or who)
    if approval.get("signed"):
        how = f"signed {_hash(str(approval.get('fingerprint'))[-16:], 4)}"
    else:
        how = "<span class='badge rolled'>unsigned</span>"
    when = f" at {_ts(approval.get('time'))}" if approval.get("time") else ""
    role = f", {_e(approval.get('role'))}" if approval.get("role") else ""
    return f"<span class=approver data-approver='{who}'>{shown}</span> ({how}{role}{when})"


def _item(i: dict[str, Any]) -> str:
    return f"{_e(i['kind'])} <code>{_e(i['id'])}@{_e(i['version'])}</code> ({_e(i['status'])})"


def _render_diff(detail: dict[str, Any]) -> str:
    diff = detail.get("diff")
    if diff is None:
        return "<p class=muted>the first snapshot of this gate</p>"
    lines = [f"<li class=added>+ {_item(i)}</li>" for i in diff["added"]]
    lines += [f"<li class=removed>&minus; {_item(i)}</li>" for i in diff["removed"]]
    for c in diff["changed"]:
        old, new = c["from"], c["to"]
        lines.append(
            f"<li class=changed>~ {_e(c['kind'])} <code>{_e(c['id'])}</code>: "
            f"{_e(old['version'])} ({_e(old['status'])}) &rarr; {_e(new['version'])} ({_e(new['status'])}) "
            f"<span class=muted>[{_e(', '.join(c['fields']))}]</span></li>"
        )
    head = f"<h3>Changes since snapshot {_e(detail['since'])}</h3>"
    if not lines:
        return head + f"<p class=muted>no input changed ({_e(diff['unchanged'])} unchanged)</p>"
    return head + "<ul class=diff>" + "".join(lines) + f"</ul><p class=muted>{_e(diff['unchanged'])} unchanged</p>"


def _render_snapshot(d: dict[str, Any]) -> str:
    state = d["verifies"]
    verifies = (
        "<span class='badge ok'>verifies today</span>"
        if state["ok"]
        else f"<span class='badge bad'>does NOT verify today</span> {_e(state.get('code'))} {_e(state.get('problem'))}"
    )
    signer = (
        f"{_e(d.get('signer_name'))} {_hash(d.get('signer'), 4)}" if d.get("signer_name") else _hash(d.get("signer"), 4)
    )
    commit = d.get("commit")
    source = (
        f"from commit {_hash(commit)}" + (f" ({len(d['dirty'])} input(s) uncommitted)" if d.get("dirty") else "")
        if commit
        else "<span class=muted>from no git commit (outside a repository)</span>"
    )
    gate = d.get("gate_result")
    gate_text = (
        f"gate {_e(d['gate'])}: <span class='badge {_e(gate['outcome'])}'>{_e(gate['outcome'])}</span> "
        f"({_e(gate['checked'])} artifacts checked, {_e(gate['findings'])} findings)"
        if gate
        else f"gate {_e(d['gate'])}"
    )
    rolled = (
        f"<p class=rollback>Rollback to snapshot {_e(d['rollback_of'])}: {_e(d.get('reason'))}</p>"
        if d.get("rollback_of")
        else ""
    )
    if d.get("rolled_back_by"):
        rolled += (
            f"<p class='rollback rolled-back' data-rolled-back-by={_e(d['rolled_back_by'])}>Rolled back by snapshot "
            f"{_e(d['rolled_back_by'])}: {_e(d.get('rolled_back_reason'))}</p>"
        )
    out = [
        f"<section class=snap id=snapshot-{_e(d['sequence'])} data-sequence={_e(d['sequence'])} "
        f"data-verifies={'true' if state['ok'] else 'false'} data-commit='{_e(commit or '')}'>",
        f"<h2>Snapshot {_e(d['sequence'])} <span class=muted>&middot; {_e(d['status'])}</span></h2>",
        f"<p>{verifies} &middot; {gate_text} &middot; created {_ts(d.get('created_at'))} "
        f"&middot; {source} &middot; signed by {signer}</p>",
        rolled,
        "<h3>Inputs, their reviews and approvals</h3><table class=inputs><thead><tr><th>kind</th><th>input</th>"
        "<th>status</th><th>reviewed by</th><th>approved by</th></tr></thead><tbody>",
    ]
    for i in d["inputs"]:
        approvers = " ".join(str(a["approver"]) for a in i["approvals"])
        reviewers = " ".join(str(r["approver"]) for r in i.get("reviews", []))
        people = "<br>".join(_person(a) for a in i["approvals"]) or "<span class=muted>none</span>"
        reviewed = (
            "<br>".join(_person(r) for r in i.get("reviews", [])) or "<span class=muted>no review recorded</span>"
        )
        out.append(
            f"<tr class=input data-sequence={_e(d['sequence'])} data-path='{_e(i['path'])}' "
            f"data-approvers='{_e(approvers)}' data-reviewers='{_e(reviewers)}'><td>{_e(i['kind'])}</td>"
            f"<td><code>{_e(i['id'])}@{_e(i['version'])}</code><br><span class=muted>{_e(i['path'])}</span></td>"
            f"<td>{_e(i['status'])}</td><td>{reviewed}</td><td>{people}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append(_render_diff(d))
    out.append(
        "<h3>Hydration decisions</h3><table class=decisions><thead><tr><th>kind</th><th>candidate</th>"
        "<th>outcome</th><th>rank key</th><th>why</th></tr></thead><tbody>"
    )
    for dec in sorted(
        d["decisions"],
        key=lambda x: (str(x["kind"]), {"won": 0, "lost": 1}.get(str(x["outcome"]), 2), str(x["path"])),
    ):
        why = f"lost to {dec['lost_to']} ({dec.get('rule')})" if dec.get("lost_to") else (dec.get("reason") or "")
        key = _rank_key(dec.get("rank_key") or {})
        out.append(
            f"<tr class=decision data-sequence={_e(d['sequence'])} data-outcome={_e(dec['outcome'])} "
            f"data-kind='{_e(dec['kind'])}'><td>{_e(dec['kind'])}</td><td><code>{_e(dec['path'])}</code></td>"
            f"<td><span class='badge {_e(dec['outcome'])}'>{_e(dec['outcome'])}</span></td>"
            f"<td class=rank>{key}</td><td>{_e(why)}</td></tr>"
        )
    if not d["decisions"]:
        out.append("<tr><td colspan=5 class=muted>no hydration decisions recorded</td></tr>")
    out.append("</tbody></table></section>")
    return "".join(out)


def _render_generated(generated: dict[str, Any]) -> str:
    commit = generated.get("commit")
    source = f"the workspace at commit {_hash(commit)}" if commit else "a workspace outside git"
    return (
        f"<p id=generated class=muted data-commit='{_e(commit or '')}'>Generated {_ts(generated.get('at'))} "
        f"({_e(generated.get('clock'))}) from {source}.</p>"
    )


def render_report(data: dict[str, Any]) -> str:
    """The page, as one self-contained HTML document."""
    fw = _e(data["framework"])
    out = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>artigov report: {fw}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>artigov report: <code>{fw}</code></h1>",
        f"<p class=muted>Head snapshot: {_e(data['head']) if data['head'] else 'none yet'}"
        f" &middot; plan {_hash(data['plan_digest'])}</p>",
        _render_generated(data.get("generated") or {}),
    ]
    audit = data["audit"]
    if not audit.get("present", True):
        badge, css, state = "no record", "pruned", "there is nothing to verify yet"
    elif audit["ok"]:
        badge, css, state = "verified", "ok", "verifies"
    else:
        badge, css = "broken", "bad"
        where = f" at line {_e(audit['bad_line'])}" if audit["bad_line"] else ""
        state = f"FAILS{where}: {_e(audit['problem'])}"
    out.append(
        f"<h2>Decision log</h2><div id=audit data-ok={'true' if audit['ok'] else 'false'}>"
        f"<span class='badge {css}'>{badge}</span> <code>{_e(audit.get('path'))}</code>: "
        f"{_e(audit['events'])} events; the chain {state}. Head {_hash(audit['head'])}</div>"
    )
    out.append(_render_trust(data.get("trust", {"ok": False, "problem": "not read"})))
    if data.get("withdrawn"):
        out.append("<h2>Withdrawn versions</h2><ul id=withdrawn>")
        out += [
            f"<li class=withdrawn><code>{_e(w['id'])}@{_e(w['version'])}</code>: {_e(w['why'])}</li>"
            for w in data["withdrawn"]
        ]
        out.append("</ul>")
    out.append(
        "<h2>Snapshot history</h2><table id=timeline class=timeline><thead><tr><th>#</th><th>status</th>"
        "<th>gate</th><th>created</th><th>signer</th><th>rollback of</th><th>manifest</th></tr></thead><tbody>"
    )
    for row in data["snapshots"]:
        status = str(row.get("status", ""))
        css = {"rolled back": "rolled", "current": "head"}.get(status, status)
        out.append(
            f"<tr class=snapshot data-sequence={_e(row['sequence'])} data-status='{_e(status)}'>"
            f"<td>{_e(row['sequence'])}</td><td><span class='badge {css}'>{_e(status)}</span></td>"
            f"<td>{_e(row.get('gate'))}</td><td>{_ts(row.get('created_at'))}</td>"
            f"<td>{_hash(row.get('signer'), 4)}</td><td>{_e(row.get('rollback_of') or '')}</td>"
            f"<td>{_hash(row.get('digest'))}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append(
        "<h2>Gates now</h2><table id=gates><thead><tr><th>gate</th><th>status</th><th>requires</th>"
        "<th>findings</th></tr></thead><tbody>"
    )
    for g in data["gates"]:
        status = "passed" if g["passed"] else "failed"
        requires = ", ".join(f"{_e(k)} &ge; {_e(v)}" for k, v in sorted(g["requires"].items()))
        findings = "<br>".join(_e(f) for f in g["findings"]) or "<span class=muted>none</span>"
        out.append(
            f"<tr class=gate data-gate='{_e(g['gate'])}' data-status={status}><td>{_e(g['gate'])}</td>"
            f"<td><span class='badge {status}'>{status}</span></td><td>{requires}</td><td>{findings}</td></tr>"
        )
    out.append("</tbody></table>")
    for detail in reversed(data.get("details", [])):  # newest first, as an auditor reads
        out.append(_render_snapshot(detail))
    out.append(
        "<p class=muted>Generated by artigov from the workspace's snapshots, approvals, contract and "
        "decision log.</p></body></html>\n"
    )
    return "".join(out)
