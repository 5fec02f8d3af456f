"""`artigov adopt` on the shapes real documentation repositories have (`tests/data/adopt/`: Hugo,
Jekyll, Astro, a TOML blog, folders nested five deep), each in a new repository made by
`artigov init`: nothing misfiled, nothing retyped, nested trees routed, other frontmatter shapes
described without changing their meaning, non-documents skipped and said so. After adopting, each
tree has 0 findings from `validate`, `route check` and `status`, then promotes with a throwaway key
and verifies, and a second adopt changes nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artigov.core.testkeys import gnupg_home, make_key

Runner = Callable[..., subprocess.CompletedProcess[str]]
DATA = Path(__file__).resolve().parent / "data" / "adopt"
KIND_DIR = "frameworks/docs/plans/technical"
BOM = b"\xef\xbb\xbf"


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2020-02-03T04:05:06Z", "GIT_COMMITTER_DATE": "2020-02-03T04:05:06Z"}
    subprocess.run(["git", "-c", "user.email=t@x.org", "-c", "user.name=t", *args], cwd=root, env=env, check=True,
                   capture_output=True)  # fmt: skip


def _repository(tmp_path: Path, shape: str, artigov: Runner) -> tuple[Path, Path]:
    """A repository made by `artigov init` with the docs tree of ``shape`` in the technical-plan
    folder, committed: (workspace root, the tree's folder in it)."""
    ws = tmp_path / "repo"
    assert artigov("init", ws, "--framework", "docs").returncode == 0
    tree = ws / KIND_DIR / shape
    shutil.copytree(DATA / shape, tree)
    if shape == "nested":  # odd bytes, written here so git never normalises them
        (tree / "a" / "b" / "cr-only.md").write_bytes(b"---\rtitle: Old Mac\r---\rWritten on a classic Mac.\r")
        (tree / "a" / "b" / "c" / "bom.md").write_bytes(BOM + b"# Marked\n\nA byte-order mark, no frontmatter.\n")
        (tree / "a" / "empty.md").write_bytes(b"---\n---\n# Empty block\n")
    if shape == "jekyll":  # build output the site's .gitignore leaves out
        (tree / ".gitignore").write_text("_site/\n")
        (tree / "_site").mkdir()
        (tree / "_site" / "index.html").write_text("<html>built</html>\n")
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "the docs as they were")
    return ws, tree


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but git's and the local state folder (the operational log grows)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts and ".artigov" not in p.relative_to(root).parts
    }


def _body(data: bytes) -> bytes:
    """What follows a file's YAML frontmatter block (the whole file without one)."""
    m = re.match(rb"\A(?:\xef\xbb\xbf)?---[ \t]*(\r\n|\r|\n).*?(\r\n|\r|\n)---[ \t]*(\r\n|\r|\n|\Z)", data, re.DOTALL)
    if m is None:
        m = re.match(rb"\A(?:\xef\xbb\xbf)?---[ \t]*(\r\n|\r|\n)---[ \t]*(\r\n|\r|\n|\Z)", data)
    return data[m.end() :] if m else data[len(BOM) :] if data.startswith(BOM) else data


def _adopt(artigov: Runner, ws: Path, *extra: str) -> dict[str, Any]:
    done = artigov("adopt", "-f", "docs", "--format", "json", *extra, "--root", ws)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return dict(json.loads(done.stdout))


def _promote_and_verify(artigov: Runner, ws: Path) -> None:
    """0 findings everywhere, then a promotion signed with a throwaway key that verifies."""
    validated = artigov("validate", "--root", ws)
    assert validated.returncode == 0 and "ok" in validated.stdout.splitlines()[-1], validated.stdout[-3000:]
    routed = artigov("route", "check", "--root", ws)
    assert routed.returncode == 0 and "0 conflicts" in routed.stdout, routed.stdout[-3000:]
    with gnupg_home() as home:
        key = make_key(home, "docs maintainer")
        config = (ws / "artigov.yaml").read_text().replace("  key: null", f"  key: {key}\n  gnupghome: {home}")
        (ws / "artigov.yaml").write_text(config)
        assert artigov("trust", "init", "--root", ws).returncode == 0
        # a docs tree is many drafts of one kind: the scaffold's plan goes to review, the one the gate picks
        plan = f"{KIND_DIR}/technical-plan-0.1.0.md"
        reviewed = artigov("review", plan, "--as", "owner@example.org", "--root", ws)
        assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
        _git(ws, "add", "-A")
        _git(ws, "commit", "-qm", "adopted")
        promoted = artigov("promote", "-f", "docs", "-g", "draft", "--root", ws)
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr
        # init's index is local (git-ignored): what to commit is the record, never the index
        assert "promote: commit governance/ (or pass --commit)" in promoted.stdout, promoted.stdout
        verified = artigov("verify", "-f", "docs", "--root", ws)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        status = artigov("status", "--root", ws)
        assert status.returncode == 0 and "all is well" in status.stdout, status.stdout


