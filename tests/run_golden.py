#!/usr/bin/env python3
"""The golden-test runner: runs Asthra test programs and checks what they print.

A golden test is an ordinary `.asthra` file whose comments say what should
happen (in the manner of Wren's and Carbon's test suites):

  // expect: TEXT              a line of stdout; all of them, in order, are the
                               whole of stdout (none: stdout must be empty)
  // expect-exit: N            exit status of `asthra` (default 0, or 1 when the
                               test has an expect-error)
  // expect-stderr: TEXT       TEXT must occur somewhere in stderr
  // expect-error: CODE text   a diagnostic `error[CODE]` whose message contains
  // expect-warning: CODE text   `text`, reported at this file and this line;
                               `expect-error@+N:` / `@-N:` name a line relative
                               to the comment's own line, `@lib/dep.asthra:3:`
                               a line of a file the test imports
  // run-args: a b c           program arguments (after `--`)
  // build-flags: --release    flags given to `asthra` before the file
  // extra-files: other.c      more files for the command line (relative to the
                               test file)
  // max-rss-mb: N             the program's peak RSS must stay below N MiB
  // check-only                run `asthra check` instead of `asthra run`
  // timeout: N                seconds before the test fails (default 60)
  // threads                   only a ctest label (tests/CMakeLists.txt)
  // gc-stress-every: N         when run with ASTHRA_GC_STRESS set (--env), use
                                N instead: for programs that allocate too much
                                to collect at every allocation in CI time

A test with an expect-error is compiled only (`asthra check FILE`). Otherwise
it is run with `asthra run [build-flags] FILE [extra-files] -- [run-args]`, or,
for max-rss-mb, built with `asthra build ... -o TMP/prog` and the binary run
here so that its peak RSS can be read from wait4(). Every `error[...]` and
`warning[...]` line the compiler prints must be expected, and every expectation
must be met; diagnostics are matched by file basename and line.

Usage:
  run_golden.py [--asthra PATH] [-j N] [--update] [--extra-flags=FLAGS]...
                [--env NAME=VALUE]... FILE_OR_DIR...
A directory stands for the `*.asthra` files directly inside it. `--update`
rewrites the `// expect:` lines of simple tests (only expect/expect-exit
comments) from what the program actually printed. `--extra-flags` gives every
test more flags for `asthra`, before its own `// build-flags:` (so a test's
own flag wins), and `--env` sets a variable for the compiler and the program:
together they run the suite under another configuration, e.g.
`--extra-flags=--gc=boehm --env ASTHRA_GC_STRESS=1`. Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import difflib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT_S = 60.0

# `// directive` or `// directive: value`, anywhere on a line. Longer names are
# listed before their prefixes so that `expect-exit` never reads as `expect`.
DIRECTIVE_RE = re.compile(
    r"//\s*(?P<name>expect-error|expect-warning|expect-exit|expect-stderr|expect"
    r"|run-args|build-flags|extra-files|max-rss-mb|check-only|timeout|threads"
    r"|gc-stress-every)"
    r"(?P<offset>@(?:[+-]\d+|[^:\s]+:\d+))?"
    r"(?:(?P<colon>:)(?P<value>.*)|[ \t]*)$"
)
# The first line of a diagnostic: `FILE:LINE:COL: error[E0301]: message`.
# The location is optional so that a located-nowhere diagnostic still counts
# (as unexpected: no expectation can name it).
DIAG_RE = re.compile(
    r"^(?:(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): )?"
    r"(?P<severity>error|warning)\[(?P<code>[A-Z]\d+)\]: (?P<message>.*)$"
)
EXPECTED_CODE_RE = re.compile(r"^(?P<code>[A-Z]\d+)(?:\s+(?P<text>.*))?$")


class TestFileError(Exception):
    """A malformed directive in a test file."""


@dataclasses.dataclass
class DiagExpectation:
    severity: str  # "error" or "warning"
    code: str
    text: str
    line: int  # the line the diagnostic must point at (1-based)
    comment_line: int  # where the expectation is written
    file: str | None = None  # another file's basename (`@other.asthra:LINE`); None: this test

    def describe(self, basename: str) -> str:
        text = f" {self.text}" if self.text else ""
        return f"{basename}:{self.line}: {self.severity}[{self.code}]{text}"


@dataclasses.dataclass
class Diagnostic:
    file: str | None
    line: int | None
    col: int | None
    severity: str
    code: str
    message: str
    raw: str


@dataclasses.dataclass
class TestSpec:
    path: Path
    stdout_lines: list[str] = dataclasses.field(default_factory=list)
    stdout_directive_lines: list[int] = dataclasses.field(default_factory=list)
    exit_status: int | None = None
    stderr_substrings: list[str] = dataclasses.field(default_factory=list)
    diags: list[DiagExpectation] = dataclasses.field(default_factory=list)
    run_args: list[str] = dataclasses.field(default_factory=list)
    build_flags: list[str] = dataclasses.field(default_factory=list)
    extra_files: list[Path] = dataclasses.field(default_factory=list)
    max_rss_mb: float | None = None
    check_only: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    threads: bool = False
    gc_stress_every: int | None = None

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diags)

    @property
    def expected_exit(self) -> int:
        if self.exit_status is not None:
            return self.exit_status
        return 1 if self.has_errors else 0

    @property
    def mode(self) -> str:
        if self.has_errors or self.check_only:
            return "check"
        if self.max_rss_mb is not None:
            return "build"
        return "run"


def read_source_lines(path: Path) -> tuple[list[str], str, bool]:
    """The file's lines (without line ends), its line end and whether it has a BOM."""
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines, newline, bom


