#!/usr/bin/env python3
"""Checks that tests/programs/seed/ holds the seed's examples, byte for byte.

The seed's programs (shared/examples/seed/ beside the repository) are copied
verbatim into tests/programs/seed/, and must not be weakened. When the shared
folder is present, every file in it must be identical in tests/programs/seed/;
otherwise (a clone without it) the files must match the SHA-256 sums recorded
below when they were copied. Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# sha256 of each file of shared/examples/seed/ as copied.
RECORDED = {
    "README.md": "a3fdfa15c925cc3ebed4cb0c95f7d2c981375775730ed9036f32025afe1009e9",
    "c_memory.asthra": "d4d85d067dd796bb943d80a29cf56f93790b07001c167af9a51784f3a9a772bc",
    "ffi_transfer.asthra": "27c190b26acd95d6cef97e3b703e77c32582e00ea6045943370813207d699318",
    "memory_safety.asthra": "593aa2f582bc2d7622c28f6bed6bd6ed6e063e9c569d5fb2fdd55ea0df28df47",
    "my_lib.c": "a5d881f915ed28bb433f90eae97a6d31f54bd031d20f1b1c1781391b0620f6f2",
    "ownership_examples.asthra": "ce526468f3b7e8cbd79b3ebe168f481b198737dda43c4ead7db2e5ee006fd230",
    "ownership_tags.asthra": "273db600ad9602d25634799e6e30a4494b3de4b6ce1fc5b2e8a972f1536ac770",
    "pinned.asthra": "95b10939cacf27ef89b1ca336a53951a50011f8694eabc20bd0bb56701ea8666",
    "secure_memory.asthra": "492db52e020b23949e3075d2f6cd87edb3601cd2bccdf8a2d8aa4e62361f8efd",
    "slice_from_c.asthra": "91e8a39f3a3f36a46c5bbf6316e6cc8adb3f4a092624d7bab0e2b54768290ba2",
    "slices.asthra": "a385c5bc4477be55679fd7ae893cd65107196e8ab5fa2fda596196844f13a33f",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=Path, default=REPO_ROOT.parent / "shared/examples/seed",
                        help="the shared seed folder (default: ../shared/examples/seed)")
    parser.add_argument("--copy", type=Path, default=REPO_ROOT / "tests/programs/seed")
    args = parser.parse_args()

    if args.seed.is_dir():
        source = f"{args.seed}"
        wanted = {f.name: sha256(f) for f in sorted(args.seed.iterdir()) if f.is_file()}
    else:
        source = "the sums recorded in check_seed_verbatim.py"
        wanted = RECORDED

    problems = []
    for name, digest in sorted(wanted.items()):
        copy = args.copy / name
        if not copy.is_file():
            problems.append(f"{copy} is missing")
        elif sha256(copy) != digest:
            problems.append(f"{copy} differs from the seed")
    print(f"seed: {len(wanted) - len(problems)} of {len(wanted)} files verbatim (checked against {source})")
    for problem in problems:
        print("  " + problem)
    if problems:
        print(f"  copy them again: cp {args.seed}/* {args.copy}/")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