def _applied(artigov: Runner, ws: Path, tree: Path, *extra: str) -> dict[str, Any]:
    """Apply (with ``extra``), check every body byte kept and the second run a no-op."""
    before = _files(tree)
    done = artigov("adopt", "-f", "docs", "--apply", "--format", "json", *extra, "--root", ws)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    after = _files(tree)
    for rel, data in before.items():  # no body byte changed; a sidecar'd file not at all
        assert _body(after[rel]) == _body(data), rel
    again = artigov("adopt", "-f", "docs", "--apply", "--format", "json", *extra, "--root", ws)
    assert json.loads(again.stdout)["proposals"] == [] and _files(tree) == after
    return dict(report)


def _by_path(report: dict[str, Any], tree: Path, ws: Path) -> dict[str, dict[str, Any]]:
    prefix = tree.relative_to(ws).as_posix() + "/"
    return {p["path"].removeprefix(prefix): p for p in report["proposals"]}


def test_hugo_folder_pages_json_frontmatter_and_site_files(tmp_path: Path, artigov: Runner) -> None:
    ws, tree = _repository(tmp_path, "hugo", artigov)
    plan = _adopt(artigov, ws)
    props = _by_path(plan, tree, ws)
    assert plan["routes"] == {"technical-plan": "frameworks/{framework}/plans/technical/{path}"}  # a subtree route
    assert plan["unplaced"] == []
    skipped = {k["path"].rsplit("/", 1)[1]: k["reason"] for k in plan["skipped"]}
    assert "site configuration" in skipped["config.toml"] and "font" in skipped["body.woff2"]
    # folder pages take their folder's name: never _index-2 ... _index-77
    ids = {path: p["id"] for path, p in props.items()}
    assert ids["content/_index.md"] == "content" and ids["content/docs/getting-started/_index.md"] == "getting-started"
    assert ids["content/docs/reference/functions/_index.md"] == "functions"
    assert not any(re.search(r"-\d+$", i) for i in ids.values()), ids
    # JSON frontmatter stays the page's frontmatter: described by a sidecar, its title read
    json_page = props["content/docs/reference/json-page.md"]
    assert json_page["sidecar"] and json_page["written"].endswith("json-page.md.meta.yaml")
    # the author's version: 1.10 is theirs until they choose
    assert props["content/docs/getting-started/install.md"]["conflicts"] == [
        {"key": "version", "theirs": "1.10", "ours": "0.1.0"}
    ]
    report = _applied(artigov, ws, tree, "--conflicts", "take")
    assert 'version: "1.10"' in (tree / "content/docs/getting-started/install.md").read_text()  # the text, not 1.1
    sidecar = (tree / "content/docs/reference/json-page.md.meta.yaml").read_text()
    assert 'title: "A JSON page"' in sidecar
    assert "**/config.toml" in (ws / "artigov.yaml").read_text()  # skipped files stay out of validate
    assert report["routes"] and "/{path}" in (ws / "artifact_routing.mdc").read_text()
    _promote_and_verify(artigov, ws)


def test_jekyll_version_keys_are_the_authors_and_licences_keep_their_names(tmp_path: Path, artigov: Runner) -> None:
    ws, tree = _repository(tmp_path, "jekyll", artigov)
    plan = _adopt(artigov, ws)
    props = _by_path(plan, tree, ws)
    skipped = {k["path"].removeprefix(f"{KIND_DIR}/jekyll/"): k["reason"] for k in plan["skipped"]}
    assert set(skipped) == {"_config.yml", "CNAME", "_site/index.html"}, skipped
    assert skipped["_site/index.html"] == "ignored by .gitignore"
    install = props["docs/installation.md"]["conflicts"]
    assert install == [{"key": "version", "theirs": "3.0", "ours": "0.1.0"}]  # the generator's release, as typed
    assert {c["key"] for c in props["docs/upgrading.md"]["conflicts"]} == {"version", "status"}
    assert (props["licenses/gpl-2.0.md"]["id"], props["licenses/gpl-2.0.md"]["version"]) == ("gpl-2.0", "0.1.0")
    assert props["licenses/gpl-3.0.md"]["id"] == "gpl-3.0"  # two licences, not two versions of one id `gpl`
    assert props["_posts/2019-01-01-welcome.md"]["id"] == "2019-01-01-welcome"

    _applied(artigov, ws, tree, "--conflicts", "rename")
    text = (tree / "docs/installation.md").read_text()
    assert "source_version: 3.0\n" in text and 'version: "0.1.0"' in text  # theirs kept byte for byte, renamed
    assert 'created_at: "2020-02-03T04:05:06Z"' in text  # from the commit that added it
    upgrading = (tree / "docs/upgrading.md").read_text()
    assert "source_status: published" in upgrading and "status: draft" in upgrading
    assert "_site/**" in (ws / "artigov.yaml").read_text() or "jekyll/_site/**" in (ws / "artigov.yaml").read_text()
    _promote_and_verify(artigov, ws)


