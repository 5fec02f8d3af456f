"""The frameworks of the index, read in chunks (what `contract frameworks` lists for CI to loop over):
the same names as parsing the whole index, and the whole index's errors when it is not in shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from artigov.core import load_workspace
from artigov.index import IndexCorruptError, IndexMissingError, indexed_frameworks, read_index, rebuild
from artigov.index.testing import synth_workspace


@pytest.mark.parametrize("committed", [False, True], ids=["local", "committed"])
def test_the_chunked_read_names_the_frameworks_the_whole_parse_names(tmp_path: Path, committed: bool) -> None:
    ws = load_workspace(synth_workspace(tmp_path / "ws", 60, seed=3, committed=committed))
    rebuild(ws)
    whole = {str(e["framework"]) for e in read_index(ws, refresh=False).entries.values()}
    assert len(whole) > 1 and indexed_frameworks(ws) == whole


def test_an_index_out_of_shape_gets_the_whole_parse_and_its_error(tmp_path: Path) -> None:
    ws = load_workspace(synth_workspace(tmp_path / "ws", 20, seed=4, committed=True))
    rebuild(ws)
    ws.index_path.write_bytes(ws.index_path.read_bytes()[:-40])  # torn: no last line
    with pytest.raises(IndexCorruptError):
        indexed_frameworks(ws)
    ws.index_path.unlink()
    with pytest.raises(IndexMissingError):
        indexed_frameworks(ws)
