#!/usr/bin/env bash
# Builds asthra and runs every program in examples/ with `asthra run`, showing
# what each prints and how it exits, then a summary. Exits non-zero if any
# example failed (a non-zero exit status, or no result within 120 s).
# Usage: tools/showcase.sh    (from any directory)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools/setup-deps.sh

echo "=== building asthra in build/"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log" 2>&1; then
  cat "$log"
  echo "showcase: configuring build/ failed" >&2
  exit 1
fi
cmake --build build -j 2

passed=0
failed=0
failures=()
shopt -s nullglob
examples=(examples/*.asthra)
if ((${#examples[@]} == 0)); then
  echo "showcase: no examples/*.asthra" >&2
  exit 1
fi
for example in "${examples[@]}"; do
  echo
  echo "=== asthra run $example"
  status=0
  timeout 120 build/bin/asthra run "$example" </dev/null || status=$?
  if ((status == 0)); then
    echo "--- $example: exit 0, ok"
    passed=$((passed + 1))
  else
    if ((status == 124)); then
      echo "--- $example: no result after 120 s, FAILED"
    else
      echo "--- $example: exit $status, FAILED"
    fi
    failed=$((failed + 1))
    failures+=("$example")
  fi
done

echo
if ((failed > 0)); then
  echo "failed: ${failures[*]}"
fi
echo "showcase: ${passed} passed, ${failed} failed"
((failed == 0))
