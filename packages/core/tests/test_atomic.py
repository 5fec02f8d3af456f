from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from artigov.core._atomic import FileLock, lock_path_for, write_atomic
from artigov.core._faults import FAULT_EXIT_CODE
from artigov.core.errors import LockTimeoutError
from artigov.core.testing import held_lock


def _run_writer(target: Path, data: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from artigov.core._atomic import write_atomic
        from artigov.core.errors import ArtigovError
        try:
            write_atomic(Path({str(target)!r}), {data!r}.encode())
        except ArtigovError as e:
            print(e)
            raise SystemExit(e.exit_code)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def test_write_atomic_replaces_content_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "index.json"
    write_atomic(target, b"one\n")
    write_atomic(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    leftovers = [p.name for p in target.parent.iterdir() if p.name not in ("index.json", "index.json.lock")]
    assert leftovers == []


@pytest.mark.parametrize("point", ["mid-temp-write", "after-temp-fsync"])
def test_crash_before_rename_keeps_old_content(tmp_path: Path, point: str) -> None:
    target = tmp_path / "index.json"
    target.write_text("old\n")
    result = _run_writer(target, "new content\n", {"ARTIGOV_FAULT": point})
    assert result.returncode == FAULT_EXIT_CODE
    assert target.read_text() == "old\n"


def test_crash_after_rename_has_new_content(tmp_path: Path) -> None:
    target = tmp_path / "index.json"
    target.write_text("old\n")
    result = _run_writer(target, "new\n", {"ARTIGOV_FAULT": "after-rename"})
    assert result.returncode == FAULT_EXIT_CODE
    assert target.read_text() == "new\n"


@pytest.mark.parametrize("mode", ["enospc", "eio"])
def test_injected_disk_error_is_one_line_and_keeps_old_file(tmp_path: Path, mode: str) -> None:
    target = tmp_path / "index.json"
    target.write_text("old\n")
    # Steps: lock-open(1), temp-open(2), temp-write(3): fail the write itself.
    result = _run_writer(target, "new\n", {"ARTIGOV_FAULT_STEP": "3", "ARTIGOV_FAULT_MODE": mode})
    assert result.returncode == 1
    assert "write failed" in result.stdout and "previous version is left in place" in result.stdout
    assert result.stdout.count("\n") == 1
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "index.json.lock"]


def test_second_writer_times_out_naming_holder_pid(tmp_path: Path) -> None:
    target = tmp_path / "index.json"
    with held_lock(lock_path_for(target)) as pid:
        start = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            write_atomic(target, b"x", lock_timeout=0.3)
        assert time.monotonic() - start >= 0.3
        assert f"pid={pid}" in str(info.value)
        assert "--lock-timeout" in str(info.value)
        assert not target.exists()


def test_lock_is_released_when_holder_is_killed(tmp_path: Path) -> None:
    lock = lock_path_for(tmp_path / "index.json")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from pathlib import Path\nfrom artigov.core._atomic import FileLock\n"
            f"l = FileLock(Path({str(lock)!r})); l.acquire(); print('locked', flush=True)\nimport time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    holder.stdout.close()
    with FileLock(lock, timeout=2):
        pass
