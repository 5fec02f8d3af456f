"""Patching an index file's bytes in place gives exactly what serializing the whole index gives."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artigov.index import _scan, _stream
from artigov.index._filesplice import FileSplice, LineEdits, splice_file
from artigov.index._model import ENTRY_FIELDS, Entry, Index, with_optional
from artigov.index._scan import framework_slice_of, id_version_holders


def framework_slice(data: bytes, framework: str) -> Any:
    """The slice of an index file's bytes in memory."""
    return framework_slice_of(io.BytesIO(data), framework)


# Paths and values with everything that could confuse a byte-level search: quotes, backslashes,
# braces, the `},"` sequence, `":{`, non-ASCII, and one path being a prefix of another.
_text = st.lists(st.sampled_from([*'ab/"\\},:{[] é\u2028', ',"', '":{', '},"']), max_size=8).map("".join)
_paths = st.lists(st.builds(lambda t: "frameworks/" + t, _text), min_size=1, max_size=8, unique=True)


def _entry(draw: Any, path: str) -> Entry:
    """An entry built the way real ones are (:class:`Entry`, :func:`with_optional`), every optional
    field sometimes set."""
    entry = Entry(
        id=draw(st.sampled_from(["a", "b", "c"])),
        version=draw(st.sampled_from(["1.0.0", "2.0"])),
        status=draw(st.sampled_from(["draft", "review", "approved"])),
        framework="f",
        kind=draw(st.sampled_from(["technical-plan", "x"])),
        checksum="sha256:" + draw(st.sampled_from(["0", "1"])) * 64,
        size=draw(st.integers(0, 10**6)),
    )
    return with_optional(
        entry,
        meta=path + draw(_text) + ".meta.yaml" if draw(st.booleans()) else None,
        updated_at=draw(st.one_of(st.none(), _text)),
        approved_by=draw(st.lists(_text, max_size=2)),
    )