def value_after_colon(raw: str) -> str:
    """A directive's text: everything after `:` and one optional space."""
    return raw[1:] if raw.startswith(" ") else raw


def parse_test(path: Path) -> TestSpec:
    spec = TestSpec(path=path)
    lines, _, _ = read_source_lines(path)
    for index, line in enumerate(lines):
        lineno = index + 1
        match = DIRECTIVE_RE.search(line)
        if not match:
            continue
        name = match["name"]
        value = value_after_colon(match["value"]) if match["colon"] else None
        where = f"{path}:{lineno}"
        if match["offset"] and name not in ("expect-error", "expect-warning"):
            raise TestFileError(f"{where}: `@+N` is only allowed on expect-error/expect-warning")
        bare = name in ("check-only", "threads")
        if bare and value is not None:
            raise TestFileError(f"{where}: `// {name}` takes no value")
        if not bare and value is None:
            raise TestFileError(f"{where}: `// {name}` needs `: value`")
        if name == "expect":
            spec.stdout_lines.append(value)
            spec.stdout_directive_lines.append(lineno)
        elif name == "expect-exit":
            try:
                spec.exit_status = int(value.strip())
            except ValueError:
                raise TestFileError(f"{where}: expect-exit needs an integer") from None
        elif name == "expect-stderr":
            spec.stderr_substrings.append(value)
        elif name in ("expect-error", "expect-warning"):
            code_match = EXPECTED_CODE_RE.match(value.strip())
            if not code_match:
                raise TestFileError(f"{where}: `// {name}: CODE text` needs a code such as E0301")
            at = match["offset"][1:] if match["offset"] else "+0"
            other_file = None
            if at[0] in "+-":
                target_line = lineno + int(at)
            else:  # `@lib/dep.asthra:3`: a diagnostic in a file the test imports
                other, _, number = at.rpartition(":")
                other_file, target_line = Path(other).name, int(number)
            spec.diags.append(
                DiagExpectation(
                    severity=name.removeprefix("expect-"),
                    code=code_match["code"],
                    text=(code_match["text"] or "").strip(),
                    line=target_line,
                    comment_line=lineno,
                    file=other_file,
                )
            )
        elif name == "run-args":
            spec.run_args += shlex.split(value)
        elif name == "build-flags":
            spec.build_flags += shlex.split(value)
        elif name == "extra-files":
            spec.extra_files += [path.parent / f for f in shlex.split(value)]
        elif name == "max-rss-mb":
            try:
                spec.max_rss_mb = float(value.strip())
            except ValueError:
                raise TestFileError(f"{where}: max-rss-mb needs a number") from None
        elif name == "timeout":
            try:
                spec.timeout_s = float(value.strip())
            except ValueError:
                raise TestFileError(f"{where}: timeout needs a number of seconds") from None
        elif name == "check-only":
            spec.check_only = True
        elif name == "threads":
            spec.threads = True
        elif name == "gc-stress-every":
            if not value.strip().isdigit() or int(value) < 1:
                raise TestFileError(f"{where}: gc-stress-every needs a positive count")
            spec.gc_stress_every = int(value)
    return spec


