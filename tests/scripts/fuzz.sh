#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (issue 17 item 3), in bounded time:
# builds them with clang into build-fuzz/ (-DPONTOON_FUZZ=ON; incremental
# when already built), then for each target
#   - runs the inputs of past defects, tests/fuzz/regress/<target>/: each
#     must pass;
#   - fuzzes for PONTOON_FUZZ_SECONDS seconds (default 20) from its seed
#     corpus, tests/fuzz/corpus/<target>/ (new inputs go to a scratch
#     directory): any crash, leak, sanitizer report or timeout fails, and
#     the input is left in build-fuzz/fuzz-artifacts/;
#   - runs the inputs of defects reported and not yet fixed,
#     tests/fuzz/known/<target>/, with PONTOON_FUZZ_STRICT=1, and says
#     which are still open (not a failure: see tests/fuzz/README.md).
# Two targets run at a time.  Needs no server.
source "$(dirname "$0")/lib.bash" "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${PONTOON_FUZZ_SECONDS:-20}
fuzz=$top/tests/fuzz
bdir=$top/build-fuzz
# the targets carry their own sanitizer runtime: none of the suite's
unset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
cc=$(command -v clang || command -v clang-14 || true)
check "clang is installed (tests/setup.sh installs it)" [ -n "$cc" ]
[ -n "$cc" ] || finish

built=0
mkdir -p "$bdir"
if CC=$cc cmake -S "$top" -B "$bdir" -DPONTOON_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     >"$bdir/fuzz-build.log" 2>&1 &&
   cmake --build "$bdir" --target pt_fuzz -j"$(nproc)" >>"$bdir/fuzz-build.log" 2>&1; then
  built=1
else
  tail -n 30 "$bdir/fuzz-build.log"
fi
check "the fuzz targets build with clang" [ "$built" = 1 ]
[ "$built" = 1 ] || finish

read -r -a targets < "$bdir/fuzz_targets.txt"
out=$bdir/fuzz-run
rm -rf "$out"
mkdir -p "$out" "$bdir/fuzz-artifacts"

# run_one TARGET: its regression inputs, then the timed run; writes
# $out/TARGET.rc (regress rc, fuzz rc) and $out/TARGET.log
run_one() {
  local t=$1 exe=$bdir/tests/fuzz/fuzz_$1 rrc=0 frc=0
  local inputs=()
  if [ -d "$fuzz/regress/$t" ]; then
    inputs=("$fuzz/regress/$t"/*)
    [ -e "${inputs[0]}" ] || inputs=()
  fi
  if [ ${#inputs[@]} -gt 0 ]; then
    "$exe" "${inputs[@]}" >"$out/$t.regress.log" 2>&1 || rrc=$?
  fi
  mkdir -p "$out/$t.corpus"
  (cd "$out" && "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 -artifact_prefix="$bdir/fuzz-artifacts/$t-" \
     "$out/$t.corpus" "$fuzz/corpus/$t") >"$out/$t.log" 2>&1 || frc=$?
  echo "$rrc $frc" >"$out/$t.rc"
}

for t in "${targets[@]}"; do
  run_one "$t" &
  while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
done
wait

for t in "${targets[@]}"; do
  read -r rrc frc <"$out/$t.rc"
  if [ -e "$out/$t.regress.log" ]; then
    check "fuzz_$t: its regression inputs pass" [ "$rrc" = 0 ]
    [ "$rrc" = 0 ] || grep -E -A12 "ERROR|SUMMARY" "$out/$t.regress.log" | head -30
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
  check "fuzz_$t: ${runs:-?} inputs in ${secs}s, no crash" [ "$frc" = 0 ]
  if [ "$frc" != 0 ]; then
    grep -E -A25 "ERROR|SUMMARY|deadly signal|Test unit written" "$out/$t.log" | head -60
  fi
  for f in "$fuzz/known/$t"/*; do
    [ -e "$f" ] || continue
    if PONTOON_FUZZ_STRICT=1 "$bdir/tests/fuzz/fuzz_$t" "$f" >"$out/$t.known.log" 2>&1; then
      echo "# known defect $(basename "$f") (fuzz_$t) now passes: move it to tests/fuzz/regress/$t/"
    else
      echo "# known defect $(basename "$f") (fuzz_$t) still open (tests/fuzz/README.md)"
    fi
  done
done
finish
