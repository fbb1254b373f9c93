#!/usr/bin/env python3
"""Generates a random, valid, terminating Asthra program from a seed.

Usage: tools/gen_random_program.py SEED [--size small|medium|large] > prog.asthra

The program is for differential testing (tests/differential.py): its output
must be the same in debug and --release builds, with bounds checks on or
off, and whichever C compiler builds it.  So it must never overflow, divide
by zero, index out of bounds or run for long, and it prints many
intermediate values plus a final checksum, so a miscompile shows.

How it stays in range: every integer expression is generated together with
an interval that bounds its value (interval arithmetic over the operators it
uses); an operator is only used where the result's interval fits the type.
Every value that is stored (a `let mut`, a struct field, a slice element, a
parameter, a return value) is first reduced `% M` by a per-type modulus M
chosen so that the product of two stored values still fits the type.  A
divisor is made positive (`(d % K + K)`), an index is reduced modulo the
slice's length (known statically, or `xs.len` which is never 0).  Loops run
a bounded number of times, and a cost estimate (statements executed, with
loops multiplying and calls adding the callee's cost) keeps each program's
run short; functions only call functions generated before them, and the
one recursive function recurses over a short list.

Every program uses structs, enums, match, slices, strings, loops and calls;
what else appears (tuples, Option, methods, narrow integer types, floats,
chars, casts that truncate) depends on the seed.
"""
import argparse
import random
import sys

INT_RANGE = {
    'i8': (-2**7, 2**7 - 1), 'i16': (-2**15, 2**15 - 1), 'i32': (-2**31, 2**31 - 1), 'i64': (-2**63, 2**63 - 1),
    'u8': (0, 2**8 - 1), 'u16': (0, 2**16 - 1), 'u32': (0, 2**32 - 1), 'u64': (0, 2**64 - 1),
}
# Stored values of type T lie in (-M, M) (signed) or [0, M) (unsigned):
# the product of two of them still fits T.
MODULUS = {'i8': 11, 'i16': 181, 'i32': 30011, 'i64': 1000003, 'u8': 16, 'u16': 256, 'u32': 65536, 'u64': 1000003}
INT_TYPES = list(INT_RANGE)
WIDE = ['i64', 'i64', 'i64', 'i32']  # weights: most arithmetic is i64


def signed(t):
    return t.startswith('i')


def storage(t):
    m = MODULUS[t]
    return (-(m - 1), m - 1) if signed(t) else (0, m - 1)


def fits(t, lo, hi):
    a, b = INT_RANGE[t]
    return a <= lo and hi <= b


class E:
    """A generated expression: its code, type and (for integers) bounds."""

    def __init__(self, code, ty, lo=None, hi=None, pinned=False):
        self.code, self.ty, self.lo, self.hi = code, ty, lo, hi
        # Pinned: its type does not depend on the context.  Asthra types an
        # integer literal from the type its context expects, and a cast or
        # conversion passes its target type down into the operand (through
        # operators and `if`/`match` arms), so an operand that contains a
        # literal is cast to its own type first: `((e as i64) as u8)`.
        self.pinned = pinned


class Var:
    def __init__(self, name, ty, mutable=False, lo=None, hi=None, length=None, fixed=False):
        self.name, self.ty, self.mutable = name, ty, mutable
        self.lo, self.hi = lo, hi
        self.length = length  # slices: the length when known statically
        self.fixed = fixed    # loop counters: never assigned by random statements


class Struct:
    def __init__(self, name, fields):
        self.name, self.fields = name, fields  # fields: [(name, type)]


class Enum:
    def __init__(self, name, variants):
        self.name, self.variants = name, variants  # variants: [(name, [payload types])]


class Fn:
    def __init__(self, name, params, ret, cost):
        self.name, self.params, self.ret, self.cost = name, params, ret, cost


