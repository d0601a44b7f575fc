#!/usr/bin/env bash
# Runs every fuzz target (or those named after SECONDS) for SECONDS each, two at a time
# (JOBS=n for more), seeded from the test fixtures; exits non-zero when any target crashed,
# leaving its reproducer in fuzz/artifacts/TARGET/. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`).
#
#   fuzz/run.sh 600                 # every target for ten minutes
#   fuzz/run.sh 60 framer filter    # two of them for a minute
#   SANITIZER=none fuzz/run.sh 20   # a quicker build, for smoke runs
#   LEAN=1 fuzz/run.sh 10           # without the AWS SDK and Parquet (CI's smoke build)
#
# A crash replays with `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…`.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET…]}
shift
jobs=${JOBS:-2}
sanitizer=${SANITIZER:-address}
fixtures=../tests/corpus

features=()
all=$(cargo +nightly fuzz list)
if [ -n "${LEAN:-}" ]; then
  features=(--no-default-features)
  echo "== lean build: aws_names (needs the AWS SDK) and the Parquet half of input_bytes are left out"
  all=$(grep -vx aws_names <<<"$all")
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets <<<"$all"

# Seeds: the fixtures each target reads, plus fuzz/seeds/TARGET.
seed() {
  local target=$1 dir=corpus/$1
  mkdir -p "$dir" "artifacts/$target"
  [ -d "seeds/$target" ] && cp -n seeds/"$target"/* "$dir"/ 2>/dev/null || true
  local patterns=()
  case $target in
    line_fast_path | framer | replay_feed | gzip | escape | format_and_header) patterns=(-name '*.log') ;;
    envelope) patterns=(-name '*.log' -o -name '*.json') ;;
    input_bytes) patterns=(-name '*.log' -o -name '*.gz' -o -name '*.parquet') ;;
    inventory_json)
      # One input holds every inventory file, NUL-separated, as the target splits them.
      local joined=$dir/fixtures-inventory
      [ -e "$joined" ] || for f in "$fixtures"/inventory/*.json; do
        cat "$f"
        printf '\0'
      done >"$joined"
      ;;
  esac
  if [ ${#patterns[@]} -gt 0 ]; then
    find "$fixtures" -type f \( "${patterns[@]}" \) -size -256k | while read -r f; do
      cp -n "$f" "$dir/fixture-$(echo "$f" | md5sum | cut -c1-12)" 2>/dev/null || true
    done
  fi
}

dict_of() {
  case $1 in
    filter) echo dict/filter.dict ;;
    inventory_json | alert_rules) echo dict/json.dict ;;
    *) echo dict/flowlog.dict ;;
  esac
}

echo "== building the targets (sanitizer: $sanitizer), then running ${#targets[@]} for ${seconds}s each"
cargo +nightly fuzz build --sanitizer "$sanitizer" "${features[@]}"

run_one() {
  local target=$1 log=artifacts/$1/last-run.log
  seed "$target"
  if cargo +nightly fuzz run --sanitizer "$sanitizer" "${features[@]}" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -dict="$(dict_of "$target")" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    local execs cov
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -oE '#[0-9]+.*cov: [0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' || true)
    echo "ok    $target: ${execs:-?} execs, ${cov:-cov: ?} in ${seconds}s"
  else
    echo "CRASH $target: see $log and artifacts/$target/"
    grep -m3 -E 'panicked|ERROR|SUMMARY' "$log" | sed 's/^/      /' || true
    return 1
  fi
}

failed=0
running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit $failed