@st.composite
def _cases(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    paths = draw(_paths)
    entries = {p: _entry(draw, p) for p in paths}
    chosen = draw(st.lists(st.sampled_from(paths), min_size=1, unique=True))
    return entries, {p: _entry(draw, p) for p in chosen}


def _spliced(folder: Path, data: bytes, edits: LineEdits, chunk: int = 0) -> tuple[FileSplice | None, bytes]:
    """The splice of an index file holding ``data`` (None when refused), and the bytes it writes."""
    path = folder / "index.json"
    path.write_bytes(data)
    with path.open("rb") as source:
        spliced = splice_file(source, edits, chunk=chunk)
        return spliced, b"" if spliced is None else b"".join(spliced.pieces)


@settings(max_examples=300, deadline=None)
@given(case=_cases())
def test_id_version_holders_counts_like_parsing(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    entries, _ = case
    data = Index(entries).to_bytes()
    for id_ in ("a", "b", "c", "d"):
        for version in ("1.0.0", "2.0", "1.0"):
            expected = sum(1 for e in entries.values() if (e["id"], e["version"]) == (id_, version))
            assert id_version_holders(data, id_, version) == expected


@settings(max_examples=300, deadline=None)
@given(case=_cases(), chunk=st.sampled_from([1, 2, 7, 64, 1 << 22]))
def test_entries_in_chunks_find_what_the_whole_file_search_finds(
    case: tuple[dict[str, Any], dict[str, Any]], chunk: int
) -> None:
    """Read in chunks of any size, the entries of some paths and the holders of each (id, version)
    are those of the search over the whole file (a path not there is not in the answer); a file not
    shaped like an index gives none."""
    entries, chosen = case
    data = Index(entries).to_bytes()
    keys = [(i, v) for i in ("a", "b", "d") for v in ("1.0.0", "2.0")]
    found = _scan.entries_in(io.BytesIO(data), list(chosen), keys, chunk=chunk)
    assert found is not None
    assert found.entries == {p: entries[p] for p in chosen}
    assert found.holders == {k: id_version_holders(data, *k) for k in keys}
    assert found.held == len(entries) and found.digest is None
    hashed = _scan.entries_in(io.BytesIO(data), [*chosen, "frameworks/absent"], chunk=chunk, hashed=True)
    assert hashed is not None and hashed.digest == Index(entries).digest and hashed.entries == found.entries
    assert _scan.entries_in(io.BytesIO(data[:-1]), list(chosen), chunk=chunk) is None


def test_splice_refuses_a_path_that_is_not_there_or_a_foreign_file(tmp_path: Path) -> None:
    data = Index({"frameworks/a.md": {"id": "a", "version": "1", "size": 1}}).to_bytes()
    for foreign in (data, b'{"not":"an index"}\n', orjson.dumps({"x": 1})):
        path = "frameworks/b.md" if foreign is data else "frameworks/a.md"
        assert _spliced(tmp_path, foreign, LineEdits({path: {"id": "b"}}))[0] is None


def test_a_path_hidden_inside_an_earlier_key_is_not_taken_for_its_entry(tmp_path: Path) -> None:
    """`"frameworks/z":{` also appears inside the escaped key `"frameworks/a\\"frameworks/z":{`."""
    base = {"id": "a", "version": "1", "size": 1}
    entries = {'frameworks/a"frameworks/z': dict(base), "frameworks/z": {**base, "id": "z"}}
    changes = {"frameworks/z": {**base, "id": "z2"}}
    spliced, written = _spliced(tmp_path, Index(entries).to_bytes(), LineEdits(changes))
    assert spliced is not None and written == Index({**entries, **changes}).to_bytes()
    assert spliced.replaced == {"frameworks/z": entries["frameworks/z"]}


def _with_frameworks(draw: Any) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for path in draw(_paths):
        entries[path] = {**_entry(draw, path), "framework": draw(st.sampled_from(["f", "g", 'f"', "f\\\\"]))}
    return entries


@settings(max_examples=400, deadline=None)
@given(entries=st.composite(_with_frameworks)(), chunk=st.sampled_from([1, 2, 7, 64, 1 << 22]))
def test_a_framework_slice_equals_filtering_the_parsed_index(entries: dict[str, Any], chunk: int) -> None:
    """Read in chunks of any size (a line cut anywhere, even inside a field), the slice is the same."""
    index = Index(entries)
    data = index.to_bytes()
    for framework in ("f", "g", 'f"', "f\\\\", "absent"):
        sliced = framework_slice_of(io.BytesIO(data), framework, chunk=chunk)
        assert sliced is not None
        assert sliced.digest == index.digest
        assert sliced.entries == {p: e for p, e in entries.items() if e["framework"] == framework}
        assert list(sliced.entries) == sorted(sliced.entries, key=lambda p: p.encode("utf-8"))  # file order


def test_a_slice_refuses_a_file_that_is_not_canonical() -> None:
    entry = {"checksum": "sha256:" + "0" * 64, "framework": "f", "id": "a", "kind": "k", "size": 1, "status": "draft"}
    data = Index({"frameworks/a.md": {**entry, "version": "1"}}).to_bytes()
    assert framework_slice(data, "f") is not None
    spaced = data.replace(b'"framework":"f"', b'"framework": "f"')  # same JSON, other bytes
    assert framework_slice(spaced, "f") is None  # not the canonical line: the whole file is parsed instead
    assert framework_slice(data[:-2] + b"\n", "f") is None
    for chunk in (1, 5, 1 << 22):
        for bad in (data[:-1], data + b"\n", data[1:], data.replace(b"\n", b"", 1), data[:-2] + b"\n"):
            assert framework_slice_of(io.BytesIO(bad), "f", chunk=chunk) is None  # cut, padded or reshaped


def test_an_index_entry_can_set_every_entry_field_and_no_other() -> None:
    digest = "sha256:" + "0" * 64
    required = Entry(id="a", version="1", status="draft", framework="f", kind="k", checksum=digest, size=1)
    full = with_optional(required, meta="a.meta.yaml", updated_at="2026-01-01", approved_by=["x@example.org"])
    assert set(full) == ENTRY_FIELDS


_EXTRA = st.sampled_from(["aaa", "ida", "zzz"])  # before every field, between id and kind, after every field


@settings(max_examples=150, deadline=None)
@given(case=_cases(), extra=_EXTRA, required=st.booleans())
def test_the_byte_scans_follow_a_new_entry_field_wherever_it_sorts(
    case: tuple[dict[str, Any], dict[str, Any]], extra: str, required: bool
) -> None:
    """A field added to the entry format moves what follows ``"id"`` or closes a line: the scans
    compute that from the field list, so they keep answering like a full parse."""
    entries = {p: {**e, extra: 1} if required or len(p) % 2 else e for p, e in case[0].items()}
    with pytest.MonkeyPatch.context() as mp:
        for module in (_scan, _stream):  # the byte scans, and the line parser they check lines with
            mp.setattr(module, "ENTRY_FIELDS", ENTRY_FIELDS | {extra})
            if required:
                mp.setattr(module, "REQUIRED_FIELDS", _scan.REQUIRED_FIELDS | {extra})
        data = Index(entries).to_bytes()
        for id_, version in (("a", "1.0.0"), ("b", "2.0")):
            expected = sum(1 for e in entries.values() if (e["id"], e["version"]) == (id_, version))
            assert id_version_holders(data, id_, version) == expected
        sliced = framework_slice(data, "f")
        assert sliced is not None and sliced.entries == entries


@st.composite
def _edits(draw: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
    """An index's entries, and some of them changed, some removed, and new paths added."""
    paths = draw(st.lists(st.builds(lambda t: "frameworks/" + t, _text), min_size=1, max_size=12, unique=True))
    split = draw(st.integers(1, len(paths)))
    old_paths, new_paths = paths[:split], paths[split:]
    entries = {p: _entry(draw, p) for p in old_paths}
    touched = draw(st.lists(st.sampled_from(old_paths), unique=True))
    cut = draw(st.integers(0, len(touched)))
    changes = {p: _entry(draw, p) for p in touched[:cut]}
    removed = touched[cut:]
    added = {p: _entry(draw, p) for p in new_paths}
    return entries, changes, added, removed


def test_a_splice_refuses_what_it_cannot_place(tmp_path: Path) -> None:
    entries = {f"frameworks/{c}.md": _fixed(c) for c in "bdf"}
    data = Index(entries).to_bytes()
    assert _spliced(tmp_path, data, LineEdits(added={"frameworks/b.md": _fixed("b")}))[0] is None  # indexed
    assert _spliced(tmp_path, data, LineEdits(removed=["frameworks/x.md"]))[0] is None  # not indexed
    assert _spliced(tmp_path, data, LineEdits({"frameworks/x.md": _fixed("x")}))[0] is None
    assert _spliced(tmp_path, data, LineEdits(removed=["frameworks/b.md"]))[0] is None  # the first line
    assert _spliced(tmp_path, data, LineEdits(added={"frameworks/a.md": _fixed("a")}))[0] is None  # before it
    cut = data[:-3]
    assert _spliced(tmp_path, cut, LineEdits(added={"frameworks/c.md": _fixed("c")}))[0] is None  # not an index
    late = {"frameworks/e.md": _fixed("e"), "frameworks/z.md": _fixed("z")}
    spliced, written = _spliced(tmp_path, data, LineEdits(added=late))
    assert spliced is not None and spliced.count == 5 and written == Index({**entries, **late}).to_bytes()


def _fixed(name: str) -> Entry:
    return Entry(
        id=name, version="1.0.0", status="draft", framework="f", kind="x", checksum="sha256:" + "0" * 64, size=1
    )


@settings(max_examples=300, deadline=None)
@given(case=_cases(), chunk=st.sampled_from([1, 2, 7, 64, 1 << 22]))
def test_entries_replaced_in_the_file_in_chunks_equal_a_full_rewrite(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[dict[str, Any], dict[str, Any]], chunk: int
) -> None:
    """Found and hashed in chunks of any size, written from the old file read again: the new file's
    bytes, digest and count are those of the whole new index serialized again, the entries replaced
    as they were, the holders of each (id, version) those of the old file parsed."""
    entries, changes = case
    data = Index(entries).to_bytes()
    path = tmp_path_factory.mktemp("fs") / "index.json"
    path.write_bytes(data)
    keys = [(i, v) for i in ("a", "b", "d") for v in ("1.0.0", "2.0")]
    after = Index({**entries, **changes})
    with path.open("rb") as source:
        streamed = splice_file(source, LineEdits(changes), keys, chunk=chunk)
        assert streamed is not None
        assert b"".join(streamed.pieces) == after.to_bytes()
        assert b"".join(streamed.pieces) == after.to_bytes()  # read again: the same
        assert Index.parse(b"".join(streamed.pieces), Path("i.json")).entries == after.entries
        assert (streamed.digest, streamed.count) == (after.digest, len(entries))
        assert streamed.replaced == {p: entries[p] for p in changes}
        assert streamed.holders == {k: sum(1 for e in entries.values() if (e["id"], e["version"]) == k) for k in keys}
    with path.open("rb") as source:
        absent = LineEdits({**changes, "frameworks/absent": next(iter(changes.values()))})
        assert splice_file(source, absent, chunk=chunk) is None


@settings(max_examples=500, deadline=None)
@given(case=_edits(), chunk=st.sampled_from([1, 2, 7, 64, 1 << 22]))
def test_lines_edited_in_the_file_in_chunks_equal_a_full_rewrite(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[Any, Any, Any, list[str]], chunk: int
) -> None:
    """Entries replaced, deleted and inserted in the file read in chunks of any size: the bytes,
    digest and count of the whole new index serialized again, the entries replaced and deleted as
    they were; refused (None) exactly where the first entry line would change (it is removed, or an
    added path sorts before it: the caller rewrites the file), and for an added path already there."""

    entries, changes, added, removed = case
    data = Index(entries).to_bytes()
    path = tmp_path_factory.mktemp("fs") / "index.json"
    path.write_bytes(data)
    after = {p: e for p, e in {**entries, **changes, **added}.items() if p not in removed}
    with path.open("rb") as source:
        streamed = splice_file(source, LineEdits(changes, added, removed), chunk=chunk)
        first = min(entries, key=str.encode)
        if first in removed or any(p.encode() < first.encode() for p in added):
            assert streamed is None
            return
        assert streamed is not None
        expected = Index(after)
        assert b"".join(streamed.pieces) == expected.to_bytes()
        assert (streamed.digest, streamed.count) == (expected.digest, len(after))
        assert streamed.replaced == {p: entries[p] for p in changes}
        assert streamed.removed == {p: entries[p] for p in removed}
    with path.open("rb") as source:
        again = {next(iter(entries)): next(iter(entries.values()))}  # "added", but indexed already
        assert splice_file(source, LineEdits(changes, {**added, **again}, removed), chunk=chunk) is None


def test_a_file_spliced_that_changes_before_it_is_written_is_refused(tmp_path: Path) -> None:
    """The old file is read twice (to find and hash, then to write): a byte changed or cut between
    the two raises OSError while the new file is written (write_atomic then leaves the index as it
    was), never a file that does not match its digest."""

    base = {"checksum": "sha256:" + "0" * 64, "framework": "f", "kind": "k", "size": 1, "status": "draft"}
    entries = {f"frameworks/{i:03d}.md": {**base, "id": f"a{i}", "version": "1"} for i in range(200)}
    path = tmp_path / "index.json"
    data = Index(entries).to_bytes()
    for damage in (lambda b: b.replace(b'"a150"', b'"a15x"'), lambda b: b[:-40]):
        path.write_bytes(data)
        with path.open("rb") as source:
            streamed = splice_file(source, LineEdits({"frameworks/007.md": {**base, "id": "a7", "version": "2"}}))
            assert streamed is not None
            with path.open("r+b") as edit:  # in place, as a hand edit under the lock would
                edit.truncate(0)
                edit.write(damage(data))
            with pytest.raises(OSError, match=r"changed|shorter"):
                b"".join(streamed.pieces)
