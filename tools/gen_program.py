#!/usr/bin/env python3
"""Generates a large valid Asthra program for compiler throughput runs.

Usage: tools/gen_program.py LINES [SEED] > big.asthra

The program mixes functions, structs, enums with match, slices, strings,
loops, extern calls in unsafe blocks and ownership annotations (a
`#[ownership(c)]` C string freed after a `#[borrowed]` call, as the golden
programs write them); it compiles and runs (its output is a checksum), so it
exercises every phase, not just the parser. bench/run times it.
"""
import random
import sys


def unit(i, rng):
    k = rng.randint(1, 9)
    return f"""
struct Rec{i} {{ id: i64, name: string, weight: f64 }}

enum Op{i} {{ Add(i64), Mul(i64), Neg, Nop }}

fn apply{i}(op: Op{i}, x: i64) -> i64 {{
    return match op {{
        Op{i}.Add(n) => x + n,
        Op{i}.Mul(n) => x * n,
        Op{i}.Neg => 0 - x,
        Op{i}.Nop => x,
    }};
}}

fn work{i}(seed: i64) -> i64 {{
    let r = Rec{i} {{ id: seed, name: "rec{i}", weight: {k}.5 }};
    let xs: []i64 = [seed, {k}, 3, 4, 5];
    let mut acc: i64 = 0;
    for v in xs {{
        acc = apply{i}(Op{i}.Add(v), acc) % 1000003;
    }}
    let mut j: i64 = 0;
    while j < {k} {{
        if j % 2 == 0 {{ acc = apply{i}(Op{i}.Mul(3), acc) % 1000003; }} else {{ acc = apply{i}(Op{i}.Nop, acc); }}
        j += 1;
    }}
    let label: string = r.name + ":" + acc;
    let cs: *mut u8 #[ownership(c)] = Asthra_runtime.string_to_cstr(label);
    let n: usize = measure{i}(cs as *const u8);
    unsafe {{ libc.free(cs as *mut void); }}
    return acc + (n as i64) + r.id;
}}

fn measure{i}(#[borrowed] p: *const u8) -> usize {{
    return unsafe {{ libc.strlen(p) }};
}}
"""


def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = ["package main;", ""]
    count = 0
    i = 0
    while count < lines:
        text = unit(i, rng)
        out.append(text)
        count += text.count("\n")
        i += 1
    out.append("fn main() -> void {\n    let mut total: i64 = 0;")
    for j in range(0, i, max(1, i // 200)):
        out.append(f"    total = (total + work{j}({j})) % 1000000007;")
    out.append('    log("checksum " + total);\n}')
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
