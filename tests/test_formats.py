"""docs/formats.md is enough: an auditor's fresh clone verifies a snapshot with gpg, sha256sum, jq and
sed alone (no artigov import), following only that page's recipes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]

# Every step below is a recipe of docs/formats.md, in plain shell.
AUDITOR = r"""
set -euo pipefail
cd "$1"
rec=governance/fwk-001
sha() { sha256sum | cut -d' ' -f1; }
validsigs() {  # the primary fingerprints of the good signatures $2... of file $1
  local file=$1; shift
  local h; h=$(mktemp -d /tmp/agv-aud-XXXX); chmod 700 "$h"
  gpg --homedir "$h" --batch --quiet --import governance/keys/*.asc 2>/dev/null
  for s in "$@"; do
    gpg --homedir "$h" --batch --status-fd 1 --verify "$s" "$file" 2>/dev/null | awk '$2=="VALIDSIG"{print $NF}'
  done
  gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null || true
}
# The trust chain, walked from version 1: canonical, numbered, linked, signed by the thresholds.
t=governance/trust
echo "auditor: trust version 1 is sha256:$(sha < $t/000001/trust.json) (compare with the pin kept outside)"
v=1; prevdoc=
while [ -f "$t/$(printf %06d $v)/trust.json" ]; do
  dir=$t/$(printf %06d $v); doc=$dir/trust.json
  cmp <(jq -S -c . "$doc") "$doc" || { echo "trust $v not canonical"; exit 1; }
  test "$(jq -r .version "$doc")" = "$v" || { echo "trust $v numbered wrong"; exit 1; }
  want=null; test -n "$prevdoc" && want="sha256:$(sha < "$prevdoc")"
  test "$(jq -r .previous "$doc")" = "$want" || { echo "trust $v not linked"; exit 1; }
  signed=$(for s in "$dir"/*.asc; do
             f=$(validsigs "$doc" "$s"); if [ "$f" = "$(basename "$s" .asc)" ]; then echo "$f"; fi; done | sort -u)
  for d in "$doc" $prevdoc; do
    have=$(comm -12 <(echo "$signed") <(jq -r '.root.keys[]' "$d" | sort) | grep -c . || true)
    test "$have" -ge "$(jq -r .root.threshold "$d")" || { echo "trust $v lacks root signatures"; exit 1; }
  done
  prevdoc=$doc; v=$((v+1))
done
test -n "$prevdoc" || { echo "no trust version"; exit 1; }
trust_of() { echo "$t/$(printf %06d "$1")/trust.json"; }
# HEAD names the newest snapshot by the sha256 of its manifest's bytes.
n=$(jq -r .sequence $rec/HEAD); d=$(jq -r .digest $rec/HEAD)
snap=$rec/snapshots/$(printf %06d "$n")
test "sha256:$(sha < $snap/manifest.json)" = "$d" || { echo "HEAD digest mismatch"; exit 1; }
# Canonical JSON: jq -S -c reproduces the manifest's bytes.
cmp <(jq -S -c . $snap/manifest.json) $snap/manifest.json || { echo "manifest not canonical"; exit 1; }
# The signature: good, by a trusted primary key, the one the manifest names.
fpr=$(validsigs $snap/manifest.json $snap/manifest.json.asc)
test -n "$fpr" || { echo "bad signature"; exit 1; }
test "$fpr" = "$(jq -r .signer $snap/manifest.json)" || { echo "signer differs"; exit 1; }
# ...by a key the trust version the manifest names lets sign its gate.
tv=$(jq -r '.trust_version // 1' $snap/manifest.json)
allowed='.frameworks["fwk-001"].signers | (.[$g] // []) + (.["*"] // []) | .[]'
jq -r --arg g "$(jq -r .gate $snap/manifest.json)" "$allowed" "$(trust_of "$tv")" | grep -qx "$fpr" \
  || { echo "signer not allowed by trust version $tv"; exit 1; }
# Every input's object holds the bytes its digest names.
for o in $(jq -r '.inputs[] | .object, (.meta_object // empty)' $snap/manifest.json); do
  h=${o#sha256:}
  test "$(sha < governance/objects/sha256/${h:0:2}/${h:2})" = "$h" || { echo "object $h corrupt"; exit 1; }
done
# The parent chain: each parent is the sha256 of the previous manifest.
k=$n
while [ "$k" -gt 1 ]; do
  p=$(jq -r .parent $rec/snapshots/$(printf %06d $k)/manifest.json)
  parent_file=$rec/snapshots/$(printf %06d $((k-1)))/manifest.json
  test "$p" = "sha256:$(sha < "$parent_file")" || { echo "chain broken at $k"; exit 1; }
  k=$((k-1))
done
# The decision log: every id and prev, then the pin.
log=$rec/decisions.jsonl
prev="sha256:$(printf '%064d' 0)"
i=0
while IFS= read -r line; do
  i=$((i+1))
  test "$(printf '%s\n' "$line" | jq -r .prev)" = "$prev" || { echo "prev broken at line $i"; exit 1; }
  want=$(printf '%s\n' "$line" | jq -r .id)
  got="sha256:$(printf '%s\n' "$line" | jq -S -c 'del(.id)' | sha)"
  test "$got" = "$want" || { echo "id broken at line $i"; exit 1; }
  prev="sha256:$(printf '%s\n' "$line" | sha)"
done < $log
lines=$(jq -r .decisions.lines $snap/manifest.json)
test "sha256:$(sed -n "${lines}p" $log | sha)" = "$(jq -r .decisions.head $snap/manifest.json)" \
  || { echo "pin broken"; exit 1; }
# Approval statements every kept manifest records: bytes, content, signer (the approver's key).
approvals=0
for m in $rec/snapshots/*/manifest.json; do
  while IFS=$'\t' read -r st digest key checksum; do
    test "sha256:$(sha < "$st")" = "$digest" || { echo "statement $st altered"; exit 1; }
    cmp <(jq -S -c . "$st") "$st" || { echo "statement $st not canonical"; exit 1; }
    test "$(jq -r .checksum "$st")" = "$checksum" || { echo "statement $st is for other content"; exit 1; }
    test "$key" = "null" && continue
    got=$(validsigs "$st" "$st.asc")
    test "$got" = "$key" || { echo "statement $st not signed by $key"; exit 1; }
    who=$(jq -r .approver "$st"); stv=$(jq -r '.trust_version // 1' "$st")
    jq -r --arg p "$who" '.frameworks["fwk-001"].people[$p] // [] | .[]' "$(trust_of "$stv")" | grep -qx "$key" \
      || { echo "$key is not $who's key in trust version $stv"; exit 1; }
    approvals=$((approvals+1))
  done < <(jq -r '.inputs[] | .checksum as $c | (.approvals // [])[]
                 | [.statement, .digest, (.fingerprint // "null"), $c] | @tsv' "$m")
done
count=$(jq '.inputs|length' $snap/manifest.json)
echo "auditor: snapshot $n verified: signature by $fpr (trust version $tv of $((v-1))), $count objects, chain," \
     "$i log lines, $approvals signed approvals"
"""


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq not installed (.ci/run installs Debian's jq)")
def test_an_auditor_verifies_a_fresh_clone_by_following_formats_md(artigov: Runner, tmp_path: Path) -> None:
    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "d" / "workspace"), str(clone)], check=True)
    assert not (clone / ".artigov").exists()
    ok = subprocess.run(["bash", "-c", AUDITOR, "auditor", str(clone)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "auditor: snapshot 3 verified" in ok.stdout and "1 signed approvals" in ok.stdout
    # The same recipes catch a flipped byte in a decision-log line.
    log = clone / "governance" / "fwk-001" / "decisions.jsonl"
    log.write_bytes(log.read_bytes().replace(b'"outcome":"lost"', b'"outcome":"l0st"', 1))
    bad = subprocess.run(["bash", "-c", AUDITOR, "auditor", str(clone)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "id broken at line" in bad.stdout


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq not installed (.ci/run installs Debian's jq)")
def test_the_same_recipes_refuse_a_trust_version_written_without_the_root_signatures(
    artigov: Runner, tmp_path: Path
) -> None:
    import json

    assert artigov("demo", "--dir", tmp_path / "d").returncode == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "d" / "workspace"), str(clone)], check=True)
    ok = subprocess.run(["bash", "-c", AUDITOR, "auditor", str(clone)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "(trust version 2 of 2)" in ok.stdout, ok.stdout + ok.stderr
    # A pull request edits version 2 to let another key sign: its root signature no longer verifies.
    doc = clone / "governance/trust/000002/trust.json"
    value = json.loads(doc.read_bytes())
    value["frameworks"]["fwk-001"]["signers"]["*"].append("F" * 40)
    doc.chmod(0o644)
    doc.write_text(json.dumps(value, sort_keys=True, separators=(",", ":")) + "\n")
    bad = subprocess.run(["bash", "-c", AUDITOR, "auditor", str(clone)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "trust 2 lacks root signatures" in bad.stdout, bad.stdout + bad.stderr
