#!/usr/bin/env python3
"""Checks that docs/diagnostics.md shows exactly the code of its tested examples.

Every example in the document is a fenced ```asthra block right after a marker

    <!-- test: tests/programs/docs_examples/E0301_wrong.asthra -->

(optionally ending in `encoding=latin-1` for a file that is deliberately not
UTF-8). The block must equal that golden test file with its test directives
(`// expect: ...`, `// expect-error: ...`, `// build-flags: ...`, everything
tests/run_golden.py reads) removed: a line holding only a directive is
dropped, a directive after code is cut off. Also checked:
  - every code in compiler/diag/codes.def has a `### CODE` section with a
    `CODE_wrong.asthra` and a `CODE_fixed.asthra` example, and the document
    names no code the registry lacks;
  - each `_wrong` test expects its code, each `_fixed` test expects no
    diagnostic at all;
  - every file in tests/programs/docs_examples/ is shown exactly once.
The tests themselves are run like every golden test (ctest golden/docs_examples/...).
Python 3.11 stdlib only.

Usage: check_docs_examples.py [--doc PATH] [--codes PATH] [--examples DIR]
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))
import run_golden  # noqa: E402  (the one parser of test directives)

MARKER_RE = re.compile(r"^<!--\s*test:\s*(?P<path>\S+)(?:\s+encoding=(?P<encoding>[\w-]+))?\s*-->\s*$")
SECTION_RE = re.compile(r"^###\s+(?P<code>[A-Z]\d{4})\b")
REGISTRY_RE = re.compile(r"^\s*ASTHRA_DIAG\(\s*(?P<code>[A-Z]\d+)\s*,")


def strip_directives(text: str) -> str:
    """The test's code as the document shows it: without test directives."""
    out = []
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        match = run_golden.DIRECTIVE_RE.search(line)
        if match:
            line = line[: match.start()].rstrip()
            if not line:
                continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def read_example(path: Path, encoding: str | None) -> str:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode(encoding or "utf-8")


def read_registry(path: Path) -> list[str]:
    codes = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.lstrip().startswith("//"):
            continue
        match = REGISTRY_RE.match(line)
        if match:
            codes.append(match["code"])
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--doc", type=Path, default=REPO_ROOT / "docs/diagnostics.md")
    parser.add_argument("--codes", type=Path, default=REPO_ROOT / "compiler/diag/codes.def")
    parser.add_argument("--examples", type=Path, default=REPO_ROOT / "tests/programs/docs_examples")
    args = parser.parse_args()

    problems: list[str] = []
    doc_lines = args.doc.read_text(encoding="utf-8").split("\n")

    # (doc line, path, encoding, block text); code -> its section's example names
    examples: list[tuple[int, Path, str | None, str]] = []
    sections: dict[str, list[str]] = {}
    section: str | None = None
    i = 0
    while i < len(doc_lines):
        line = doc_lines[i]
        heading = SECTION_RE.match(line)
        if heading:
            section = heading["code"]
            if section in sections:
                problems.append(f"{args.doc.name}:{i + 1}: a second section for {section}")
            sections.setdefault(section, [])
        elif line.startswith("#"):
            section = None
        marker = MARKER_RE.match(line)
        if marker:
            if i + 1 >= len(doc_lines) or doc_lines[i + 1].strip() != "```asthra":
                problems.append(f"{args.doc.name}:{i + 1}: the marker is not followed by a ```asthra block")
                i += 1
                continue
            end = i + 2
            while end < len(doc_lines) and doc_lines[end].strip() != "```":
                end += 1
            block = "\n".join(doc_lines[i + 2 : end]).strip("\n") + "\n"
            path = (REPO_ROOT / marker["path"]).resolve()
            examples.append((i + 1, path, marker["encoding"], block))
            if section:
                sections[section].append(path.name)
            i = end
        i += 1

    shown: dict[Path, int] = {}
    for lineno, path, encoding, block in examples:
        where = f"{args.doc.name}:{lineno}"
        if path in shown:
            problems.append(f"{where}: {path.name} is shown twice (first on line {shown[path]})")
        shown[path] = lineno
        if not path.is_file():
            problems.append(f"{where}: no such test file {path}")
            continue
        try:
            want = strip_directives(read_example(path, encoding))
        except UnicodeDecodeError as error:
            problems.append(f"{where}: {path.name} cannot be read ({error}); give `encoding=...` in the marker")
            continue
        if want != block:
            diff = "".join(difflib.unified_diff(
                want.splitlines(keepends=True), block.splitlines(keepends=True),
                fromfile=f"{path.name} (without directives)", tofile=f"{args.doc.name} line {lineno + 2}"))
            problems.append(f"{where}: the block differs from {path.name}:\n" + diff)
        try:
            spec = run_golden.parse_test(path)
        except run_golden.TestFileError as error:
            problems.append(f"{where}: bad test file: {error}")
            continue
        code, _, kind = path.stem.partition("_")
        if kind == "wrong" and not any(d.code == code for d in spec.diags):
            problems.append(f"{where}: {path.name} does not expect {code}")
        if kind == "fixed" and spec.diags:
            problems.append(f"{where}: {path.name} is a fixed example but expects "
                            + ", ".join(sorted({d.code for d in spec.diags})))

    registry = read_registry(args.codes)
    for code in registry:
        if code not in sections:
            problems.append(f"{code} ({args.codes.name}) has no `### {code}` section in {args.doc.name}")
            continue
        for kind in ("wrong", "fixed"):
            if f"{code}_{kind}.asthra" not in sections[code]:
                problems.append(f"section {code} of {args.doc.name} has no {code}_{kind}.asthra example")
    for code in sections:
        if code not in registry:
            problems.append(f"{args.doc.name} documents {code}, which {args.codes.name} does not declare")

    if args.examples.is_dir():
        for path in sorted(args.examples.glob("*.asthra")):
            if path.resolve() not in shown:
                problems.append(f"{path} is not shown in {args.doc.name}")

    print(f"docs examples: {len(examples)} blocks in {args.doc.name}, {len(registry)} codes in {args.codes.name}")
    if problems:
        print(f"{len(problems)} problems:")
        for problem in problems:
            print("  " + problem.rstrip("\n").replace("\n", "\n    "))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
