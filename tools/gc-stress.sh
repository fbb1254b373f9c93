#!/usr/bin/env bash
# A long campaign of the collector's seeded stress test with new seeds.
#
#   tools/gc-stress.sh SECONDS [ITERATIONS] [THREADS]
#
# Runs build/tests/runtime_gc_stress_own (tests/stress/runtime_gc_stress.c)
# with a fresh random seed at a time, cycling through the plain collector,
# the plain one under ASTHRA_GC_VERIFY=1, concurrent mode
# (ASTHRA_GC_CONCURRENT=1) and concurrent mode under the verifier, until
# SECONDS are used. Prints every seed; on a failure prints the command that
# replays it and exits 1. GC_STRESS_BINARY names another copy of the binary
# (so that build/ can be rebuilt meanwhile).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -ge 1 && $1 =~ ^[0-9]+$ ]] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
seconds=$1
iterations=${2:-200000}
threads=${3:-4}
binary=${GC_STRESS_BINARY:-build/tests/runtime_gc_stress_own}
[[ -x $binary ]] || cmake --build build --target runtime_gc_stress_own >/dev/null
end=$((SECONDS + seconds))
runs=0
while ((SECONDS < end)); do
  seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
  verify=$((runs % 2))
  concurrent=$((runs / 2 % 2))
  if ! ASTHRA_GC_VERIFY=$verify ASTHRA_GC_CONCURRENT=$concurrent \
      "$binary" "$seed" "$iterations" "$threads" >/tmp/gc-stress.$$.log 2>&1; then
    cat /tmp/gc-stress.$$.log
    echo "gc-stress: FAILED; replay: ASTHRA_GC_VERIFY=$verify ASTHRA_GC_CONCURRENT=$concurrent" \
      "$binary $seed $iterations $threads"
    exit 1
  fi
  tail -1 /tmp/gc-stress.$$.log | sed "s/^/seed $seed verify=$verify concurrent=$concurrent: /"
  runs=$((runs + 1))
done
rm -f /tmp/gc-stress.$$.log
echo "gc-stress: $runs runs, no corruption"
