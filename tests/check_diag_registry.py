#!/usr/bin/env python3
"""Checks the diagnostic registry against the golden tests.

`compiler/diag/codes.def` declares every diagnostic once, as lines of the form
    ASTHRA_DIAG(E0101, Error, "summary text")
(kinds Error and Warning; codes E0001... and W0001...). Every code there must
be exercised by a golden test (`tests/programs/<feature>/*.asthra`) through an
`// expect-error: CODE` or `// expect-warning: CODE` comment (with any
`@+N`/`@-N` offset), and every code a test expects must be in the registry,
with the matching kind. Fails listing each code that breaks a rule.
Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_golden  # noqa: E402  (the one parser of test directives)

REPO_ROOT = Path(__file__).resolve().parent.parent
ENTRY_RE = re.compile(
    r'^\s*ASTHRA_DIAG\(\s*(?P<code>[A-Z]\d+)\s*,\s*(?P<kind>\w+)\s*,\s*(?:"(?:[^"\\]|\\.)*"\s*)+\)'
)
KIND_PREFIX = {"Error": "E", "Warning": "W"}
KIND_SEVERITY = {"Error": "error", "Warning": "warning"}


def read_registry(path: Path, problems: list[str]) -> dict[str, tuple[str, int]]:
    """code -> (kind, line in codes.def)."""
    codes: dict[str, tuple[str, int]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if "ASTHRA_DIAG(" not in line or line.lstrip().startswith(("//", "#")):
            continue
        match = ENTRY_RE.match(line)
        if not match:
            problems.append(f"{path}:{lineno}: malformed entry: {line.strip()}")
            continue
        code, kind = match["code"], match["kind"]
        if kind not in KIND_PREFIX:
            problems.append(f"{path}:{lineno}: {code}: kind must be Error or Warning, not {kind}")
            continue
        if not re.fullmatch(KIND_PREFIX[kind] + r"\d{4}", code):
            problems.append(f"{path}:{lineno}: {code}: a code of kind {kind} is {KIND_PREFIX[kind]} and four digits")
        if code in codes:
            problems.append(f"{path}:{lineno}: {code} is declared twice (first on line {codes[code][1]})")
            continue
        codes[code] = (kind, lineno)
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=Path, default=REPO_ROOT / "compiler/diag/codes.def")
    parser.add_argument("--tests", type=Path, default=REPO_ROOT / "tests/programs")
    args = parser.parse_args()

    if not args.codes.is_file():
        print(f"check_diag_registry: the diagnostic registry {args.codes} does not exist;"
              " every diagnostic code must be declared there", file=sys.stderr)
        return 1

    problems: list[str] = []
    registry = read_registry(args.codes, problems)

    # code -> [(test file, line, severity)]
    used: dict[str, list[tuple[Path, int, str]]] = {}
    tests = sorted(args.tests.glob("*/*.asthra"))
    for test in tests:
        try:
            spec = run_golden.parse_test(test)
        except run_golden.TestFileError as error:
            problems.append(f"bad test file: {error}")
            continue
        for expectation in spec.diags:
            used.setdefault(expectation.code, []).append(
                (test, expectation.comment_line, expectation.severity))

    unexercised = [code for code in sorted(registry) if code not in used]
    for code in unexercised:
        kind, lineno = registry[code]
        problems.append(f"{code} ({kind}, {args.codes.name}:{lineno}) is exercised by no golden test"
                        f" (add `// expect-{KIND_SEVERITY[kind]}: {code} ...` to one)")
    for code in sorted(used):
        for test, lineno, severity in used[code]:
            if code not in registry:
                problems.append(f"{test}:{lineno}: {code} is not in the registry {args.codes}")
            elif KIND_SEVERITY[registry[code][0]] != severity:
                problems.append(f"{test}:{lineno}: {code} is registered as {registry[code][0]},"
                                f" but expected as a {severity}")

    exercised = len(registry) - len(unexercised)
    print(f"diag registry: {len(registry)} codes, {exercised} exercised by {len(tests)} golden tests")
    if problems:
        print(f"{len(problems)} problems:")
        for problem in problems:
            print("  " + problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
