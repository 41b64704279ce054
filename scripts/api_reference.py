"""The README's API reference, generated from the app's own OpenAPI document.

`python scripts/api_reference.py` rewrites the block between the markers in README.md;
`--check` exits 1 when the README is not current (a test runs it, so the reference cannot drift).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- api-reference:start -->", "<!-- api-reference:end -->"
METHODS = ("get", "post", "put", "patch", "delete")


def reference(spec: dict) -> str:
    """A markdown table: one row per operation (method, path, what it does, Idempotency-Key)."""
    rows = ["| method | path | what | Idempotency-Key |", "|---|---|---|---|"]
    for path in sorted(spec["paths"]):
        for method in METHODS:
            operation = spec["paths"][path].get(method)
            if operation is None:
                continue
            what = _sentence(operation).replace("|", "\\|")
            keyed = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
            rows.append(f"| `{method.upper()}` | `{path}` | {what} | {'yes' if keyed else ''} |")
    return "\n".join(rows)


def _sentence(operation: dict) -> str:
    """The operation's first sentence: its summary, continued from the description when a docstring's
    first line broke mid-sentence."""
    text = " ".join(f"{operation.get('summary', '')} {operation.get('description', '')}".split())
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def app_spec() -> dict:
    scratch = tempfile.mkdtemp(prefix="api-reference-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/reference.db")
    os.environ.setdefault("WMS_INSTANCE_DIR", scratch)
    sys.path.insert(0, str(ROOT))
    from erp_core.api import api
    from wms.app import create_app

    with create_app().app_context():
        return api.spec.to_dict()


def current_block(readme: str) -> str:
    return readme[readme.index(START) + len(START):readme.index(END)].strip("\n")


def main(argv: list[str]) -> int:
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    wanted = reference(app_spec())
    if "--check" in argv:
        if current_block(readme) != wanted:
            print("README.md's API reference is not current: run python scripts/api_reference.py", file=sys.stderr)
            return 1
        return 0
    before, after = readme.split(START)[0], readme.split(END)[1]
    readme_path.write_text(f"{before}{START}\n{wanted}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
