#!/usr/bin/env python3
"""Differential testing: random programs must behave the same however built.

Usage: tests/differential.py --asthra PATH [--count N] [--seed S] [--size SIZE]
                             [--jobs J] [--keep DIR] [--configs NAMES]

Generates N programs with tools/gen_random_program.py (seeds S .. S+N-1) and
runs each with `asthra run` under several configurations:

  debug          CC=gcc, debug build (overflow checks on)
  release        CC=gcc, --release
  nobounds       CC=gcc, --bounds-checks=off
  clang          CC=clang, debug build
  clang-release  CC=clang, --release
  gc-stress      CC=gcc, --release, the runtime's own collector (the default)
                 collecting at every allocation and verifying the heap after
                 each mark (ASTHRA_GC_STRESS=1, ASTHRA_GC_VERIFY=1)
  gc-boehm       CC=gcc, --gc=boehm (Boehm's)

The generator avoids overflow, division by zero and out-of-bounds indexes, so
every configuration must compile the program, exit 0, print nothing on
stderr and print the same stdout as `debug`.  Anything else is reported with
the seed, the configurations that disagree and the first differing line; the
program is kept in DIR (default: a temporary folder, printed) as
seed-S.asthra, and `tools/gen_random_program.py S --size SIZE` regenerates it.
Exit status 1 if any program failed.
"""
import argparse
import concurrent.futures
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(ROOT, 'tools', 'gen_random_program.py')

# name: (C compiler, asthra flags, environment of the run)
CONFIGS = {
    'debug': ('gcc', [], {}),
    'release': ('gcc', ['--release'], {}),
    'nobounds': ('gcc', ['--bounds-checks=off'], {}),
    'clang': ('clang', [], {}),
    'clang-release': ('clang', ['--release'], {}),
    'gc-stress': ('gcc', ['--release'], {'ASTHRA_GC_STRESS': '1', 'ASTHRA_GC_VERIFY': '1'}),
    'gc-boehm': ('gcc', ['--gc=boehm'], {}),
}


def run_config(asthra, path, name, timeout):
    cc, flags, extra_env = CONFIGS[name]
    env = dict(os.environ, CC=cc, **extra_env)
    try:
        p = subprocess.run([asthra, 'run', *flags, path], capture_output=True, env=env, timeout=timeout)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        return 'timeout', '', f'timed out after {timeout} s'
    except OSError as e:  # e.g. the binary is being rebuilt
        return 'error', '', f'cannot run {asthra}: {e}'


def check_seed(args, seed, workdir):
    """Returns None if all configurations agree, else a report (a string)."""
    gen = subprocess.run([sys.executable, GENERATOR, str(seed), '--size', args.size], capture_output=True, text=True)
    if gen.returncode != 0:
        return f"seed {seed}: the generator failed:\n{gen.stderr}"
    path = os.path.join(workdir, f"seed-{seed}.asthra")
    with open(path, 'w') as f:
        f.write(gen.stdout)
    results = {name: run_config(args.asthra, path, name, args.timeout) for name in args.configs}
    base_name = args.configs[0]
    base = results[base_name]
    problems = []
    for name, (rc, out, err) in results.items():
        if rc != 0 or err:
            problems.append(f"  {name}: exit {rc}\n" + ''.join(f"    {ln}\n" for ln in err.splitlines()[:12]))
        elif out != base[1] and base[0] == 0:
            diff = list(difflib.unified_diff(base[1].splitlines(), out.splitlines(), base_name, name, lineterm='', n=1))
            problems.append(f"  {name}: stdout differs from {base_name}:\n" +
                            ''.join(f"    {ln}\n" for ln in diff[:14]))
    if not problems:
        os.remove(path)
        return None
    kept = os.path.join(args.keep, f"seed-{seed}.asthra")
    shutil.copy(path, kept)
    os.remove(path)
    return (f"seed {seed}: FAILED (program kept as {kept}; regenerate with "
            f"tools/gen_random_program.py {seed} --size {args.size})\n" + ''.join(problems))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--asthra', required=True, help='the asthra binary')
    ap.add_argument('--count', type=int, default=50)
    ap.add_argument('--seed', type=int, default=1, help='first seed')
    ap.add_argument('--size', default='medium', choices=['small', 'medium', 'large'])
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--timeout', type=int, default=60, help='seconds per compile-and-run')
    ap.add_argument('--keep', help='folder for the programs that failed (default: a new temporary folder)')
    ap.add_argument('--configs', default=','.join(CONFIGS),
                    help='comma-separated, the first is the reference (default: all: %(default)s)')
    args = ap.parse_args()
    args.asthra = os.path.abspath(args.asthra)
    args.configs = [c for c in args.configs.split(',') if c]
    for c in args.configs:
        if c not in CONFIGS:
            ap.error(f"unknown configuration `{c}` (known: {', '.join(CONFIGS)})")
    for cc in sorted({CONFIGS[c][0] for c in args.configs}):
        if not shutil.which(cc):
            ap.error(f"`{cc}` is not installed (needed by --configs)")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    else:
        args.keep = tempfile.mkdtemp(prefix='asthra-differential-')

    started = time.time()
    failures = []
    with tempfile.TemporaryDirectory(prefix='asthra-diff-work-') as workdir:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(check_seed, args, s, workdir): s
                       for s in range(args.seed, args.seed + args.count)}
            for fut in concurrent.futures.as_completed(futures):
                report = fut.result()
                if report:
                    failures.append((futures[fut], report))
                    print(report, flush=True)
    elapsed = time.time() - started
    configs = ', '.join(args.configs)
    print(f"differential: {args.count} programs (seeds {args.seed}..{args.seed + args.count - 1}, size {args.size}) "
          f"x {len(args.configs)} configurations ({configs}): {len(failures)} failed, {elapsed:.1f} s")
    if failures:
        print(f"differential: failing seeds: {' '.join(str(s) for s, _ in sorted(failures))}; programs in {args.keep}")
        return 1
    if not os.listdir(args.keep):
        os.rmdir(args.keep)
    return 0


if __name__ == '__main__':
    sys.exit(main())