@dataclasses.dataclass
class Completed:
    argv: list[str]
    status: int | None  # exit status; 128+N for a signal in a built program
    signal: int | None  # the signal that killed the process, if one did
    stdout: str
    stderr: str
    maxrss_kib: int
    timed_out: bool
    seconds: float

    def describe_status(self) -> str:
        if self.timed_out:
            return "timed out"
        if self.signal is not None:
            name = signal.Signals(self.signal).name if self.signal in signal.valid_signals() else "?"
            return f"killed by signal {self.signal} ({name})"
        return f"exit {self.status}"


def run_process(argv: list[str], cwd: Path, timeout_s: float, extra_env: dict[str, str]) -> Completed:
    """Runs argv with stdout/stderr in files, reaping it with wait4 for its rusage.

    The child gets its own session so that a timeout kills everything it
    started (`asthra run` starts the program as its own child)."""
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    env.update(extra_env)
    out_path = cwd / ".golden-stdout"
    err_path = cwd / ".golden-stderr"
    start = time.monotonic()
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(
                argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env=env, start_new_session=True,
            )
    except OSError as error:
        return Completed(argv=argv, status=127, signal=None, stdout="",
                         stderr=f"run_golden.py: cannot start {argv[0]}: {error}\n",
                         maxrss_kib=0, timed_out=False, seconds=0.0)
    timed_out = False
    deadline = start + timeout_s
    delay = 0.001
    while True:
        pid, wait_status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pid, wait_status, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    proc.returncode = 0  # reaped here; stop Popen from waiting on it again
    seconds = time.monotonic() - start
    code = os.waitstatus_to_exitcode(wait_status)
    sig = -code if code < 0 else None
    stdout = out_path.read_bytes().decode("utf-8", errors="replace")
    stderr = err_path.read_bytes().decode("utf-8", errors="replace")
    return Completed(
        argv=argv, status=None if sig is not None else code, signal=sig,
        stdout=stdout, stderr=stderr, maxrss_kib=rusage.ru_maxrss,
        timed_out=timed_out, seconds=seconds,
    )


def parse_diagnostics(stderr: str) -> list[Diagnostic]:
    diags = []
    for raw in stderr.split("\n"):
        raw = raw.removesuffix("\r")
        match = DIAG_RE.match(raw)
        if not match:
            continue
        diags.append(
            Diagnostic(
                file=match["file"],
                line=int(match["line"]) if match["line"] else None,
                col=int(match["col"]) if match["col"] else None,
                severity=match["severity"],
                code=match["code"],
                message=match["message"],
                raw=raw,
            )
        )
    return diags


def match_diagnostics(
    spec: TestSpec, diags: list[Diagnostic]
) -> tuple[list[DiagExpectation], list[Diagnostic]]:
    """Pairs expectations with diagnostics; returns (unmet, unexpected).

    Expectations with longer texts are matched first so that a vague one
    (empty text) does not take the diagnostic a specific one needs."""
    basename = spec.path.name
    remaining = list(diags)
    unmet = []
    for expectation in sorted(spec.diags, key=lambda e: -len(e.text)):
        for diag in remaining:
            if (
                diag.severity == expectation.severity
                and diag.code == expectation.code
                and diag.line == expectation.line
                and diag.file is not None
                and Path(diag.file).name == (expectation.file or basename)
                and expectation.text in diag.message
            ):
                remaining.remove(diag)
                break
        else:
            unmet.append(expectation)
    unmet.sort(key=lambda e: (e.line, e.comment_line))
    return unmet, remaining


@dataclasses.dataclass
class Outcome:
    path: Path
    passed: bool
    report: str
    seconds: float


def expected_stdout(spec: TestSpec) -> str:
    return "".join(line + "\n" for line in spec.stdout_lines)


@dataclasses.dataclass
class Config:
    """How every test of a run is compiled and run."""
    asthra: str
    extra_flags: list[str] = dataclasses.field(default_factory=list)  # before each test's build-flags
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    update: bool = False


def build_commands(spec: TestSpec, config: Config, tmp: Path) -> tuple[list[str], list[str] | None]:
    """The compiler's command line, and for max-rss tests the program's."""
    source = str(spec.path.resolve())
    extras = [str(f.resolve()) for f in spec.extra_files]
    asthra, flags = config.asthra, [*config.extra_flags, *spec.build_flags]
    if spec.mode == "check":
        return [asthra, "check", *flags, source], None
    if spec.mode == "build":
        program = tmp / "prog"
        return (
            [asthra, "build", *flags, source, *extras, "-o", str(program)],
            [str(program), *spec.run_args],
        )
    argv = [asthra, "run", *flags, source, *extras]
    if spec.run_args:
        argv += ["--", *spec.run_args]
    return argv, None


