#!/usr/bin/env python3
"""The command line as a user meets it: what golden tests cannot drive.

Usage: tests/check_cli.py --asthra PATH

Each case runs `asthra` in a scratch folder and checks its exit status, its
message and what it left on disk:

  Ctrl-C (SIGINT to the foreground process group) ends a program under
  `asthra run`, which reports the signal and exits 130
  SIGTERM to `asthra run` alone is passed on: the program stops, exit 143,
  and its build folder is removed; SIGHUP stays ignored under nohup
  `-o` naming an input (directly or by another path) is refused, exit 2,
  and the input is untouched
  `build -o DIR` writes DIR/NAME, as `go build -o DIR` does
  `emit-c -o DIR` says it is a directory
  a C input that does not exist is reported before compiling, exit 1
  a C input the C compiler rejects is named as the culprit, exit 1
  a $CC that cannot compile is blamed, not the compiler (no "internal
  compiler error"), exit 1
  `--gc-stats` outside `asthra run` is a usage error, exit 2
  `asthra COMMAND --help` and `asthra help COMMAND` show that command's
  usage and only the flags it takes

Prints one line per case; exits 1 if any failed.
"""
import argparse
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time

HELLO = 'fn main() { log("hi"); }\n'
SPIN = 'fn main() -> void { log("spinning"); while true { unsafe { libc.usleep(1000); } } }\n'


def write(d, name, text):
    with open(os.path.join(d, name), 'w') as f:
        f.write(text)


