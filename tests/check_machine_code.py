#!/usr/bin/env python3
"""Checks promises that only the machine code can show (memory-model.md §5).

Each program in tests/machine_code/ is built with `asthra build --release`,
run, and disassembled with objdump:
  constant_time.asthra         `ct_select` has no conditional jump
  secure_zero_dead_buffer      the wipe of a dead buffer is still called
  volatile_stores              both stores of a `#[volatile_memory]` function stay
Usage: check_machine_code.py --asthra PATH
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "machine_code"
COND_JUMP = re.compile(r"\sj(?!mp)[a-z]{1,4}\s")


def build(asthra, name, out_dir):
    exe = Path(out_dir) / name
    subprocess.run([asthra, "build", "--release", str(HERE / f"{name}.asthra"), "-o", str(exe)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(exe)], capture_output=True, text=True,
                         check=True).stdout
    return run.stdout, dis


def function_body(disassembly, symbol_fragment):
    """The instructions of the first function whose symbol contains the fragment."""
    lines, inside = [], False
    for line in disassembly.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            if inside:
                break
            inside = symbol_fragment in header.group(1)
            continue
        if inside:
            lines.append(line)
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--asthra", required=True)
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        out, dis = build(args.asthra, "constant_time", tmp)
        if out != "5\n7\n":
            failures.append(f"constant_time printed {out!r}")
        body = function_body(dis, "as_ct_select")
        if not body:
            failures.append("as_ct_select not found in the machine code")
        jumps = [line.strip() for line in body if COND_JUMP.search(line + " ")]
        if jumps:
            failures.append("conditional jumps in ct_select: " + "; ".join(jumps))

        out, dis = build(args.asthra, "secure_zero_dead_buffer", tmp)
        if out != "true\n":
            failures.append(f"secure_zero_dead_buffer printed {out!r}")
        if not re.search(r"call\s+[0-9a-f]+ <asthra_secure_zero>", dis):
            failures.append("the wipe of the dead buffer was removed (no call to asthra_secure_zero)")
        wipe = function_body(dis, "asthra_secure_zero")
        if not any("explicit_bzero" in line for line in wipe):
            failures.append("asthra_secure_zero does not call explicit_bzero")

        out, dis = build(args.asthra, "volatile_stores", tmp)
        if out != "42\n":
            failures.append(f"volatile_stores printed {out!r}")
        body = function_body(dis, "as_poke")
        stores = [line for line in body if re.search(r"movb\s+\$0x(11|2a),", line)]
        if len(stores) != 2:
            failures.append(f"expected two byte stores (17 and 42) in poke, found {len(stores)}: {stores}")
    for f in failures:
        print("FAIL:", f)
    print("machine code checks:", "failed" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