def indent(text: str, prefix: str = "    ") -> str:
    if not text:
        return prefix + "(empty)\n"
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) > 400:
        lines = lines[:200] + [f"... ({len(lines) - 400} lines cut) ..."] + lines[-200:]
    return "".join(prefix + line + "\n" for line in lines)


def run_test(path: Path, config: Config) -> Outcome:
    start = time.monotonic()
    try:
        spec = parse_test(path)
    except (TestFileError, OSError) as error:
        return Outcome(path, False, f"FAIL {path}\n  bad test file: {error}\n", 0.0)

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="asthra-golden-") as tmp_name:
        tmp = Path(tmp_name)
        compile_argv, program_argv = build_commands(spec, config, tmp)
        deadline = time.monotonic() + spec.timeout_s
        env = dict(config.env)
        if "ASTHRA_GC_STRESS" in env and spec.gc_stress_every is not None:
            env["ASTHRA_GC_STRESS"] = str(spec.gc_stress_every)
        compiled = run_process(compile_argv, tmp, spec.timeout_s, env)
        # The compiler's stderr holds its diagnostics; with `asthra run` it is
        # also the program's own stderr.
        shown = [("command", compiled)]
        stdout_result = compiled
        status_result = compiled
        stderr_text = compiled.stderr

        if compiled.timed_out:
            problems.append(f"timed out after {spec.timeout_s:g} s")
        elif program_argv is not None:
            if compiled.status != 0 or compiled.signal is not None:
                problems.append(f"`asthra build` failed: {compiled.describe_status()}")
            else:
                program = run_process(program_argv, tmp, max(deadline - time.monotonic(), 0.1), env)
                shown.append(("program", program))
                stdout_result = program
                status_result = program
                stderr_text = compiled.stderr + program.stderr
                if program.timed_out:
                    problems.append(f"timed out after {spec.timeout_s:g} s")
                # Like `asthra run`: a program killed by a signal exits 128+N.
                if program.signal is not None:
                    program.status = 128 + program.signal
                rss_mib = program.maxrss_kib / 1024
                # Sanitizer builds (shadow memory, quarantine) scale the
                # limit by ASTHRA_RSS_SCALE, which their ctest sets.
                scale = float(os.environ.get("ASTHRA_RSS_SCALE", "1"))
                if spec.max_rss_mb is not None and rss_mib >= spec.max_rss_mb * scale:
                    problems.append(
                        f"peak RSS {rss_mib:.1f} MiB is not below max-rss-mb {spec.max_rss_mb:g}"
                        + (f" x {scale:g} (sanitizer build)" if scale != 1 else "")
                    )

        timed_out = any(result.timed_out for _, result in shown)
        if not timed_out:
            actual_exit = status_result.status
            if status_result.signal is not None and status_result is compiled:
                problems.append(f"asthra {status_result.describe_status()}")
            elif actual_exit != spec.expected_exit:
                problems.append(f"exit status {actual_exit}, expected {spec.expected_exit}")

        if "internal compiler error" in compiled.stderr and not any(
            "internal compiler error" in s for s in spec.stderr_substrings
        ):
            problems.append("the compiler reported an internal compiler error")

        unmet, unexpected = match_diagnostics(spec, parse_diagnostics(compiled.stderr))
        if unmet:
            problems.append(
                "expected diagnostics not reported:\n"
                + "".join(f"    {e.describe(path.name)}  (comment on line {e.comment_line})\n" for e in unmet)
            )
        if unexpected:
            problems.append(
                "unexpected diagnostics:\n" + "".join(f"    {d.raw}\n" for d in unexpected)
            )

        for substring in spec.stderr_substrings:
            if substring not in stderr_text:
                problems.append(f"stderr does not contain: {substring!r}")

        want_stdout = expected_stdout(spec)
        got_stdout = stdout_result.stdout
        stdout_differs = got_stdout != want_stdout and not timed_out
        if stdout_differs:
            diff = difflib.unified_diff(
                want_stdout.splitlines(keepends=True), got_stdout.splitlines(keepends=True),
                fromfile="expected stdout", tofile="actual stdout",
            )
            text = "".join(line if line.endswith("\n") else line + "\n\\ no newline at end\n" for line in diff)
            problems.append("stdout differs:\n" + indent(text))

        updated = False
        if config.update and stdout_differs:
            updated, why = update_expectations(spec, got_stdout, problems)
            if updated:
                problems = [p for p in problems if not p.startswith("stdout differs")]
            else:
                problems.append(f"--update: not updated: {why}")

    seconds = time.monotonic() - start
    if not problems:
        note = " (expect lines updated)" if updated else ""
        return Outcome(path, True, f"PASS {path} ({seconds:.2f} s){note}\n", seconds)

    report = [f"FAIL {path} ({seconds:.2f} s)\n"]
    for problem in problems:
        report.append("  " + problem.rstrip("\n") + "\n")
    for label, result in shown:
        report.append(f"  {label}: {shlex.join(result.argv)}\n")
        report.append(f"  {label} status: {result.describe_status()}\n")
        report.append(f"  {label} stdout:\n" + indent(result.stdout))
        report.append(f"  {label} stderr:\n" + indent(result.stderr))
    return Outcome(path, False, "".join(report), seconds)


