#!/usr/bin/env bash
# Runs a libFuzzer campaign against one of asthra's fuzz targets (tests/fuzz/).
#
#   tools/fuzz.sh TARGET SECONDS [LIBFUZZER_FLAGS...]
#   tools/fuzz.sh --coverage [TARGET]
#
# TARGET is fuzz_lexer, fuzz_parser or fuzz_frontend.  The first form
# configures and builds build-fuzz/ (CC=clang, -DASTHRA_FUZZ=ON) when needed,
# copies the seed corpus afresh (every tests/programs/**/*.asthra, examples/,
# stdlib/ and 20 programs of tools/gen_random_program.py) into
# a temporary folder, and fuzzes for SECONDS with the dictionary
# tests/fuzz/asthra.dict.  What the campaign discovers accumulates in
# build-fuzz/corpus/TARGET/ across runs; crash, leak, timeout and OOM inputs
# go to build-fuzz/artifacts/TARGET/, and after one the campaign goes on
# until SECONDS are used.  It prints the executions, the rate, the corpus
# size and every new artifact, and exits 1 if there is one.  Extra flags go
# to libFuzzer and override the defaults (e.g. -max_len=16384, -only_ascii=1).
# Replay an artifact with: build-fuzz/fuzz/TARGET FILE
#
# What makes a campaign fast, without checking less per input:
# - Inputs are at most 4096 bytes for fuzz_lexer and 8192 for the others
#   (-max_len): an execution costs about its size (the diagnostics renderer
#   more: every diagnostic prints its whole line), and the corpus inputs cut
#   to that are about half as long as at 16384.  8192 still reaches the
#   parser's longest limit (4000 operators in one chain, 8001 bytes); the
#   lexer has no limit a longer input reaches.
# - The entropic schedule gives fast inputs more mutations and slow ones
#   fewer (-entropic_scale_per_exec_time=1, AFL's performance score): it
#   halves the average input executed, every input is still fuzzed.
# - The corpus folder is not reloaded every second (-reload=0: there is one
#   campaign per target).  It only grows, as libFuzzer never deletes an
#   input it loaded, even once smaller ones have all its features, and every
#   start executes all of it (fuzz_frontend's had 14,614 inputs for the
#   4,303 kept: 150 s before the first mutation).  So when it holds more
#   than twice the inputs the last campaign kept, it is first merged
#   (-merge=1) into a fresh folder.
#
# --coverage builds build-fuzz-cov/ (source coverage, no sanitizers), runs
# TARGET (default fuzz_frontend) once over the seeds and every target's
# corpus, and prints llvm-cov's line coverage of compiler/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
}