def test_astro_framework_keys_never_file_documents_under_other_frameworks(tmp_path: Path, artigov: Runner) -> None:
    ws, tree = _repository(tmp_path, "astro", artigov)
    plan = _adopt(artigov, ws)
    props = _by_path(plan, tree, ws)
    guides = "src/content/docs/guides/migrate-to-astro/"
    theirs = {path: p["conflicts"] for path, p in props.items() if p["conflicts"]}
    assert theirs == {
        guides + "from-gatsby.md": [{"key": "framework", "theirs": "Gatsby", "ours": "docs"}],
        guides + "from-hugo.md": [{"key": "framework", "theirs": "Hugo", "ours": "docs"}],
        guides + "from-nextjs.md": [{"key": "framework", "theirs": "Next.js", "ours": "docs"}],
    }
    assert sorted(plan["unresolved_conflicts"]) == sorted(f"{KIND_DIR}/astro/{p}" for p in theirs)
    assert {k["path"].rsplit("/", 1)[1] for k in plan["skipped"]} == {"astro.config.mjs", "package.json"}

    before = _files(ws)
    refused = artigov("adopt", "-f", "docs", "--apply", "--root", ws)
    assert refused.returncode == 2 and "from-gatsby.md: framework: Gatsby" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert _files(ws) == before  # nothing written

    _applied(artigov, ws, tree, "--conflicts", "rename")
    gatsby = (tree / guides / "from-gatsby.md").read_text()
    assert "source_framework: Gatsby\n" in gatsby and "\nframework: docs\n" in gatsby
    index = json.loads(artigov("index", "rebuild", "--format", "json", "--root", ws).stdout)
    assert index["ok"] and index["count"] == 6  # the 5 pages and the scaffold's plan, all in `docs`
    _promote_and_verify(artigov, ws)


def test_toml_posts_get_sidecars_and_keep_every_byte(tmp_path: Path, artigov: Runner) -> None:
    ws, tree = _repository(tmp_path, "toml-blog", artigov)
    plan = _adopt(artigov, ws)
    props = _by_path(plan, tree, ws)
    assert plan["unplaced"] == [] and props["posts/first-post.md"]["sidecar"]
    before = _files(tree)
    _applied(artigov, ws, tree)
    assert (tree / "posts/first-post.md").read_bytes() == before["posts/first-post.md"]
    assert 'title: "First post"' in (tree / "posts/first-post.md.meta.yaml").read_text()
    assert "id: about" in (tree / "posts/about.md").read_text()  # the YAML one is edited in place
    _promote_and_verify(artigov, ws)


def test_nested_five_deep_with_odd_bytes(tmp_path: Path, artigov: Runner) -> None:
    ws, tree = _repository(tmp_path, "nested", artigov)
    plan = _adopt(artigov, ws)
    props = _by_path(plan, tree, ws)
    assert plan["unplaced"] == [] and len(props) == 10
    ids = [p["id"] for p in props.values()]
    assert len(set(ids)) == len(ids) and not any(re.search(r"-\d+$", i) for i in ids), ids
    assert props["a/b/c/d/e/README.md"]["id"] == "e"
    assert props["x/b/overview.md"]["id"] == "x-b-overview"  # the folders above make it unique
    _applied(artigov, ws, tree)
    cr = (tree / "a/b/cr-only.md").read_bytes()
    assert b"\n" not in cr and b"\rid: cr-only\r" in cr  # the file's own line breaks
    bom = (tree / "a/b/c/bom.md").read_bytes()
    assert bom.startswith(BOM + b"---\nid: bom\n")  # the mark stays first
    assert (tree / "a/empty.md").read_bytes().startswith(b"---\nid: empty\n")  # the empty block filled
    _promote_and_verify(artigov, ws)