def update_expectations(spec: TestSpec, actual: str, problems: list[str]) -> tuple[bool, str]:
    """Rewrites the file's `// expect:` lines to match `actual` stdout."""
    if spec.diags or spec.stderr_substrings or spec.max_rss_mb is not None or spec.check_only:
        return False, "the test has expectations other than expect/expect-exit"
    if any(not p.startswith("stdout differs") for p in problems):
        return False, "the test fails for other reasons too"
    lines, newline, bom = read_source_lines(spec.path)
    for lineno in spec.stdout_directive_lines:
        if not re.match(r"^\s*//\s*expect:", lines[lineno - 1]):
            return False, f"line {lineno} has `// expect:` after code; edit it by hand"
    if actual and not actual.endswith("\n"):
        return False, "stdout does not end with a newline"
    new = ["// expect: " + line if line else "// expect:" for line in actual.split("\n")[:-1]]
    if spec.stdout_directive_lines:
        first = spec.stdout_directive_lines[0] - 1
        drop = {n - 1 for n in spec.stdout_directive_lines}
        kept = [line for i, line in enumerate(lines) if i not in drop]
        insert_at = first - sum(1 for n in drop if n < first)
        lines = kept[:insert_at] + new + kept[insert_at:]
    else:
        lines = lines + new
    text = ("\ufeff" if bom else "") + newline.join(lines) + newline
    spec.path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    return True, ""


def collect(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(path.glob("*.asthra"))
        else:
            files.append(path)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run Asthra golden tests (see the comment at the top of this file).")
    parser.add_argument("--asthra", default=os.environ.get("ASTHRA", str(REPO_ROOT / "build/bin/asthra")),
                        help="the asthra binary (default: $ASTHRA or build/bin/asthra)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="tests to run at once")
    parser.add_argument("--update", action="store_true",
                        help="rewrite `// expect:` lines of simple tests from actual stdout")
    parser.add_argument("--extra-flags", action="append", default=[], metavar="FLAGS",
                        help="more flags for asthra in every test, before its own build-flags "
                             "(split like a shell; write `--extra-flags=--gc=boehm`)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the compiler and the programs")
    parser.add_argument("tests", nargs="+", help="test files, or directories of them")
    args = parser.parse_args()
    env = {}
    for assignment in args.env:
        name, equals, value = assignment.partition("=")
        if not name or not equals:
            parser.error(f"--env needs NAME=VALUE, not {assignment!r}")
        env[name] = value

    asthra = str(Path(args.asthra).resolve())
    config = Config(asthra=asthra, extra_flags=[f for flags in args.extra_flags for f in shlex.split(flags)],
                    env=env, update=args.update)
    if not os.access(asthra, os.X_OK):
        print(f"run_golden.py: no asthra binary at {asthra} (build it first, or pass --asthra)",
              file=sys.stderr)
        return 2
    files = collect(args.tests)
    missing = [f for f in files if not f.is_file()]
    if missing:
        for f in missing:
            print(f"run_golden.py: no such test file: {f}", file=sys.stderr)
        return 2

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        for outcome in pool.map(lambda f: run_test(f, config), files):
            sys.stdout.write(outcome.report)
            sys.stdout.flush()
            failed += not outcome.passed
    if len(files) > 1:
        print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
