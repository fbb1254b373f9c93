#!/usr/bin/env python3
"""Hostile inputs get diagnostics, never crashes, hangs or runaway memory.

Usage: tests/check_limits.py --asthra PATH [--jobs N] [--keep DIR] [NAME...]

Each case generates one input at run time (some are megabytes, so none is
kept in the tree), runs `asthra check`, `emit-c` or `run` on it and checks
the outcome docs/design/compiler.md and language.md promise:

  nesting past 200 levels (blocks, expressions, types, patterns, calls,
  struct literals, match arms), operator chains past 4,000 operands  -> E0015
  files over 64 MiB                                   -> a "64 MiB limit" error
  NUL bytes, bytes that are not UTF-8                 -> E0007
  CRLF line ends and a UTF-8 BOM                      -> accepted
  100,000 constants, each naming a later one          -> E0118
  generic recursion that grows its type arguments     -> E0903
  long identifiers, long literals, long else-if and postfix chains,
  many diagnostics, many declarations                 -> an answer (any exit 0
                                                         or 1, no signal, no
                                                         internal error) within
                                                         the time and memory
                                                         bounds of the case

Every case must finish within its time bound with a peak RSS under its memory
bound (default 30 s and 1 GiB; generous, so a loaded machine passes: the
failures they catch are crashes, minutes and gigabytes).  Prints one line per case and exits 1 if any
failed; --keep DIR keeps the inputs of failed cases.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

N = 100_000      # nesting depth of the "deep" cases: far past the limit of 200
BIG = 1_000_000  # length of the chains that are not nesting in the grammar


def main_fn(body, pre=''):
    return pre + 'fn main() {\n' + body + '\n}\n'


def cases():
    """(name, command, make_text, expectation, extra) where expectation is
    'E0015'-style code, 'ok' (exit 0), 'answer' (exit 0 or 1), or a regex the
    output must match."""
    g = 'fn g(x: i64) -> i64 { return x; }\n'
    s = 'struct S { a: i64 }\nimpl S { fn m(self) -> S { return S { a: self.a + 1 }; } }\n'
    yield 'nested_parens', 'check', lambda: main_fn('let x: i64 = ' + '(' * N + '1' + ')' * N + ';'), 'E0015'
    yield 'nested_blocks', 'check', lambda: main_fn('{' * N + '}' * N), 'E0015'
    yield 'nested_unary', 'check', lambda: main_fn('let x: i64 = ' + '-' * N + '1;'), 'E0015'
    yield 'nested_slice_type', 'check', lambda: main_fn('let x: ' + '[]' * N + 'i64 = 0;'), 'E0015'
    yield 'nested_generic_type', 'check', lambda: main_fn('let x: ' + 'Option<' * N + 'i64' + '>' * N + ' = 0;'), 'E0015'
    yield 'nested_fn_type', 'check', lambda: main_fn('let x: ' + 'fn() -> ' * N + 'i64 = 0;'), 'E0015'
    yield 'nested_array_literal', 'check', lambda: main_fn('let x = ' + '[' * N + '1' + ']' * N + ';'), 'E0015'
    yield 'nested_tuple_literal', 'check', lambda: main_fn('let x = ' + '(1, ' * N + '1' + ')' * N + ';'), 'E0015'
    yield 'nested_pattern', 'check', lambda: main_fn('match x { ' + 'Option.Some(' * N + 'v' + ')' * N + ' => {} _ => {} }'), 'E0015'
    yield 'nested_if_expr', 'check', lambda: main_fn('let x: i64 = ' + 'if true { ' * N + '1' + ' } else { 2 }' * N + ';'), 'E0015'
    yield 'nested_closures', 'check', lambda: main_fn('let f = ' + 'fn() -> i64 { return ' * N + '1' + '; }' * N + ';'), 'E0015'
    yield 'nested_try', 'check', lambda: main_fn('let x = ' + 'try ' * N + 'y;'), 'E0015'
    yield 'operator_chain', 'check', lambda: main_fn('let x: i64 = 1' + ' + 1' * N + ';'), 'E0015'
    # the grammar nests these too, but the parser did not count them
    yield 'nested_calls', 'check', lambda: main_fn('let x: i64 = ' + 'g(' * BIG + '1' + ')' * BIG + ';', g), 'E0015'
    yield 'nested_option_some', 'check', lambda: main_fn('let x = ' + 'Option.Some(' * 10_000 + '1' + ')' * 10_000 + ';'), 'E0015'
    yield 'nested_struct_literals', 'check', lambda: main_fn('let x = ' + 'S { a: ' * BIG + '1' + ' }' * BIG + ';', s), 'E0015'
    yield 'nested_match_arms', 'check', lambda: main_fn('let x: i64 = ' + 'match 1 { _ => ' * BIG + '1' + ' }' * BIG + ';'), 'E0015'
    # chains that are not nesting in the source but are deep trees
    yield 'else_if_chain', 'check', lambda: main_fn('let x: i64 = 1;\nif x == 0 { log(0); }' +
                                            ''.join(f' else if x == {i} {{ log({i}); }}' for i in range(1, BIG))), 'answer', \
        {'rss_mb': 2048}
    yield 'method_chain', 'check', lambda: main_fn('let t = S { a: 0 }' + '.m()' * BIG + ';\nlog(t.a);', s), 'answer'
    yield 'cast_chain', 'emit-c', lambda: main_fn('let x: i64 = 1' + ' as i64' * BIG + ';\nlog(x);'), 'answer'
    yield 'field_chain', 'check', lambda: main_fn('let x = y' + '.f' * BIG + ';'), 'answer'
    # sizes
    pad = (64 << 20) + 1
    yield 'file_over_64_mib', 'check', lambda: '//' + 'x' * pad + '\n' + main_fn('log(1);'), r'64 MiB limit', {'rss_mb': 1024}
    yield 'long_identifier', 'run', lambda: main_fn(f"let {'a' * BIG}: i64 = 7;\nlog({'a' * BIG});"), r'^7$'
    yield 'long_string', 'run', lambda: main_fn('log(len("' + 'x' * (8 * BIG) + '"));'), r'^8000000$'
    yield 'long_number', 'check', lambda: main_fn('let x: i64 = ' + '9' * BIG + ';'), 'E0111'
    yield 'many_bad_characters', 'check', lambda: '$' * (16 << 20), 'E0001', {'rss_mb': 1024}
    yield 'many_type_errors', 'check', lambda: main_fn('let x: i64 = "a";\n' * (BIG // 2)), 'E0103', {'rss_mb': 1024}
    yield 'many_statements', 'check', lambda: main_fn('let mut x: i64 = 0;\n' + 'x = x + 1;\n' * BIG), 'ok', \
        {'seconds': 60, 'rss_mb': 2048}
    yield 'many_parameters', 'check', lambda: 'fn f(' + ', '.join(f'a{i}: i64' for i in range(N)) + ') {}\n' + main_fn(''), 'ok'
    yield 'struct_chain', 'check', lambda: ''.join(f'struct S{i} {{ a: S{i + 1} }}\n' for i in range(30_000)) + \
        'struct S30000 { a: i64 }\n' + main_fn(''), 'ok'
    # constants and generics whose checking or code would nest or grow without bound
    yield 'const_forward_chain', 'check', lambda: ''.join(f'const C{i}: i64 = C{i + 1} + 1;\n' for i in range(N)) + \
        f'const C{N}: i64 = 1;\n' + main_fn('log(C0);'), 'E0118'
    yield 'const_doubling_chain', 'run', lambda: 'const C0: i64 = 1;\n' + \
        ''.join(f'const C{i}: i64 = C{i - 1} + C{i - 1};\n' for i in range(1, 63)) + main_fn('log(C62);'), \
        r'^4611686018427387904$'
    yield 'generic_tuple_growth', 'check', lambda: 'fn f<T>(x: T) { f((x, x)); }\n' + main_fn('f(1);'), 'E0903'
    yield 'generic_type_growth', 'check', lambda: 'enum L<T> { Nil, Cons(T, L<Option<T>>) }\n' + \
        main_fn('let l: L<i32> = L.Nil;'), 'E0903'
    yield 'nested_comments', 'check', lambda: '/*' * N + '*/' * N + main_fn(''), 'ok'
    # encodings
    yield 'nul_byte', 'check', lambda: main_fn('let x: i64 = 1;\0'), 'E0007'
    yield 'bad_utf8', 'check', lambda: main_fn('log("a");').encode() + b'// \xff\xc3\x28 \xed\xa0\x80 \xc0\xaf\n', 'E0007'
    yield 'crlf_and_bom', 'run', lambda: '\ufeff' + main_fn('let x: i64 = 1;\r\nlog(x);\r').replace('\n', '\r\n'), r'^1$'


def peak_rss_mb(pid):
    """VmHWM of a running process, sampled while it runs: wait4's ru_maxrss
    would include the RSS of this (forking) Python process."""
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_case(asthra, tmp, case):
    name, command, make_text, expect = case[:4]
    text = make_text()
    extra = case[4] if len(case) > 4 else {}
    limit_s, limit_mb = extra.get('seconds', 30), extra.get('rss_mb', 1024)
    path = os.path.join(tmp, f'{name}.asthra')
    with open(path, 'wb') as f:
        f.write(text if isinstance(text, bytes) else text.encode('utf-8'))
    argv = [asthra, command, path] + (['-o', os.devnull] if command == 'emit-c' else [])
    started = time.time()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        timed_out = False
        rss_mb = 0.0
        while True:
            rss_mb = max(rss_mb, peak_rss_mb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.time() - started > limit_s * 3 or rss_mb > limit_mb * 4:
                proc.kill()  # a runaway: stop it before it takes the machine
                pid, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.01)
        elapsed = time.time() - started
        out.seek(0)
        output = out.read().decode('utf-8', 'replace')
    code = os.waitstatus_to_exitcode(status)
    problems = []
    if timed_out:
        problems.append(f'killed after {elapsed:.0f} s at {rss_mb:.0f} MiB (limits {limit_s} s, {limit_mb} MiB)')
    elif code < 0:
        problems.append(f'killed by signal {-code}')
    elif code not in (0, 1) or 'internal compiler error' in output:
        problems.append(f'exit {code}: ' + (output.strip().splitlines() or [''])[-1][:200])
    else:
        if elapsed > limit_s:
            problems.append(f'took {elapsed:.1f} s (limit {limit_s} s)')
        if rss_mb > limit_mb:
            problems.append(f'peak RSS {rss_mb:.0f} MiB (limit {limit_mb} MiB)')
        if re.fullmatch(r'[EW]\d{4}', expect):
            if f'[{expect}]' not in output:
                first = next((ln for ln in output.splitlines() if 'error' in ln), output.strip()[:200])
                problems.append(f'expected {expect}, got exit {code}: {first[:200]}')
        elif expect == 'ok':
            if code != 0:
                problems.append(f'expected success, got: ' + (output.strip().splitlines() or [''])[0][:200])
        elif expect != 'answer':
            if not re.search(expect, output, re.M):
                problems.append(f'expected output matching /{expect}/, got: {output.strip()[:200]}')
    summary = f'{elapsed:5.1f} s {rss_mb:6.0f} MiB exit {code}'
    return name, summary, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--asthra', required=True)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--keep', help='keep the inputs of failed cases here')
    ap.add_argument('names', nargs='*', help='only these cases')
    args = ap.parse_args()
    asthra = os.path.abspath(args.asthra)
    selected = [c for c in cases() if not args.names or c[0] in args.names]
    failed = 0
    with tempfile.TemporaryDirectory(prefix='asthra-limits-') as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for name, summary, problems in pool.map(lambda c: run_case(asthra, tmp, c), selected):
                print(f"{'FAIL' if problems else 'ok  '} {name:24} {summary}" +
                      ''.join(f'\n       {p}' for p in problems), flush=True)
                if problems:
                    failed += 1
                    if args.keep:
                        os.makedirs(args.keep, exist_ok=True)
                        shutil.copy(os.path.join(tmp, f'{name}.asthra'), args.keep)
    print(f'check_limits: {len(selected) - failed} of {len(selected)} cases passed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