coverage=0
if [[ ${1:-} == --coverage ]]; then
  coverage=1
  shift
  target=${1:-fuzz_frontend}
  seconds=0
  [[ $# -gt 0 ]] && shift
else
  [[ $# -ge 2 ]] || usage
  target=$1
  seconds=$2
  shift 2
  [[ $seconds =~ ^[0-9]+$ ]] || usage
fi
case $target in
  fuzz_lexer | fuzz_parser | fuzz_frontend) ;;
  *) echo "fuzz.sh: unknown target \`$target\` (fuzz_lexer, fuzz_parser, fuzz_frontend)" >&2; exit 2 ;;
esac

tools/setup-deps.sh
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is not installed" >&2
  exit 1
fi
if ! clang++ -print-file-name=libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | grep -q /; then
  echo "fuzz.sh: libFuzzer (libclang-rt-*-dev) is not installed" >&2
  exit 1
fi

if ((coverage)); then
  dir=build-fuzz-cov
  extra_cmake=(-DASTHRA_FUZZ_COVERAGE=ON)
else
  dir=build-fuzz
  extra_cmake=(-DASTHRA_FUZZ_COVERAGE=OFF)
fi

# Configure once; afterwards ninja notices changed sources by itself.
if [[ ! -f $dir/build.ninja ]] || ! grep -q '^ASTHRA_FUZZ:BOOL=ON' "$dir/CMakeCache.txt"; then
  echo "fuzz.sh: configuring $dir"
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DASTHRA_FUZZ=ON "${extra_cmake[@]}" >"$dir.configure.log" 2>&1 || {
    cat "$dir.configure.log"
    exit 1
  }
  rm -f "$dir.configure.log"
fi
echo "fuzz.sh: building $target in $dir"
if ! cmake --build "$dir" --target "$target" -j "${FUZZ_BUILD_JOBS:-2}" >"$dir/fuzz-build.log" 2>&1; then
  cat "$dir/fuzz-build.log"
  exit 1
fi
binary=$dir/fuzz/$target

# Seeds, copied afresh: the golden programs, examples, stdlib and a few
# generated programs (valid ones that reach codegen).  Not the regression
# tests: while the bug one records is open, a crashing seed would stop every
# campaign before it starts.
seeds=$(mktemp -d "${TMPDIR:-/tmp}/asthra-fuzz-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
while IFS= read -r -d '' f; do
  name=${f//\//_}
  cp "$f" "$seeds/$name"
done < <(find tests/programs examples stdlib -name '*.asthra' -not -path 'tests/programs/regressions/*' -print0)
if [[ -x tools/gen_random_program.py ]]; then
  for seed in $(seq 1 20); do
    python3 tools/gen_random_program.py "$seed" >"$seeds/generated_$seed.asthra" 2>/dev/null || rm -f "$seeds/generated_$seed.asthra"
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if ((coverage)); then
  profdir=$dir/profile
  rm -rf "$profdir"
  mkdir -p "$profdir"
  corpora=("$seeds")
  for t in fuzz_lexer fuzz_parser fuzz_frontend; do
    [[ -d build-fuzz/corpus/$t ]] && corpora+=("build-fuzz/corpus/$t")
  done
  echo "fuzz.sh: running $target over ${corpora[*]}"
  # In batches, so that an input that crashes loses only its batch's profile;
  # a failed batch is run again one input at a time.
  mapfile -t inputs < <(find "${corpora[@]}" -type f)
  : >"$dir/coverage-run.log"
  crashed=0
  run_inputs() {
    LLVM_PROFILE_FILE="$profdir/%p.profraw" "$binary" -timeout=30 -rss_limit_mb=8192 \
      -artifact_prefix="$profdir/" "$@" >>"$dir/coverage-run.log" 2>&1
  }
  for ((i = 0; i < ${#inputs[@]}; i += 300)); do
    batch=("${inputs[@]:i:300}")
    run_inputs "${batch[@]}" && continue
    for f in "${batch[@]}"; do
      [[ -f $f ]] || continue  # a running campaign replaced it
      run_inputs "$f" || { crashed=$((crashed + 1)); echo "fuzz.sh: crashes (its coverage is lost): $f"; }
    done
  done
  echo "fuzz.sh: ran ${#inputs[@]} inputs ($crashed crashed)"
  llvm-profdata merge -sparse "$profdir"/*.profraw -o "$profdir/merged.profdata"
  echo "fuzz.sh: line coverage of compiler/ reached by the corpus:"
  llvm-cov report "$binary" -instr-profile="$profdir/merged.profdata" \
    $(find "$root/compiler" -name '*.cpp' -o -name '*.h' | sort)
  echo "fuzz.sh: line-by-line: llvm-cov show $binary -instr-profile=$profdir/merged.profdata $root/compiler/FILE"
  exit 0
fi

corpus=build-fuzz/corpus/$target
artifacts=build-fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts"
before=$(find "$artifacts" -type f | sort)
mkdir -p build-fuzz/logs
previous_log=$(ls -t build-fuzz/logs/"$target"-*.log 2>/dev/null | head -n 1 || true)
log=build-fuzz/logs/$target-$(date +%Y%m%d-%H%M%S)-$$.log
: >"$log"

# The defaults go first, so that the caller's flags override them.
case $target in
  fuzz_lexer) max_len=4096 ;;
  *) max_len=8192 ;;
esac
for flag in "$@"; do
  [[ $flag =~ ^-max_len=([0-9]+)$ ]] && max_len=${BASH_REMATCH[1]}
done
defaults=(-dict=tests/fuzz/asthra.dict -timeout=20 -rss_limit_mb=4096 -max_len="$max_len" -reload=0
  -entropic_scale_per_exec_time=1)

# Merge a corpus folder that has become mostly redundant (see the top).
kept=$([[ -n $previous_log ]] && grep -ao 'corp: [0-9]*' "$previous_log" | tail -n 1 | tr -dc 0-9 || true)
on_disk=$(find "$corpus" -type f | wc -l)
if [[ -n $kept ]] && ((kept > 0 && on_disk > 2 * kept)); then
  echo "fuzz.sh: merging $corpus ($on_disk inputs, the last campaign kept $kept)"
  merged=$corpus.merging
  rm -rf "$merged"
  mkdir -p "$merged"
  trap 'rm -rf "$seeds" "$merged"' EXIT
  merge_started=$SECONDS
  if "$binary" -merge=1 "${defaults[@]}" -artifact_prefix="$artifacts/" "$merged" "$corpus" >>"$log" 2>&1; then
    rm -rf "$corpus.old"
    mv "$corpus" "$corpus.old" && mv "$merged" "$corpus" && rm -rf "$corpus.old"
    echo "fuzz.sh: merged in $((SECONDS - merge_started)) s: $(find "$corpus" -type f | wc -l) inputs"
  else
    echo "fuzz.sh: merging failed (see $log); fuzzing the corpus as it is"
    rm -rf "$merged"
  fi
fi
echo "fuzz.sh: fuzzing $target for $seconds s (corpus $corpus, log $log)"

# libFuzzer stops at the first crash; the campaign goes on until SECONDS are
# used (a crash input is saved, not added to the corpus, so the next round
# looks elsewhere), and the statistics of every round are added up.
started=$SECONDS
rounds=0
status=0
while ((SECONDS - started < seconds)); do
  rounds=$((rounds + 1))
  round_before=$(find "$artifacts" -type f | sort)
  round_log=$log.round
  status=0
  "$binary" "${defaults[@]}" -max_total_time=$((seconds - (SECONDS - started))) \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$corpus" "$seeds" >"$round_log" 2>&1 || status=$?
  cat "$round_log" >>"$log"
  rm -f "$round_log"
  ((status == 0)) && break
  # Anything but a new crash/leak/timeout input (a bad flag, a crash on a
  # seed that was found before) ends it.
  [[ -z $(comm -13 <(echo "$round_before") <(find "$artifacts" -type f | sort) | sed '/^$/d') ]] && break
done
elapsed=$((SECONDS - started))

stat() { sed -n "s/^stat::$1: *//p" "$log" | awk -v op="${2:-sum}" '{s += $1; if ($1 > m) m = $1} END {print (op == "max" ? m : s) + 0}'; }
executions=$(stat number_of_executed_units)
echo "fuzz.sh: $target: $executions executions in ${elapsed} s ($((executions / (elapsed > 0 ? elapsed : 1))) exec/s)," \
  "$rounds round(s), $(find "$corpus" -type f | wc -l) inputs in the corpus, peak RSS $(stat peak_rss_mb max) MB"
new=$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) | sed '/^$/d' || true)
if [[ -n $new ]]; then
  echo "fuzz.sh: $target found:"
  echo "$new" | sed 's/^/  /'
  grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|asthra: internal compiler error|.*fuzz target exited)' "$log" \
    | sort | uniq -c | sort -rn | head -n 20 | sed 's/^/  /' || true
  echo "fuzz.sh: replay with $binary FILE; minimise with $binary -minimize_crash=1 -runs=10000 FILE;" \
    "full log in $log"
  exit 1
fi
if ((status != 0)); then
  tail -n 40 "$log"
  echo "fuzz.sh: $target exited with status $status"
  exit 1
fi