def test_a_document_naming_its_framework_is_not_asked_about(tmp_path: Path, artigov: Runner) -> None:
    """A document written for artigov (it names the framework) keeps its text fields without a
    conflict; only a value YAML reads as a number is the author's to settle."""
    ws, tree = _repository(tmp_path, "nested", artigov)
    (tree / "mine.md").write_text('---\nid: mine\nversion: "2.0.0"\nstatus: review\nframework: docs\n---\n# Mine\n')
    (tree / "number.md").write_text("---\nid: number\nversion: 2.0\nframework: docs\n---\n# Number\n")
    props = _by_path(_adopt(artigov, ws), tree, ws)
    mine = props["mine.md"]
    assert mine["conflicts"] == [] and (mine["id"], mine["version"]) == ("mine", "2.0.0")
    assert mine["added"] == ["checksum", "kind", "title"]  # never retyped, never renamed
    assert props["number.md"]["conflicts"] == [{"key": "version", "theirs": "2.0", "ours": "0.1.0"}]


def _many(tree: Path, count: int) -> None:
    for i in range(count):
        folder = tree / f"section-{i % 7}" / f"part-{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{i:04d}.md").write_text(f'---\ntitle: "Page {i}"\nweight: {i}\n---\n\n# Page {i}\n')


def test_progress_is_reported_as_files_are_read_then_proposed(tmp_path: Path, artigov: Runner) -> None:
    from artigov.core import load_workspace
    from artigov.onboard.adopt import adopt

    ws = tmp_path / "repo"
    assert artigov("init", ws, "--framework", "docs").returncode == 0
    _many(ws / KIND_DIR / "site", 300)
    calls: list[tuple[int, int]] = []
    report = adopt(load_workspace(ws), "docs", progress=lambda done, total: calls.append((done, total)))
    assert len(report.proposals) == 300 and calls[-1] == (602, 602)  # 301 files, each read then proposed
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) > 5


def test_a_terminal_shows_a_progress_bar(tmp_path: Path, artigov: Runner) -> None:
    """On a terminal (a real pseudo-terminal here) adopt draws a bar on stderr; into a pipe, none."""
    import pty
    import sys
    import threading

    ws = tmp_path / "repo"
    assert artigov("init", ws, "--framework", "docs").returncode == 0
    _many(ws / KIND_DIR / "site", 600)
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    chunks: list[bytes] = []

    def drain() -> None:  # read the terminal while the command draws, so it never blocks on a full one
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    done = subprocess.run(
        [sys.executable, "-m", "artigov.cli", "adopt", "-f", "docs", "--root", str(ws)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env={**env, "COLUMNS": "100"},
        timeout=300, check=False,
    )  # fmt: skip
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    drawn = b"".join(chunks)
    assert done.returncode == 0 and b"would adopt 600 file(s)" in done.stdout
    assert b"adopt" in drawn and b"/1202" in drawn, drawn[-400:]  # the bar: label, done/total
    piped = artigov("adopt", "-f", "docs", "--root", ws)
    assert "\x1b[" not in piped.stderr and "/1202" not in piped.stderr


def test_a_routing_map_adopt_cannot_edit_safely_is_left_alone(tmp_path: Path, artigov: Runner) -> None:
    """A route written in flow style: adopt says to set the subtree route by hand and writes nothing."""
    ws, _tree = _repository(tmp_path, "nested", artigov)
    routing = ws / "artifact_routing.mdc"
    text = routing.read_text().replace(
        "  technical-plan:\n    dir: frameworks/{framework}/plans/technical\n",
        '  technical-plan: {dir: "frameworks/{framework}/plans/technical"}\n',
    )
    routing.write_text(text)
    before = _files(ws)
    done = artigov("adopt", "-f", "docs", "--apply", "--root", ws)
    assert done.returncode == 2 and "set it by hand to 'frameworks/{framework}/plans/technical/{path}'" in done.stderr
    assert _files(ws) == before


def test_no_subtree_route_over_another_kinds_folder(tmp_path: Path, artigov: Runner) -> None:
    """Documents below the technical plans' folder, with the action plans' folder inside it: a
    /{path} route would nest two kinds (R001), so adopt proposes none and says where to route."""
    ws, _tree = _repository(tmp_path, "nested", artigov)
    routing = ws / "artifact_routing.mdc"
    routing.write_text(
        routing.read_text().replace(
            "dir: frameworks/{framework}/plans/action", "dir: frameworks/{framework}/plans/technical/action"
        )
    )
    plan = _adopt(artigov, ws)
    assert plan["routes"] == {} and len(plan["unplaced"]) == 10
    assert all("no route's folder matches" in u["reason"] for u in plan["unplaced"])