class Gen:
    def __init__(self, seed, size):
        self.rng = random.Random(seed)
        self.seed = seed
        self.size = size
        self.structs = []
        self.enums = []
        self.fns = []
        self.methods = []  # (struct, Fn) with the receiver as first param
        self.counter = 0
        self.out = []
        self.scopes = []
        self.loop_depth = 0
        self.in_loop_kind = []
        self.cost = 0      # estimated statements executed by the current function
        self.mult = 1      # iterations of the enclosing loops
        self.budget = 0
        self.ret = None
        self.use_narrow = self.rng.random() < 0.6
        self.use_float = self.rng.random() < 0.5
        self.use_list = self.rng.random() < 0.5

    # --- helpers ------------------------------------------------------------
    def r(self, n):
        return self.rng.randrange(n)

    def chance(self, p):
        return self.rng.random() < p

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def int_type(self):
        if self.use_narrow and self.chance(0.35):
            return self.rng.choice(INT_TYPES)
        return self.rng.choice(WIDE)

    def emit(self, indent, line):
        self.out.append('    ' * indent + line)

    def vars(self, pred=lambda v: True):
        seen, res = set(), []
        for scope in reversed(self.scopes):
            for name, v in scope.items():
                if name not in seen:
                    seen.add(name)
                    if pred(v):
                        res.append(v)
        return res

    def declare(self, v):
        self.scopes[-1][v.name] = v

    def struct(self, name):
        return next(s for s in self.structs if s.name == name)

    def enum(self, name):
        return next(e for e in self.enums if e.name == name)

    def afford(self, cost):
        return self.cost + cost * self.mult <= self.budget

    def spend(self, cost):
        self.cost += cost * self.mult

    # --- literals -----------------------------------------------------------
    def int_lit(self, t, lo=None, hi=None):
        a, b = storage(t) if lo is None else (lo, hi)
        v = self.rng.choice([0, 1, 2, 3, 7, self.rng.randint(a, b), self.rng.randint(a, b)])
        v = max(a, min(b, v))
        if v < 0:
            return E(f"(-{-v})", t, v, v)
        return E(str(v), t, v, v)

    def str_lit(self):
        pieces = ["a", "b", "xy", "Hello", "k=", "é", "日本", " ", "-", "\\t", "\\\"q\\\"", "0", ""]
        return '"' + ''.join(self.rng.choice(pieces) for _ in range(self.r(3) + 1)) + '"'

    # --- reductions -----------------------------------------------------
    def to_storage(self, e):
        """Reduces an integer expression into its type's storage range."""
        lo, hi = storage(e.ty)
        if lo <= e.lo and e.hi <= hi:
            return e
        m = MODULUS[e.ty]
        if e.lo >= 0 or signed(e.ty):
            # signed: (e % m) in (-m, m); unsigned: [0, m)
            return E(f"(({e.code}) % {m})", e.ty, max(lo, -(m - 1)) if e.lo < 0 else 0, m - 1)
        return E(f"(({e.code}) % {m})", e.ty, 0, m - 1)

    def as_i64(self, e):
        return self.cast_to(e, 'i64')

    def index_into(self, length_code, length, depth):
        """An index in [0, length) for a slice whose length is `length` (or,
        when None, the run-time `length_code`, which is at least 1)."""
        if length is not None:
            if self.chance(0.4):
                return str(self.r(length))
            e = self.as_i64(self.gen_int('i64', depth + 1))
            if 0 <= e.lo and e.hi < length:
                return e.code
            return f"((({e.code}) % {length} + {length}) % {length})"
        e = self.pin(self.to_storage(self.gen_int('i64', depth + 1)))
        return f"(({e.code} + 1000003) as usize % {length_code})"

    # --- integer expressions ---------------------------------------------
    def gen_int(self, t, depth=0):
        if depth > 4 or self.chance(0.15):
            return self.int_leaf(t, depth)
        choice = self.r(16)
        if choice < 6:
            return self.int_binary(t, depth)
        if choice == 6 and signed(t):
            a = self.gen_int(t, depth + 1)
            if fits(t, -a.hi, -a.lo):
                return E(f"(-{a.code})", t, -a.hi, -a.lo)
        if choice == 7 and signed(t):
            a = self.gen_int(t, depth + 1)
            return E(f"(~{a.code})", t, -a.hi - 1, -a.lo - 1)
        if choice == 8:  # a cast from another integer type
            return self.cast_to(self.gen_int(self.int_type(), depth + 1), t)
        if choice == 9:
            c = self.gen_bool(depth + 1)
            a, b = self.gen_int(t, depth + 1), self.gen_int(t, depth + 1)
            return self.typed(E(f"(if {c} {{ {a.code} }} else {{ {b.code} }})", t, min(a.lo, b.lo), max(a.hi, b.hi)))
        if choice == 10:
            e = self.int_from_enum(t, depth)
            if e:
                return e
        if choice == 11:
            e = self.call_returning(t, depth)
            if e:
                return e
        if choice == 12:
            s = self.gen_string(depth + 1)
            m = 97
            return self.cast_to(self.pin(E(f"((len({s}) as i64) % {m})", 'i64', 0, m - 1)), t)
        if choice == 13 and self.use_float and t == 'i64':
            # a float of bounded magnitude (|x| < 1e8) back to an integer
            x = self.to_storage(self.gen_int('i64', depth + 1))
            op = self.rng.choice(['* 0.5', '/ 3.0', '+ 0.75', '* 99.5', '- 2.25'])
            return E(f"(((f64({self.pin(x).code}) {op}) as i64) % 1000003)", 'i64', -1000002, 1000002)
        if choice == 14:
            e = self.int_from_match(t, depth)
            if e:
                return e
        return self.int_leaf(t, depth)

    def pin(self, e):
        if e.pinned:
            return e
        return E(f"(({e.code}) as {e.ty})", e.ty, e.lo, e.hi, pinned=True)

    def typed(self, e):
        """An `if` or `match` whose arms are all literals has the default
        integer type (i64), whatever its context: cast it."""
        return e if e.ty == 'i64' else E(f"({e.code} as {e.ty})", e.ty, e.lo, e.hi, pinned=True)

    def cast_to(self, e, t):
        if e.ty == t:
            return e
        e = self.pin(e)
        if fits(t, e.lo, e.hi):
            return E(f"(({e.code}) as {t})", t, e.lo, e.hi, pinned=True)
        lo, hi = INT_RANGE[t]
        return E(f"(({e.code}) as {t})", t, lo, hi, pinned=True)  # truncates

    def int_binary(self, t, depth):
        a, b = self.gen_int(t, depth + 1), self.gen_int(t, depth + 1)
        op = self.rng.choice(['+', '-', '*', '*', '/', '%', '&', '|', '^', '<<', '>>', '+', '-'])
        lo_t, hi_t = INT_RANGE[t]
        if op in '+-*':
            if op == '+':
                lo, hi = a.lo + b.lo, a.hi + b.hi
            elif op == '-':
                lo, hi = a.lo - b.hi, a.hi - b.lo
            else:
                ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
                lo, hi = min(ps), max(ps)
            if not fits(t, lo, hi):
                a, b = self.to_storage(a), self.to_storage(b)
                return self.int_binary_fixed(t, a, b, op)
            return E(f"({a.code} {op} {b.code})", t, lo, hi)
        if op in ('/', '%'):
            if b.lo <= 0:
                k = min(MODULUS[t], 97)
                if signed(t):  # (b % k) is in (-k, k)
                    b = E(f"((({b.code}) % {k}) + {k})", t, 1, 2 * k - 1)
                else:
                    b = E(f"(({b.code}) % {k} + 1)", t, 1, k)
            if op == '/':
                return E(f"({a.code} / {b.code})", t, min(a.lo, 0), max(a.hi, 0))
            m = b.hi - 1
            return E(f"({a.code} % {b.code})", t, 0 if a.lo >= 0 else -min(m, -a.lo), max(0, min(m, a.hi)))
        if op in ('&', '|', '^'):
            span = max(abs(a.lo), abs(a.hi), abs(b.lo), abs(b.hi), 1)
            bits = span.bit_length()
            if a.lo >= 0 and b.lo >= 0:
                lo, hi = 0, (1 << bits) - 1
                if op == '&':
                    hi = min(a.hi, b.hi)
            else:
                lo, hi = -(1 << bits), (1 << bits) - 1
            if not fits(t, lo, hi):
                return a
            return E(f"({a.code} {op} {b.code})", t, lo, hi)
        # shifts: non-negative left operand, literal amount
        if a.lo < 0:
            return a
        s = self.r(5)
        if op == '<<':
            if not fits(t, 0, a.hi << s):
                return a
            return E(f"({a.code} << {s})", t, a.lo << s, a.hi << s)
        return E(f"({a.code} >> {s})", t, a.lo >> s, a.hi >> s)

    def int_binary_fixed(self, t, a, b, op):
        if op == '+':
            lo, hi = a.lo + b.lo, a.hi + b.hi
        elif op == '-':
            lo, hi = a.lo - b.hi, a.hi - b.lo
        else:
            ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
            lo, hi = min(ps), max(ps)
        if fits(t, lo, hi):
            return E(f"({a.code} {op} {b.code})", t, lo, hi)
        if op == '-' and not signed(t):  # would go below zero
            return E(f"({a.code} + {b.code})", t, a.lo + b.lo, a.hi + b.hi) if fits(t, a.lo + b.lo, a.hi + b.hi) else a
        return a

    def int_leaf(self, t, depth):
        options = []
        for v in self.vars(lambda v: v.ty == t):
            options.append(E(v.name, t, v.lo, v.hi, pinned=True))
        for v in self.vars(lambda v: v.ty in [s.name for s in self.structs]):
            for fname, fty in self.struct(v.ty).fields:
                if fty == t:
                    lo, hi = storage(t)
                    options.append(E(f"{v.name}.{fname}", t, lo, hi, pinned=True))
        if depth < 4:
            for v in self.vars(lambda v: v.ty == '[]' + t):
                lo, hi = storage(t)
                idx = self.index_into(f"{v.name}.len", v.length, depth)
                options.append(E(f"{v.name}[{idx}]", t, lo, hi, pinned=True))
        if t == 'i64':
            for v in self.vars(lambda v: isinstance(v.ty, tuple) and v.ty[0] == 'tuple'):
                options.append(E(f"{v.name}.0", 'i64', *storage('i64'), pinned=True))
        if options and self.chance(0.8):
            return self.rng.choice(options)
        return self.int_lit(t)

    def int_from_enum(self, t, depth):
        evs = self.vars(lambda v: v.ty in [e.name for e in self.enums])
        if not evs or depth > 3:
            return None
        v = self.rng.choice(evs)
        en = self.enum(v.ty)
        arms, lo, hi = [], None, None
        self.scopes.append({})
        covered_all = self.chance(0.7)
        variants = en.variants if covered_all else en.variants[:max(1, len(en.variants) - 1)]
        for vname, payload in variants:
            self.scopes.append({})
            binds = []
            for pty in payload:
                if self.chance(0.2):
                    binds.append('_')
                    continue
                b = self.fresh('p')
                binds.append(b)
                if pty in INT_RANGE:
                    self.declare(Var(b, pty, False, *storage(pty)))
                else:
                    self.declare(Var(b, pty))
            pat = f"{en.name}.{vname}" + (f"({', '.join(binds)})" if payload else '')
            val = self.gen_int(t, depth + 2)
            self.scopes.pop()
            arms.append(f"{pat} => {val.code}")
            lo = val.lo if lo is None else min(lo, val.lo)
            hi = val.hi if hi is None else max(hi, val.hi)
        if not covered_all:
            val = self.gen_int(t, depth + 2)
            arms.append(f"_ => {val.code}")
            lo, hi = min(lo, val.lo), max(hi, val.hi)
        self.scopes.pop()
        return self.typed(E(f"(match {v.name} {{ {', '.join(arms)} }})", t, lo, hi))

    def int_from_match(self, t, depth):
        """A match over an integer, with literal arms and `_`."""
        if depth > 3:
            return None
        st = self.rng.choice(WIDE)
        scrut = self.gen_int(st, depth + 2)
        arms, lo, hi = [], None, None
        used = set()
        for _ in range(1 + self.r(3)):
            lit = self.int_lit(st, *storage(st))
            if lit.lo in used:
                continue
            used.add(lit.lo)
            val = self.gen_int(t, depth + 2)
            arms.append(f"{lit.code.strip('()')} => {val.code}")
            lo = val.lo if lo is None else min(lo, val.lo)
            hi = val.hi if hi is None else max(hi, val.hi)
        val = self.gen_int(t, depth + 2)
        arms.append(f"_ => {val.code}")
        lo = val.lo if lo is None else min(lo, val.lo)
        hi = val.hi if hi is None else max(hi, val.hi)
        return self.typed(E(f"(match {scrut.code} {{ {', '.join(arms)} }})", t, lo, hi))

    def call_returning(self, t, depth):
        cands = [f for f in self.fns if f.ret == t and self.afford(f.cost)]
        if not cands or depth > 3:
            return None
        f = self.rng.choice(cands)
        self.spend(f.cost)
        lo, hi = storage(t)
        return E(f"{f.name}({self.args_for(f.params, depth)})", t, lo, hi, pinned=True)

    def args_for(self, params, depth):
        return ', '.join(self.gen_value(pty, depth + 2) for _, pty in params)

    # --- other expressions -------------------------------------------------
    def gen_value(self, ty, depth=0):
        """Any expression of `ty`, reduced to storage range if an integer."""
        if ty in INT_RANGE:
            return self.to_storage(self.gen_int(ty, depth)).code
        if ty == 'string':
            return self.gen_string(depth)
        if ty == 'bool':
            return self.gen_bool(depth)
        if ty == 'f64':
            return self.gen_float(depth)
        if ty.startswith('[]'):
            return self.gen_slice_value(ty[2:], depth)
        if ty == 'List':
            return self.gen_list(depth)
        if ty == 'Option<i64>':
            if self.chance(0.5):
                return "Option.None"
            return f"Option.Some({self.gen_value('i64', depth + 1)})"
        if any(s.name == ty for s in self.structs):
            vs = self.vars(lambda v: v.ty == ty)
            if vs and self.chance(0.5):
                return self.rng.choice(vs).name
            st = self.struct(ty)
            return f"{ty} {{ " + ', '.join(f"{n}: {self.gen_value(fty, depth + 1)}" for n, fty in st.fields) + " }"
        if any(e.name == ty for e in self.enums):
            vs = self.vars(lambda v: v.ty == ty)
            if vs and self.chance(0.4):
                return self.rng.choice(vs).name
            en = self.enum(ty)
            vname, payload = self.rng.choice(en.variants)
            if not payload:
                return f"{ty}.{vname}"
            return f"{ty}.{vname}(" + ', '.join(self.gen_value(p, depth + 1) for p in payload) + ")"
        raise ValueError(ty)

    def gen_slice_value(self, elem, depth):
        vs = self.vars(lambda v: v.ty == '[]' + elem)
        if vs and self.chance(0.5):
            v = self.rng.choice(vs)
            if v.length is not None and v.length > 1 and self.chance(0.5):
                a = self.r(v.length)
                b = self.rng.randint(a + 1, v.length)
                return f"{v.name}[{a}:{b}]"
            return v.name
        n = 1 + self.r(5)
        return '[' + ', '.join(self.gen_value(elem, depth + 2) for _ in range(n)) + ']'

    def gen_list(self, depth):
        n = self.r(4)
        code = "List.Nil"
        for _ in range(n):
            code = f"List.Cons({self.gen_value('i64', depth + 2)}, {code})"
        return code

    def gen_string(self, depth=0):
        if depth > 4 or self.chance(0.25):
            return self.string_leaf()
        c = self.r(9)
        if c < 3:
            return f"({self.gen_string(depth + 1)} + {self.gen_string(depth + 1)})"
        if c == 3:
            e = self.pin(self.gen_int(self.int_type(), depth + 1))
            return f"({self.gen_string(depth + 1)} + {e.code})"
        if c == 4:
            return f"string({self.pin(self.gen_int(self.int_type(), depth + 1)).code})"
        if c == 5:
            return f"({self.str_lit()} + {self.gen_bool(depth + 1)})"
        if c == 6:
            cands = [f for f in self.fns if f.ret == 'string' and self.afford(f.cost)]
            if cands:
                f = self.rng.choice(cands)
                self.spend(f.cost)
                return f"{f.name}({self.args_for(f.params, depth)})"
        if c == 7:
            return f"({self.gen_string(depth + 1)} + '{self.rng.choice('az_Zé')}')"
        if c == 8 and self.use_float:
            return f"({self.str_lit()} + {self.gen_float(depth + 1)})"
        return self.string_leaf()

    def string_leaf(self):
        options = [v.name for v in self.vars(lambda v: v.ty == 'string')]
        for v in self.vars(lambda v: v.ty in [s.name for s in self.structs]):
            for fname, fty in self.struct(v.ty).fields:
                if fty == 'string':
                    options.append(f"{v.name}.{fname}")
        for v in self.vars(lambda v: isinstance(v.ty, tuple) and v.ty[0] == 'tuple'):
            options.append(f"{v.name}.1")
        if options and self.chance(0.7):
            return self.rng.choice(options)
        return self.str_lit()

    def gen_bool(self, depth=0):
        if depth > 4:
            return self.rng.choice(['true', 'false'])
        c = self.r(10)
        if c < 4:
            t = self.int_type()
            a, b = self.gen_int(t, depth + 1), self.gen_int(t, depth + 1)
            return f"({a.code} {self.rng.choice(['<', '<=', '>', '>=', '==', '!='])} {b.code})"
        if c == 4:
            return f"(!{self.gen_bool(depth + 1)})"
        if c == 5:
            return f"({self.gen_bool(depth + 1)} {self.rng.choice(['&&', '||'])} {self.gen_bool(depth + 1)})"
        if c == 6:
            return f"({self.gen_string(depth + 1)} {self.rng.choice(['==', '!='])} {self.gen_string(depth + 1)})"
        if c == 7:
            opts = [v.name for v in self.vars(lambda v: v.ty == 'bool')]
            for v in self.vars(lambda v: v.ty in [s.name for s in self.structs]):
                for fname, fty in self.struct(v.ty).fields:
                    if fty == 'bool':
                        opts.append(f"{v.name}.{fname}")
            if opts:
                return self.rng.choice(opts)
        if c == 8:
            cands = [f for f in self.fns if f.ret == 'bool' and self.afford(f.cost)]
            if cands:
                f = self.rng.choice(cands)
                self.spend(f.cost)
                return f"{f.name}({self.args_for(f.params, depth)})"
        if c == 9 and self.use_float:
            return f"({self.gen_float(depth + 1)} {self.rng.choice(['<', '>', '=='])} {self.gen_float(depth + 1)})"
        return self.rng.choice(['true', 'false'])

    def gen_float(self, depth=0):
        """f64 values stay finite and moderate: built from bounded integers."""
        if depth > 3 or self.chance(0.3):
            opts = [v.name for v in self.vars(lambda v: v.ty == 'f64')]
            if opts and self.chance(0.6):
                return self.rng.choice(opts)
            return self.rng.choice(['0.5', '1.25', '3.0', '0.1', '2.5', '100.0', '0.001'])
        c = self.r(4)
        if c == 0:
            return f"f64({self.pin(self.to_storage(self.gen_int('i64', depth + 1))).code})"
        if c == 1:
            return f"({self.gen_float(depth + 1)} {self.rng.choice(['+', '-', '*'])} {self.gen_float(depth + 1)})"
        if c == 2:
            return f"({self.gen_float(depth + 1)} / {self.rng.choice(['2.0', '3.0', '7.0', '0.25'])})"
        return f"({self.pin(self.to_storage(self.gen_int('i32', depth + 1))).code} as f64)"

    # --- statements -------------------------------------------------------
    def block(self, indent, n_stmts):
        self.scopes.append({})
        for _ in range(n_stmts):
            if not self.afford(1):
                break
            self.statement(indent)
        self.scopes.pop()

    def fold(self, indent, code_i64):
        """h = (h * 31 + (e % M)) % M: folds a value into the checksum."""
        self.emit(indent, f"h = (h * 31 + (({code_i64}) % 1000003)) % 1000003;")

    def statement(self, indent):
        self.spend(1)
        k = self.r(25)
        if k < 3:  # let
            t = self.int_type()
            name = self.fresh('v')
            if self.chance(0.5):
                e = self.to_storage(self.gen_int(t))
                self.emit(indent, f"let mut {name}: {t} = {e.code};")
                self.declare(Var(name, t, True, *storage(t)))
            else:
                e = self.gen_int(t)
                self.emit(indent, f"let {name}: {t} = {e.code};")
                self.declare(Var(name, t, False, e.lo, e.hi))
            return
        if k < 5:  # assignment or checksum fold
            vs = self.vars(lambda v: v.mutable and not v.fixed and v.ty in INT_RANGE)
            if vs and self.chance(0.6):
                v = self.rng.choice(vs)
                e = self.gen_int(v.ty)
                if self.chance(0.3):
                    upd = self.to_storage(self.int_binary_fixed(v.ty, E(v.name, v.ty, *storage(v.ty), pinned=True),
                                                                self.to_storage(e), self.rng.choice('+-*')))
                    self.emit(indent, f"{v.name} = {upd.code};")
                else:
                    self.emit(indent, f"{v.name} = {self.to_storage(e).code};")
            else:
                self.fold(indent, self.as_i64(self.gen_int(self.int_type())).code)
            return
        if k == 5:  # log an intermediate value
            if self.loop_depth <= 1:
                what = self.r(4)
                if what == 0:
                    self.emit(indent, f"log(\"{self.fresh('L')} \" + {self.pin(self.gen_int(self.int_type())).code});")
                elif what == 1:
                    self.emit(indent, f"log({self.gen_string()});")
                elif what == 2:
                    self.emit(indent, f"log(\"b \" + {self.gen_bool()});")
                else:
                    self.emit(indent, f"log(\"h \" + h);")
            return
        if k == 6 and self.afford(4):  # if / else
            self.emit(indent, f"if {self.gen_bool()} {{")
            self.block(indent + 1, 1 + self.r(3))
            if self.chance(0.5):
                self.emit(indent, "} else {")
                self.block(indent + 1, 1 + self.r(3))
            self.emit(indent, "}")
            return
        if k == 7 and self.loop_depth < 2:  # for over a range
            n = 1 + self.r(6)
            if not self.afford(n * 3):
                return
            i = self.fresh('k')
            self.emit(indent, f"for {i} in range({n}) {{")
            self.enter_loop(n, 'for')
            self.scopes.append({i: Var(i, 'i64', False, 0, n - 1)})
            self.block(indent + 1, 1 + self.r(3))
            self.maybe_break(indent + 1)
            self.scopes.pop()
            self.leave_loop(n)
            self.emit(indent, "}")
            return
        if k == 8 and self.loop_depth < 2:  # while with a counter
            n = 1 + self.r(5)
            if not self.afford(n * 3):
                return
            c = self.fresh('w')
            self.emit(indent, f"let mut {c}: i64 = 0;")
            self.emit(indent, f"while {c} < {n} {{")
            self.emit(indent + 1, f"{c} += 1;")
            self.enter_loop(n, 'while')
            self.scopes.append({c: Var(c, 'i64', True, 0, n, fixed=True)})
            self.block(indent + 1, 1 + self.r(3))
            self.maybe_break(indent + 1)
            self.scopes.pop()
            self.leave_loop(n)
            self.emit(indent, "}")
            return
        if k == 9:  # for over a slice
            vs = self.vars(lambda v: isinstance(v.ty, str) and v.ty.startswith('[]'))
            if vs and self.loop_depth < 2:
                v = self.rng.choice(vs)
                n = v.length if v.length is not None else 5
                if not self.afford(n * 3):
                    return
                x = self.fresh('x')
                elem = v.ty[2:]
                self.emit(indent, f"for {x} in {v.name} {{")
                self.enter_loop(n, 'for')
                self.scopes.append({x: Var(x, elem, False, *(storage(elem) if elem in INT_RANGE else (None, None)))})
                if elem in INT_RANGE:
                    self.fold(indent + 1, self.as_i64(E(x, elem, *storage(elem), pinned=True)).code)
                self.block(indent + 1, self.r(3))
                self.scopes.pop()
                self.leave_loop(n)
                self.emit(indent, "}")
                return
        if k == 10:  # new slice, element store
            vs = self.vars(lambda v: isinstance(v.ty, str) and v.ty.startswith('[]') and v.ty[2:] in INT_RANGE)
            if vs and self.chance(0.6):
                v = self.rng.choice(vs)
                elem = v.ty[2:]
                idx = self.index_into(f"{v.name}.len", v.length, 0)
                self.emit(indent, f"{v.name}[{idx}] = {self.gen_value(elem)};")
            else:
                self.new_slice(indent)
            return
        if k == 11:  # struct value, copy, field store
            self.new_struct(indent)
            return
        if k == 12:  # enum value and match statement
            self.match_stmt(indent)
            return
        if k == 13:  # strings
            self.string_stmt(indent)
            return
        if k == 14:  # call for its effect
            cands = [f for f in self.fns if self.afford(f.cost)]
            if cands:
                f = self.rng.choice(cands)
                self.spend(f.cost)
                r = self.fresh('r')
                self.emit(indent, f"let {r}: {f.ret} = {f.name}({self.args_for(f.params, 0)});")
                self.declare(Var(r, f.ret, False, *(storage(f.ret) if f.ret in INT_RANGE else (None, None))))
                self.fold_value(indent, r, f.ret)
            return
        if k == 15 and self.use_float:
            name = self.fresh('fl')
            self.emit(indent, f"let {name}: f64 = {self.gen_float()};")
            self.declare(Var(name, 'f64'))
            return
        if k == 16:  # tuple
            name = self.fresh('t')
            self.emit(indent, f"let {name}: (i64, string) = ({self.gen_value('i64')}, {self.gen_string()});")
            self.declare(Var(name, ('tuple',)))
            return
        if k == 17:  # Option via a helper function, if let
            cands = [f for f in self.fns if f.ret == 'Option<i64>' and self.afford(f.cost)]
            if cands:
                f = self.rng.choice(cands)
                self.spend(f.cost)
                v = self.fresh('o')
                self.emit(indent, f"if let Option.Some({v}) = {f.name}({self.args_for(f.params, 0)}) {{")
                self.scopes.append({v: Var(v, 'i64', False, *storage('i64'))})
                self.fold(indent + 1, v)
                self.scopes.pop()
                self.emit(indent, "} else {")
                self.fold(indent + 1, "7")
                self.emit(indent, "}")
            return
        if k == 18 and self.use_list:
            name = self.fresh('l')
            self.emit(indent, f"let {name}: List = {self.gen_list(0)};")
            self.spend(5)
            self.fold(indent, f"list_sum({name})")
            return
        if k == 19:  # method call
            cands = [(s, f) for s, f in self.methods if self.afford(f.cost)]
            svars = self.vars(lambda v: v.ty in [s.name for s, _ in cands])
            if svars:
                v = self.rng.choice(svars)
                s, f = self.rng.choice([(s, f) for s, f in cands if s.name == v.ty])
                self.spend(f.cost)
                call = E(f"{v.name}.{f.name}({self.args_for(f.params[1:], 0)})", f.ret, *storage(f.ret), pinned=True)
                self.fold(indent, self.as_i64(call).code)
            return
        if k == 20:  # compound assignment, then back into storage range
            vs = self.vars(lambda v: v.mutable and not v.fixed and v.ty in INT_RANGE)
            if vs:
                v = self.rng.choice(vs)
                e = self.to_storage(self.gen_int(v.ty))
                ops = ['+=', '*=', '/=', '%='] + (['-='] if signed(v.ty) else [])
                op = self.rng.choice(ops)
                if op in ('/=', '%='):
                    k_ = min(MODULUS[v.ty], 97)
                    e = E(f"((({e.code}) % {k_}) + {k_})" if signed(v.ty) else f"(({e.code}) % {k_} + 1)", v.ty)
                self.emit(indent, f"{v.name} {op} {e.code};")
                self.emit(indent, f"{v.name} = {v.name} % {MODULUS[v.ty]};")
            return
        if k == 21:  # a fixed array: a value, copied on assignment
            t = self.int_type()
            n = 1 + self.r(5)
            a, b = self.fresh('arr'), self.fresh('arr')
            self.emit(indent, f"let mut {a}: [{n}]{t} = [" + ', '.join(self.gen_value(t) for _ in range(n)) + "];")
            self.emit(indent, f"let {b}: [{n}]{t} = {a};")
            self.emit(indent, f"{a}[{self.r(n)}] = {self.gen_value(t)};")
            for name in (a, b):
                self.fold(indent, self.as_i64(E(f"{name}[{self.r(n)}]", t, *storage(t), pinned=True)).code)
            self.fold(indent, f"({a}.len as i64)")
            return
        if k == 22 and self.ret is not None and self.loop_depth > 0:  # an early return
            self.emit(indent, f"if {self.gen_bool(2)} {{")
            self.emit(indent + 1, f"return {self.return_value(self.ret)};")
            self.emit(indent, "}")
            return
        if k == 23:  # a closure capturing a local by copy
            t = 'i64'
            cap = self.fresh('cap')
            fn_ = self.fresh('clo')
            self.emit(indent, f"let {cap}: i64 = {self.gen_value(t)};")
            self.emit(indent, f"let {fn_} = fn(x: i64) -> i64 {{ return (x * {self.rng.randint(1, 9)} + {cap}) % 1000003; }};")
            self.fold(indent, f"{fn_}({self.gen_value(t)})")
            self.fold(indent, f"{fn_}({cap})")
            return
        if k == 24:  # generic functions
            t = self.rng.choice([self.int_type(), 'string', 'bool'])
            r = self.fresh('g')
            if t in INT_RANGE:  # pinned, so that T is inferred as t
                a, b = (self.pin(self.to_storage(self.gen_int(t, 2))).code for _ in range(2))
            else:
                a, b = self.gen_value(t, 2), self.gen_value(t, 2)
            self.emit(indent, f"let {r}: {t} = pick({self.gen_bool(2)}, {a}, {b});")
            self.declare(Var(r, t, False, *(storage(t) if t in INT_RANGE else (None, None))))
            self.fold_value(indent, r, t)
            self.emit(indent, f"let {self.fresh('pr')}: Pair<{t}> = Pair {{ first: {r}, second: {r} }};")
            return

    def fold_value(self, indent, name, ty):
        if ty in INT_RANGE:
            self.fold(indent, self.as_i64(E(name, ty, *storage(ty), pinned=True)).code)
        elif ty == 'string':
            self.fold(indent, f"(len({name}) as i64)")
            if self.loop_depth <= 1:
                self.emit(indent, f"log({name});")
        elif ty == 'bool':
            self.fold(indent, f"(if {name} {{ 1 }} else {{ 2 }})")
        elif ty == 'Option<i64>':
            self.fold(indent, f"(match {name} {{ Option.Some(q) => q, Option.None => 5 }})")
        elif any(s.name == ty for s in self.structs):
            for fname, fty in self.struct(ty).fields:
                self.fold_value_expr(indent, f"{name}.{fname}", fty)
        elif any(e.name == ty for e in self.enums):
            self.fold(indent, f"{self.enum_summary(ty)}({name})")

    def fold_value_expr(self, indent, code, ty):
        if ty in INT_RANGE:
            self.fold(indent, self.as_i64(E(code, ty, *storage(ty), pinned=True)).code)
        elif ty == 'string':
            self.fold(indent, f"(len({code}) as i64)")
        elif ty == 'bool':
            self.fold(indent, f"(if {code} {{ 1 }} else {{ 2 }})")

    def enum_summary(self, ty):
        return f"summary_{ty}"

    def maybe_break(self, indent):
        if self.chance(0.3):
            kw = self.rng.choice(['break', 'continue'])
            self.emit(indent, f"if {self.gen_bool(2)} {{ {kw}; }}")
            self.fold(indent, "3")

    def enter_loop(self, n, kind):
        self.loop_depth += 1
        self.mult *= n

    def leave_loop(self, n):
        self.loop_depth -= 1
        self.mult //= n

    def new_slice(self, indent):
        elem = self.int_type() if self.chance(0.8) else self.rng.choice(['string', 'bool'] + [s.name for s in self.structs])
        name = self.fresh('s')
        if elem == 'u8' and self.chance(0.3):
            n = 1 + self.r(8)
            self.emit(indent, f"let {name}: []u8 = allocate_slice({n});")
            self.declare(Var(name, '[]u8', False, length=n))
            return
        n = 1 + self.r(6)
        if self.chance(0.2) and elem in INT_RANGE:
            self.emit(indent, f"let {name}: []{elem} = [{self.gen_value(elem)}; {n}];")
        else:
            self.emit(indent, f"let {name}: []{elem} = [" + ', '.join(self.gen_value(elem) for _ in range(n)) + "];")
        self.declare(Var(name, '[]' + elem, False, length=n))
        if elem in INT_RANGE and n > 1 and self.chance(0.5):
            a = self.r(n)
            b = self.rng.randint(a + 1, n)
            sub = self.fresh('s')
            self.emit(indent, f"let {sub}: []{elem} = {name}[{a}:{b}];")
            self.declare(Var(sub, '[]' + elem, False, length=b - a))

    def new_struct(self, indent):
        st = self.rng.choice(self.structs)
        name = self.fresh('st')
        self.emit(indent, f"let mut {name}: {st.name} = {self.gen_value(st.name)};")
        self.declare(Var(name, st.name, True))
        if self.chance(0.6):  # value semantics: a copy does not see later stores
            cp = self.fresh('st')
            self.emit(indent, f"let {cp}: {st.name} = {name};")
            self.declare(Var(cp, st.name, False))
            fname, fty = self.rng.choice(st.fields)
            self.emit(indent, f"{name}.{fname} = {self.gen_value(fty)};")
            self.fold_value(indent, cp, st.name)
        self.fold_value(indent, name, st.name)

    def match_stmt(self, indent):
        en = self.rng.choice(self.enums)
        name = self.fresh('e')
        self.emit(indent, f"let {name}: {en.name} = {self.gen_value(en.name)};")
        self.declare(Var(name, en.name))
        self.emit(indent, f"match {name} {{")
        for vname, payload in en.variants:
            self.scopes.append({})
            binds = []
            for pty in payload:
                b = self.fresh('p')
                binds.append(b)
                self.declare(Var(b, pty, False, *(storage(pty) if pty in INT_RANGE else (None, None))))
            pat = f"{en.name}.{vname}" + (f"({', '.join(binds)})" if payload else '')
            self.emit(indent + 1, f"{pat} => {{")
            for b, pty in zip(binds, payload):
                self.fold_value(indent + 2, b, pty)
            self.block(indent + 2, self.r(2))
            self.emit(indent + 1, "}")
            self.scopes.pop()
        self.emit(indent, "}")

    def string_stmt(self, indent):
        name = self.fresh('str')
        self.emit(indent, f"let mut {name}: string = {self.gen_string()};")
        self.declare(Var(name, 'string', True))
        if self.chance(0.5) and self.loop_depth < 2:
            n = 1 + self.r(4)
            if self.afford(n * 2):
                i = self.fresh('k')
                self.emit(indent, f"for {i} in range({n}) {{")
                self.enter_loop(n, 'for')
                self.scopes.append({i: Var(i, 'i64', False, 0, n - 1)})
                piece = self.rng.choice(['"-"', i, self.str_lit()])
                self.emit(indent + 1, f"{name} = {name} + {piece};")
                self.scopes.pop()
                self.leave_loop(n)
                self.emit(indent, "}")
        if self.chance(0.5):
            c = self.fresh('c')
            cnt = self.fresh('n')
            self.emit(indent, f"let mut {cnt}: i64 = 0;")
            self.emit(indent, f"for {c} in {name} {{")
            self.emit(indent + 1, f"if {c} == '{self.rng.choice('ab-é日 ')}' {{ {cnt} += 1; }}")
            self.emit(indent, "}")
            self.fold(indent, cnt)
        self.fold(indent, f"(len({name}) as i64)")
        if self.loop_depth <= 1:
            self.emit(indent, f"log({name});")

    # --- declarations -----------------------------------------------------
    def gen_types(self):
        for i in range(1 + self.r(3)):
            fields = []
            for j in range(1 + self.r(4)):
                fty = self.rng.choice([self.int_type(), self.int_type(), 'string', 'bool'])
                fields.append((f"f{j}", fty))
            self.structs.append(Struct(f"S{i}", fields))
        for i in range(1 + self.r(2)):
            variants = []
            for j in range(2 + self.r(3)):
                shape = self.r(4)
                if shape == 0:
                    payload = []
                elif shape == 1:
                    payload = [self.int_type()]
                elif shape == 2:
                    payload = ['i64', 'string']
                else:
                    payload = [self.rng.choice(self.structs).name]
                variants.append((f"V{j}", payload))
            self.enums.append(Enum(f"E{i}", variants))
        for s in self.structs:
            self.out.append(f"struct {s.name} {{ " + ', '.join(f"{n}: {t}" for n, t in s.fields) + " }")
        for e in self.enums:
            vs = [n + (f"({', '.join(p)})" if p else '') for n, p in e.variants]
            self.out.append(f"enum {e.name} {{ " + ', '.join(vs) + " }")
        self.out.append("struct Pair<T> { first: T, second: T }")
        if self.use_list:
            self.out.append("enum List { Nil, Cons(i64, List) }")
        self.out.append("")
        # a summary function per enum: folds any value of it into an i64
        for e in self.enums:
            self.out.append(f"fn {self.enum_summary(e.name)}(e: {e.name}) -> i64 {{")
            self.out.append("    return match e {")
            for k, (vname, payload) in enumerate(e.variants):
                binds = [f"a{j}" for j in range(len(payload))]
                pat = f"{e.name}.{vname}" + (f"({', '.join(binds)})" if payload else '')
                parts = [str(k + 1)]
                for b, p in zip(binds, payload):
                    if p in INT_RANGE:
                        parts.append(f"({b} as i64)")
                    elif p == 'string':
                        parts.append(f"(len({b}) as i64)")
                    else:
                        st = self.struct(p)
                        for fname, fty in st.fields:
                            if fty in INT_RANGE:
                                parts.append(f"({b}.{fname} as i64)")
                self.out.append(f"        {pat} => {' + '.join(parts)},")
            self.out.append("    };")
            self.out.append("}")
            self.out.append("")
        self.out.append("fn pick<T>(c: bool, a: T, b: T) -> T {")
        self.out.append("    if c { return a; }")
        self.out.append("    return b;")
        self.out.append("}")
        self.out.append("")
        if self.use_list:
            self.out.append("fn list_sum(l: List) -> i64 {")
            self.out.append("    return match l {")
            self.out.append("        List.Nil => 0,")
            self.out.append("        List.Cons(v, rest) => (v + list_sum(rest)) % 1000003,")
            self.out.append("    };")
            self.out.append("}")
            self.out.append("")

    def param_type(self):
        c = self.r(8)
        if c < 3:
            return self.int_type()
        if c == 3:
            return 'string'
        if c == 4:
            return self.rng.choice(self.structs).name
        if c == 5:
            return self.rng.choice(self.enums).name
        if c == 6:
            return '[]' + self.int_type()
        return 'bool'

    def ret_type(self):
        c = self.r(9)
        if c < 4:
            return self.int_type()
        if c == 4:
            return 'string'
        if c == 5:
            return 'bool'
        if c == 6:
            return self.rng.choice(self.structs).name
        if c == 7:
            return self.rng.choice(self.enums).name
        return 'Option<i64>'

    def function(self, name, params, ret, budget, n_stmts, method_of=None):
        self.ret = ret
        self.scopes = [{}]
        self.cost, self.mult, self.budget = 0, 1, budget
        body_start = len(self.out)
        for pname, pty in params:
            if pty in INT_RANGE:
                self.declare(Var(pname, pty, False, *storage(pty)))
            elif pty.startswith('[]'):
                self.declare(Var(pname, pty, False, length=None))
            else:
                self.declare(Var(pname, pty))
        self.emit(1, "let mut h: i64 = 17;")
        for pname, pty in params:
            if pname != 'self':
                self.fold_value(1, pname, pty)
        self.block(1, n_stmts)
        ret_code = self.return_value(ret)
        self.emit(1, f"return {ret_code};")
        body = self.out[body_start:]
        del self.out[body_start:]
        plist = ', '.join('self' if n == 'self' else f"{n}: {t}" for n, t in params)
        head = f"fn {name}({plist}) -> {ret} {{"
        return [head] + body + ["}"], self.cost

    def return_value(self, ret):
        if ret in INT_RANGE:
            mix = self.gen_int(ret, 2)
            h = self.cast_to(E("h", 'i64', *storage('i64'), pinned=True), ret)
            return self.to_storage(self.int_binary_fixed(ret, self.to_storage(h), self.to_storage(mix), '+')).code
        if ret == 'string':
            return f"(\"r\" + h + {self.gen_string(2)})"
        if ret == 'bool':
            return f"((h % 3 == 1) || {self.gen_bool(2)})"
        if ret == 'Option<i64>':
            return "(if h % 2 == 0 { Option.Some(h) } else { Option.None })"
        if any(s.name == ret for s in self.structs):
            st = self.struct(ret)
            fields = []
            for fname, fty in st.fields:
                if fty in INT_RANGE:
                    fields.append(f"{fname}: {self.to_storage(self.cast_to(E('h', 'i64', *storage('i64'), pinned=True), fty)).code}")
                else:
                    fields.append(f"{fname}: {self.gen_value(fty, 2)}")
            return f"{ret} {{ " + ', '.join(fields) + " }"
        if any(e.name == ret for e in self.enums):
            en = self.enum(ret)
            arms = []
            for k, (vname, payload) in enumerate(en.variants):
                val = f"{ret}.{vname}" + ('(' + ', '.join(self.gen_value(p, 2) for p in payload) + ')' if payload else '')
                arms.append(f"{k} => {val}")
            arms[-1] = "_" + arms[-1][arms[-1].index(' =>'):]
            return f"(match h % {len(en.variants)} {{ {', '.join(arms)} }})"
        raise ValueError(ret)

    def generate(self):
        sizes = {'small': (3, 4, 400), 'medium': (5, 6, 1500), 'large': (9, 9, 4000)}
        n_fns, n_stmts, budget = sizes[self.size]
        self.out.append(f"// Generated by tools/gen_random_program.py {self.seed} --size {self.size}")
        self.out.append("")
        self.gen_types()
        # methods on the first struct
        st = self.structs[0]
        for m in range(self.r(3)):
            params = [('self', st.name)] + [(f"a{j}", self.param_type()) for j in range(self.r(2))]
            ret = self.int_type()
            lines, cost = self.function(f"m{m}", params, ret, budget // 4, 2 + self.r(3))
            f = Fn(f"m{m}", params, ret, cost + 2)
            self.methods.append((st, f))
            self.out.append(f"impl {st.name} {{")
            self.out.extend('    ' + ln for ln in lines)
            self.out.append("}")
            self.out.append("")
        for k in range(n_fns + self.r(3)):
            params = [(f"a{j}", self.param_type()) for j in range(self.r(4))]
            ret = self.ret_type()
            lines, cost = self.function(f"func{k}", params, ret, budget, 2 + self.r(n_stmts))
            self.out.extend(lines)
            self.out.append("")
            self.fns.append(Fn(f"func{k}", params, ret, cost + 2))
        # main: calls every function, then uses each feature at least once
        self.ret = None
        self.scopes = [{}]
        self.cost, self.mult, self.budget = 0, 1, budget * 4
        body_start = len(self.out)
        self.emit(1, "let mut h: i64 = 1;")
        for f in self.fns:
            r = self.fresh('r')
            self.emit(1, f"let {r}: {f.ret} = {f.name}({self.args_for(f.params, 0)});")
            self.declare(Var(r, f.ret, False, *(storage(f.ret) if f.ret in INT_RANGE else (None, None))))
            self.fold_value(1, r, f.ret)
            self.emit(1, f"log(\"{f.name} \" + h);")
        self.new_struct(1)
        self.new_slice(1)
        sl = next(v for v in self.vars(lambda v: isinstance(v.ty, str) and v.ty.startswith('[]')))
        x = self.fresh('x')
        self.emit(1, f"for {x} in {sl.name} {{")
        self.emit(2, "h = (h + 1) % 1000003;")
        self.emit(1, "}")
        self.match_stmt(1)
        self.string_stmt(1)
        self.block(1, n_stmts)
        self.emit(1, "log(\"checksum \" + h);")
        body = self.out[body_start:]
        del self.out[body_start:]
        self.out.append("fn main() {")
        self.out.extend(body)
        self.out.append("}")
        return '\n'.join(self.out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('seed', type=int)
    ap.add_argument('--size', choices=['small', 'medium', 'large'], default='medium')
    a = ap.parse_args()
    sys.stdout.write(Gen(a.seed, a.size).generate())


if __name__ == '__main__':
    main()
