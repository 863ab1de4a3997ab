#!/usr/bin/env python3
"""Generates the values table of helm/quarry/README.md from the `# --` comments in values.yaml.

Rules it enforces (so "every value is documented" stays true):
- every key carries a `# --` comment, except the keys of a documented value whose children are
  all undocumented (that value is then shown whole, e.g. a list of hosts);
- every documented key exists in values.schema.json (a property path, or inside an object the
  schema leaves open).
`--check` exits non-zero when README.md is out of date or a rule is broken; without it README.md is rewritten.
"""
import json
import re
import sys
from pathlib import Path

import yaml

CHART = Path(__file__).resolve().parent.parent / "quarry"
BEGIN, END = "<!-- values-table:begin -->", "<!-- values-table:end -->"
PIPE = "\\|"
KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+):(\s.*)?$")


def parse(lines):
    """Yields (path, doc or None) for every mapping key; list items were removed beforehand."""
    stack, doc = [], []  # stack of (indent, key)
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("# --"):
            doc = [stripped[4:].strip()]
        elif stripped.startswith("#"):
            if doc:
                doc.append(stripped[1:].strip())
        elif not stripped:
            doc = []
        else:
            m = KEY.match(line)
            if not m:
                continue
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m.group(2)))
            yield ".".join(k for _, k in stack), " ".join(doc) if doc else None
            doc = []


def entries(text):
    lines = text.splitlines()
    # Mark lines that belong to list items so their keys are not treated as values.
    out, skip_indent = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if stripped and (indent < skip_indent or (indent == skip_indent and not stripped.startswith("- "))):
                skip_indent = None
            else:
                continue
        if stripped.startswith("- "):
            skip_indent = indent
            continue
        out.append(line)
    return list(parse(out))


def lookup(values, path):
    node = values
    for part in path.split("."):
        node = node[part]
    return node


def schema_has(schema, path):
    node = schema
    for part in path.split("."):
        props = node.get("properties", {})
        if part in props:
            node = props[part]
        elif node.get("additionalProperties") not in (False, None):
            return True
        else:
            return False
    return True


def main():
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    schema = json.loads((CHART / "values.schema.json").read_text())
    items = entries(text)
    problems, rows = [], []
    documented = {p for p, d in items if d}
    for path, doc in items:
        parent = path.rsplit(".", 1)[0] if "." in path else None
        siblings_documented = any(p.rsplit(".", 1)[0] == parent and p != path for p in documented if "." in p) if parent else True
        if not doc:
            if parent is None or parent not in documented or siblings_documented:
                problems.append(f"values.yaml: `{path}` has no `# --` comment")
            continue
        if not schema_has(schema, path):
            problems.append(f"values.schema.json: `{path}` is not covered")
        value = lookup(values, path)
        has_documented_children = isinstance(value, dict) and value and any(p.startswith(path + ".") for p in documented)
        shown = "" if has_documented_children else json.dumps(value, ensure_ascii=False)
        kind = "object" if isinstance(value, dict) else "list" if isinstance(value, list) else \
            "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "string" if isinstance(value, str) else "null"
        cell = "`" + shown.replace("|", "\\|") + "`" if shown else ""
        rows.append(f"| `{path}` | {kind} | {cell} | {doc.replace('|', PIPE)} |")
    table = "\n".join([BEGIN, "| Key | Type | Default | Description |", "|-----|------|---------|-------------|", *rows, END])
    readme = CHART / "README.md"
    current = readme.read_text()
    updated = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: table, current, flags=re.S)
    if "--check" in sys.argv:
        if updated != current:
            problems.append("README.md values table is stale: run python3 helm/tools/values_table.py")
    else:
        readme.write_text(updated)
    for p in problems:
        print("ERROR", p, file=sys.stderr)
    print(f"values documented: {len(rows)} keys, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
