#!/usr/bin/env python3
"""The C that asthra generates compiles without warnings, with gcc and clang.

Usage: tests/check_c_warnings.py --asthra PATH [--cc gcc,clang] [--jobs N]
                                 [--extra-flags=FLAGS] [--verbose] [FILE_OR_DIR...]

For every golden program (default: tests/programs/*/*.asthra) that is meant
to compile, i.e. has no `// expect-error`, it runs `asthra emit-c` (with
--extra-flags, e.g. `--gc=asthra`, and the test's `// build-flags:`) and
compiles the C with each compiler:

    CC -std=gnu11 -Wall -Wextra -Werror -c -I runtime/include prog.c

docs/design/compiler.md promises C that compiles cleanly; a warning is a
codegen bug.  It prints each program whose C draws warnings, the warning
kinds with their counts (and, with --verbose, the messages), and exits 1 if
there was any.
"""
import argparse
import collections
import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# -Wno-infinite-recursion: that warning is about the Asthra program's own
# logic (tests of stack overflow recurse forever on purpose), not about the C.
FLAGS = ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wno-infinite-recursion', '-c', '-I',
         os.path.join(ROOT, 'runtime', 'include')]
WARNING = re.compile(r'^(.*?):(\d+):(\d+): (?:fatal error|error|warning): (.*?)(?: \[(-W[^\]]+)\])?$')


def programs(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, '*', '*.asthra')) + glob.glob(os.path.join(p, '*.asthra')))
        else:
            files.append(p)
    return sorted(set(files))


def build_flags(text):
    flags = []
    for m in re.finditer(r'//\s*build-flags:(.*)$', text, re.M):
        flags += shlex.split(m.group(1))
    return flags


def extra_sources(text, path):
    """The `// extra-files:` that are Asthra sources (C files only link)."""
    files = []
    for m in re.finditer(r'//\s*extra-files:(.*)$', text, re.M):
        files += [os.path.join(os.path.dirname(path), f) for f in shlex.split(m.group(1))]
    return [f for f in files if f.endswith(('.asthra', '.ast'))]


def check(asthra, extra_flags, path, compilers, tmp):
    """Returns (skipped_reason, {cc: [(kind, message)]})."""
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    if re.search(r'//\s*expect-error', text):
        return 'expects an error', {}
    flags = extra_flags + [f for f in build_flags(text)
                           if f in ('--release', '--bounds-checks=off', '--bounds-checks=on', '--gc=asthra', '--gc=boehm')]
    base = os.path.join(tmp, re.sub(r'[^A-Za-z0-9_]', '_', os.path.relpath(path, ROOT)))
    c_file = base + '.c'
    p = subprocess.run([asthra, 'emit-c', *flags, path, *extra_sources(text, path), '-o', c_file],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, {'asthra': [('emit-c failed', p.stderr.strip().splitlines()[-1] if p.stderr.strip() else
                                  f'exit {p.returncode}')]}
    found = {}
    for cc in compilers:
        r = subprocess.run([cc, *FLAGS, c_file, '-o', base + f'.{cc}.o'], capture_output=True, text=True)
        msgs = []
        for line in r.stderr.splitlines():
            m = WARNING.match(line)
            if m:
                if m.group(5):  # -Werror=unused-function, -Werror,-Wunused-function
                    kind = '-W' + re.sub(r'^-Werror[,=]', '', m.group(5)).removeprefix('-W').rstrip('=')
                else:
                    kind = 'error'
                msgs.append((kind, f"{os.path.basename(path)}.c:{m.group(2)}: {m.group(4)}"))
        if r.returncode != 0 and not msgs:
            msgs.append(('failed', r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f'exit {r.returncode}'))
        if msgs:
            found[cc] = msgs
    return None, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--asthra', required=True)
    ap.add_argument('--cc', default='gcc,clang', help='comma-separated C compilers (default: %(default)s)')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--extra-flags', action='append', default=[], metavar='FLAGS',
                    help='more emit-c flags for every program, e.g. --extra-flags=--gc=asthra')
    ap.add_argument('--verbose', action='store_true', help='print every warning, not only the kinds')
    ap.add_argument('paths', nargs='*', default=[os.path.join(ROOT, 'tests', 'programs')])
    args = ap.parse_args()
    compilers = [c for c in args.cc.split(',') if c]
    for cc in compilers:
        if not shutil.which(cc):
            ap.error(f"`{cc}` is not installed")
    files = programs(args.paths)
    bad = {}
    skipped = 0
    kinds = collections.Counter()
    with tempfile.TemporaryDirectory(prefix='asthra-cwarn-') as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            extra_flags = [f for flags in args.extra_flags for f in shlex.split(flags)]
            results = list(pool.map(lambda f: (f, check(args.asthra, extra_flags, f, compilers, tmp)), files))
    for path, (skip, found) in results:
        if skip:
            skipped += 1
            continue
        if found:
            bad[path] = found
            for cc, msgs in found.items():
                for kind, _ in msgs:
                    kinds[(cc, kind)] += 1
    for path, found in bad.items():
        print(f"{os.path.relpath(path, ROOT)}:")
        for cc, msgs in found.items():
            counted = collections.Counter(k for k, _ in msgs)
            print(f"  {cc}: " + ', '.join(f"{k} x{n}" for k, n in sorted(counted.items())))
            shown = msgs if args.verbose else msgs[:2]
            for _, msg in shown:
                print(f"    {msg}")
    checked = len(files) - skipped
    if kinds:
        print("warning kinds over all programs:")
        for (cc, kind), n in sorted(kinds.items()):
            print(f"  {cc} {kind}: {n}")
    print(f"check_c_warnings: {checked} programs compiled with {', '.join(compilers)} "
          f"({skipped} skipped: they expect errors); {len(bad)} with warnings")
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
