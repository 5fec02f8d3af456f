"""``artigov report``: one self-contained static HTML page for auditors.

The snapshot history as a timeline (sequence, gate, signer, rollbacks), the
status of every gate now, the hydration decisions behind the head snapshot
(winner and losers per kind, with their rank keys, from the audit log), and
whether the audit chain verifies. Inline CSS, no script, no network resource.
"""

from __future__ import annotations

import html
import json
from typing import Any

from artigov.core.workspace import Workspace

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
        "code{font:12px ui-monospace,Menlo,monospace;word-break:break-all}",
        ".badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:12px;font-weight:600}",
        ".ok,.passed,.won,.head{background:#e3f6e8;color:#17603a}",
        ".failed,.rejected,.bad{background:#fde8e8;color:#8a1c1c}",
        ".lost,.superseded,.pruned{background:#eef1f6;color:#4a5568}",
        ".rolled{background:#fff4d6;color:#7a5200}",
        ".muted{color:#6b7280}",
        ".timeline td:first-child{font-weight:600;width:3rem}",
    ]
)


def _decisions(ws: Workspace, framework: str, sequence: int | None) -> list[dict[str, Any]]:
    """The hydration decisions recorded for snapshot ``sequence`` in the framework's decision log."""
    from artigov.promote.decisions import DecisionLog
    from artigov.promote.store import SnapshotStore

    if sequence is None:
        return []
    return [
        e
        for e in DecisionLog(SnapshotStore(ws, framework).decisions_path).events()
        if str(e.get("event", "")).startswith("candidate_") and (e.get("data") or {}).get("sequence") == sequence
    ]


def build_report(ws: Workspace, framework: str) -> dict[str, Any]:
    """Everything the page shows, as data (also printed by ``--format json``)."""
    from artigov.contract.check import check_contract
    from artigov.contract.model import load_contract
    from artigov.promote.ops import history
    from artigov.promote.store import SnapshotStore
    from artigov.promote.verify import check_decision_logs

    contract = load_contract(ws, framework)
    rows = history(ws, framework)
    head = SnapshotStore(ws, framework).head()
    plan_digest = None
    decided_in = None
    if head is not None:
        manifest = SnapshotStore(ws, framework).manifest(head.sequence)
        plan_digest = manifest.get("plan_digest")
        # A rollback restores an earlier snapshot's inputs: its decisions are that snapshot's.
        decided_in = int(manifest.get("rollback_of") or head.sequence)
    gates = []
    for gate in contract.gates:
        report = check_contract(ws, framework, gate.name)
        gates.append(
            {
                "gate": gate.name,
                "passed": report.ok,
                "requires": gate.requires,
                "findings": [f.one_line() for f in report.findings],
            }
        )
    checks = check_decision_logs(ws, framework)
    audit = checks[0] if checks else None
    return {
        "framework": framework,
        "head": head.sequence if head else None,
        "snapshots": rows,
        "gates": gates,
        "decisions": [
            {
                "kind": (e.get("data") or {}).get("kind"),
                "path": e.get("subject"),
                "outcome": e.get("outcome"),
                "rank_key": (e.get("data") or {}).get("rank_key"),
                "lost_to": (e.get("data") or {}).get("lost_to"),
                "rule": (e.get("data") or {}).get("rule"),
                "reason": (e.get("data") or {}).get("reason"),
            }
            for e in _decisions(ws, framework, decided_in)
        ],
        "plan_digest": plan_digest,
        "audit": {
            "path": ws.rel(SnapshotStore(ws, framework).decisions_path),
            "present": audit is not None and (head is not None or audit.events > 0),
            "ok": audit is not None and audit.ok,
            "events": audit.events if audit else 0,
            "head": audit.head if audit else None,
            "bad_line": audit.bad_line if audit else None,
            "problem": audit.problem if audit else "no decision log: nothing was promoted yet",
        },
    }


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render_report(data: dict[str, Any]) -> str:
    """The page, as one self-contained HTML document."""
    fw = _e(data["framework"])
    out = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>artigov report: {fw}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>artigov report: <code>{fw}</code></h1>",
        f"<p class=muted>Head snapshot: {_e(data['head']) if data['head'] else 'none yet'}"
        f" &middot; plan <code>{_e(data['plan_digest'])}</code></p>",
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
        f"{_e(audit['events'])} events; the chain {state}. Head <code>{_e(audit['head'])}</code></div>"
    )
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
            f"<td>{_e(row.get('gate'))}</td><td>{_e(row.get('created_at'))}</td>"
            f"<td><code>{_e(row.get('signer'))}</code></td><td>{_e(row.get('rollback_of') or '')}</td>"
            f"<td><code>{_e(row.get('digest'))}</code></td></tr>"
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
    out.append(
        "<h2>Hydration decisions of the head snapshot</h2><table id=decisions><thead><tr><th>kind</th>"
        "<th>candidate</th><th>outcome</th><th>rank key</th><th>why</th></tr></thead><tbody>"
    )
    for d in sorted(
        data["decisions"],
        key=lambda d: (str(d["kind"]), {"won": 0, "lost": 1}.get(str(d["outcome"]), 2), str(d["path"])),
    ):
        why = f"lost to {d['lost_to']}" if d.get("lost_to") else (d.get("reason") or "")
        key = json.dumps(d.get("rank_key") or {}, sort_keys=True)
        out.append(
            f"<tr class=decision data-outcome={_e(d['outcome'])} data-kind='{_e(d['kind'])}'>"
            f"<td>{_e(d['kind'])}</td><td><code>{_e(d['path'])}</code></td>"
            f"<td><span class='badge {_e(d['outcome'])}'>{_e(d['outcome'])}</span></td>"
            f"<td><code>{_e(key)}</code></td><td>{_e(why)}</td></tr>"
        )
    if not data["decisions"]:
        out.append("<tr><td colspan=5 class=muted>no decisions recorded for the head's plan</td></tr>")
    out.append(
        "</tbody></table><p class=muted>Generated by artigov from the workspace's snapshots, contract and "
        "audit log.</p></body></html>\n"
    )
    return "".join(out)