def run(asthra, args, cwd, env=None):
    return subprocess.run([asthra, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def expect(p, status, *texts):
    """Problems with a finished command: its status and stderr texts."""
    problems = []
    if p.returncode != status:
        problems.append(f'exit status {p.returncode}, expected {status}')
    for t in texts:
        if t not in p.stderr:
            problems.append(f'stderr lacks {t!r}')
    if 'internal compiler error' in p.stderr:
        problems.append('reported as an internal compiler error')
    return problems


def start_spinning(asthra, d, **popen):
    """`asthra run` of a program that runs until stopped, once it has
    started; None (after killing it) if it did not print within 20 s (a
    program that never prints must not hang the test until ctest's timeout)."""
    write(d, 'spin.asthra', SPIN)
    p = subprocess.Popen([asthra, 'run', 'spin.asthra'], cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, **popen)
    with selectors.DefaultSelector() as sel:
        sel.register(p.stdout, selectors.EVENT_READ)
        started = p.stdout.readline() if sel.select(timeout=20) else ''
    if started != 'spinning\n':
        p.kill()
        return None
    return p


def case_ctrl_c(asthra, d):
    # A new session stands for the terminal's foreground process group:
    # Ctrl-C sends SIGINT to every process in it, `asthra` and the program.
    p = start_spinning(asthra, d, start_new_session=True)
    if p is None:
        return ['the program did not start']
    os.killpg(p.pid, signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return ['still running 20 s after SIGINT']
    problems = []
    if p.returncode != 128 + signal.SIGINT:
        problems.append(f'exit status {p.returncode}, expected {128 + signal.SIGINT}')
    if 'killed by signal 2' not in err:
        problems.append(f'stderr lacks the signal: {err!r}')
    return problems


def case_sigterm_stops_the_program(asthra, d):
    # A supervisor that signals `asthra run` alone (not its process group):
    # the program stops too, and the build folder is removed.
    tmp = os.path.join(d, 'tmp')
    os.mkdir(tmp)
    p = start_spinning(asthra, d, env=dict(os.environ, TMPDIR=tmp))
    if p is None:
        return ['the program did not start']
    program = os.path.join(tmp, os.listdir(tmp)[0], 'program')
    p.send_signal(signal.SIGTERM)
    problems = []
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        problems.append('`asthra run` still running 20 s after SIGTERM')
    time.sleep(0.5)  # the program's own exit, if it was passed the signal
    # An orphaned program would hold the pipes open: stop it before reading.
    if subprocess.run(['pkill', '-KILL', '-f', program]).returncode == 0:
        problems.append('the program kept running after `asthra run` was stopped')
    _, err = p.communicate()
    problems += expect(subprocess.CompletedProcess(p.args, p.returncode, '', err), 128 + signal.SIGTERM,
                       'killed by signal 15')
    if os.listdir(tmp):
        problems.append(f'left behind in $TMPDIR: {os.listdir(tmp)}')
    return problems


def case_sighup_ignored_under_nohup(asthra, d):
    # Started with SIGHUP ignored (nohup): a hangup stops neither `asthra run`
    # nor the program.
    p = start_spinning(asthra, d, preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    if p is None:
        return ['the program did not start']
    p.send_signal(signal.SIGHUP)
    time.sleep(1)
    problems = [] if p.poll() is None else [f'a hangup ended `asthra run` (exit {p.returncode})']
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
    p.communicate()
    return problems


def case_command_help(asthra, d):
    problems = []
    for args, usage, absent in ((['run', '--help'], 'Usage: asthra run', '-o OUT'),
                                (['help', 'build'], 'Usage: asthra build', '--gc-stats'),
                                (['check', '-h'], 'Usage: asthra check', '--release')):
        p = run(asthra, args, d)
        if p.returncode != 0 or usage not in p.stdout:
            problems.append(f'`asthra {" ".join(args)}`: exit {p.returncode}, stdout {p.stdout[:60]!r}')
        elif absent in p.stdout:
            problems.append(f'`asthra {" ".join(args)}` lists `{absent}`, which that command does not take')
    problems += expect(run(asthra, ['help', 'nope'], d), 2, 'no help for `nope`')
    return problems


def case_output_is_input(asthra, d):
    problems = []
    for cmd, out in (('build', 'same.asthra'), ('emit-c', './same.asthra')):
        write(d, 'same.asthra', HELLO)
        problems += expect(run(asthra, [cmd, 'same.asthra', '-o', out], d), 2, 'would overwrite the input file')
        with open(os.path.join(d, 'same.asthra')) as f:
            if f.read() != HELLO:
                problems.append(f'`{cmd} -o {out}` changed the input')
    return problems


def case_output_directory(asthra, d):
    write(d, 'hello.asthra', HELLO)
    os.mkdir(os.path.join(d, 'out'))
    problems = expect(run(asthra, ['build', 'hello.asthra', '-o', 'out'], d), 0)
    exe = os.path.join(d, 'out', 'hello')
    if not os.access(exe, os.X_OK):
        problems.append('`build -o out` did not write out/hello')
    elif subprocess.run([exe], capture_output=True, text=True).stdout != 'hi\n':
        problems.append('out/hello does not print hi')
    problems += expect(run(asthra, ['emit-c', 'hello.asthra', '-o', 'out'], d), 1, 'it is a directory')
    return problems


def case_missing_c_input(asthra, d):
    write(d, 'hello.asthra', HELLO)
    return expect(run(asthra, ['run', 'hello.asthra', 'absent.c'], d), 1, 'cannot read `absent.c`: no such file')


def case_rejected_c_input(asthra, d):
    write(d, 'hello.asthra', HELLO)
    write(d, 'broken.c', 'int f( {\n')
    return expect(run(asthra, ['run', 'hello.asthra', 'broken.c'], d), 1, 'the C compiler rejected `broken.c`')


def case_cc_that_fails(asthra, d):
    write(d, 'hello.asthra', HELLO)
    # A $CC that runs but cannot compile anything.
    return expect(run(asthra, ['run', 'hello.asthra'], d, {'CC': 'false'}), 1, 'the C compiler `false` ($CC) failed',
                  'unset CC')


def case_gc_stats_outside_run(asthra, d):
    write(d, 'hello.asthra', HELLO)
    return expect(run(asthra, ['build', '--gc-stats', 'hello.asthra'], d), 2, '`--gc-stats` is only valid with `asthra run`')


CASES = [case_ctrl_c, case_sigterm_stops_the_program, case_sighup_ignored_under_nohup, case_command_help, case_output_is_input, case_output_directory, case_missing_c_input, case_rejected_c_input,
         case_cc_that_fails, case_gc_stats_outside_run]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--asthra', required=True)
    args = ap.parse_args()
    asthra = os.path.abspath(args.asthra)
    failed = 0
    for case in CASES:
        start = time.time()
        with tempfile.TemporaryDirectory(prefix='asthra-cli-') as d:
            problems = case(asthra, d)
        name = case.__name__[len('case_'):]
        print(f'{"FAIL" if problems else "ok  "} {name} ({time.time() - start:.1f} s)')
        for p in problems:
            print(f'    {p}')
        failed += bool(problems)
    print(f'check_cli: {len(CASES) - failed} of {len(CASES)} cases passed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
