"""The reference for `adopt --apply`: the edits adopt makes, as a 20-line python-frontmatter script
(which, unlike adopt, re-dumps the YAML: keys reordered, quoting and comments lost; bodies
stripped; no schema check, no proof, no index). Usage: adopt_reference.py FOLDER FRAMEWORK KIND."""

import hashlib
import sys
from pathlib import Path

import frontmatter  # python-frontmatter

folder, framework, kind = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
for path in sorted(folder.rglob("*.md")):
    post = frontmatter.load(path)
    body = post.content.encode("utf-8")
    defaults = {
        "id": path.stem.lower(),
        "version": "0.1.0",
        "status": "draft",
        "framework": framework,
        "kind": kind,
        "title": path.stem,
        "checksum": "sha256:" + hashlib.sha256(body).hexdigest(),
    }
    for key, value in defaults.items():
        post.metadata.setdefault(key, value)
    path.write_text(frontmatter.dumps(post) + "\n", encoding="utf-8")
