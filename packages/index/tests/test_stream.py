"""`index verify` reads the index one entry at a time: every proof a whole parse makes, in bounded memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from artigov.core import load_workspace
from artigov.core.testing import make_artifact, make_workspace
from artigov.index import IndexCorruptError, rebuild, verify
from artigov.index._model import HEAD, TAIL, Index, entry_line
from artigov.index._stream import StreamedIndex

ENTRY = {
    "checksum": "sha256:" + "0" * 64,
    "framework": "f",
    "id": "a",
    "kind": "technical-plan",
    "size": 10,
    "status": "draft",
    "version": "1.0",
}

#: An index that is committed (index_committed: true): drift and damage are reported, never refreshed.
COMMITTED = "artifacts: [frameworks/**]\nindex_committed: true\n"


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "artifacts_index.json"
    path.write_bytes(data)
    return path


#: Read in one chunk, and in chunks far shorter than a line (every line crosses a boundary).
CHUNKS = [pytest.param(1 << 22, id="one-chunk"), pytest.param(5, id="5-byte-chunks")]


@pytest.mark.parametrize("chunk", CHUNKS)
def test_the_stream_reads_what_the_whole_parse_reads_with_the_same_digest(tmp_path: Path, chunk: int) -> None:
    entries = {f"f/{i}.md": {**ENTRY, "id": f"a{i}"} for i in range(50)}
    data = Index(entries).to_bytes()
    streamed = StreamedIndex(_file(tmp_path, data), chunk)
    assert dict(streamed) == entries
    assert streamed.digest == Index(entries).digest and streamed.count == 50
    empty = StreamedIndex(_file(tmp_path, Index({}).to_bytes()), chunk)
    assert list(empty) == [] and empty.count == 0


def _lines(*entries: tuple[str, dict[str, object]]) -> list[bytes]:
    return [entry_line(p, e) for p, e in entries]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (HEAD + b"\n,".join(_lines(("b", ENTRY), ("a", ENTRY))) + b"\n" + TAIL, "out of order"),
        (HEAD + _lines(("a", ENTRY))[0].replace(b":", b": ", 1) + b"\n" + TAIL, "canonical form"),
        (HEAD + _lines(("a", {**ENTRY, "size": -1}))[0] + b"\n" + TAIL, "size"),
        (HEAD + _lines(("a", {**ENTRY, "extra": 1}))[0] + b"\n" + TAIL, "extra"),
        (HEAD + _lines(("/etc/passwd", ENTRY))[0] + b"\n" + TAIL, "workspace-relative"),
        (HEAD + _lines(("a", ENTRY))[0] + b"\n", "last line is missing"),
        (HEAD + _lines(("a", ENTRY))[0] + b"\n" + TAIL + b"junk", "after the index's last line"),
        (HEAD + b"\n".join(_lines(("a", ENTRY), ("b", ENTRY))) + b"\n" + TAIL, "must start with ','"),
        (b'{"count":1,"entries":{}}', "format_version 1"),
        (HEAD + b'"a":{nope}\n' + TAIL, "not one JSON entry"),
        (HEAD + _lines(("a", ENTRY))[0] + b"\n" + TAIL + b"junk\n", "line 4: text after the index's last line"),
        (HEAD + _lines(("a", ENTRY))[0] + b"\n" + TAIL + TAIL, "line 4: text after the index's last line"),
        (HEAD + _lines(("a", ENTRY))[0][:40], "line 2: the file ends inside an entry"),
        (HEAD + _lines(("a", ENTRY))[0] + b"\n" + TAIL[:-1], "line 3: the file ends inside an entry"),
        (HEAD[:-1] + b"\r\n" + TAIL, "line 1: "),
        (b"", "line 1: not the index's first line"),
    ],
)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_every_corruption_is_named_with_its_line(tmp_path: Path, data: bytes, said: str, chunk: int) -> None:
    with pytest.raises(IndexCorruptError) as info:
        list(StreamedIndex(_file(tmp_path, data), chunk))
    assert said in str(info.value), str(info.value)


def test_verify_finds_drift_through_the_stream(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, COMMITTED, files={f"frameworks/{n}.md": make_artifact(n) for n in ("a", "b", "c")})
    ws = load_workspace(root)
    rebuild(ws)
    assert verify(ws).ok
    (root / "frameworks/a.md").write_text(make_artifact("a", body="# changed\n"))
    (root / "frameworks/b.md").unlink()
    (root / "frameworks/d.md").write_text(make_artifact("d"))
    result = verify(ws)
    assert (result.added, result.changed, result.removed) == (
        ["frameworks/d.md"],
        ["frameworks/a.md"],
        ["frameworks/b.md"],
    )


@pytest.mark.slow
def test_a_hand_made_index_of_a_million_entries_is_verified_in_bounded_memory(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", COMMITTED, files={"frameworks/a.md": make_artifact("a")})
    index = root / "artifacts_index.json"
    with open(index, "wb") as f:
        f.write(HEAD)
        for i in range(1_000_000):
            f.write((b"," if i else b"") + entry_line(f"frameworks/x/{i:07d}.md", {**ENTRY, "id": f"x{i}"}) + b"\n")
        f.write(TAIL)
    assert index.stat().st_size > 150_000_000
    code = textwrap.dedent(f"""
        from pathlib import Path
        from artigov.core._logconfig import configure_logging
        from artigov.core._workspace import load_workspace
        from artigov.index import verify
        configure_logging("console", "error")
        result = verify(load_workspace(Path({str(root)!r})))
        hwm = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM"))
        print(result.count, len(result.removed), result.added, int(hwm.split()[1]) // 1024)
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    count, removed, added, peak = done.stdout.split(maxsplit=3)
    assert (count, removed, added) == ("1000000", "1000000", "['frameworks/a.md']")
    # MB: the file is ~200 MB; parsed whole it took ~2 GB. What remains is the drift list itself.
    assert int(peak) < 400, done.stdout
