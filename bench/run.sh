#!/usr/bin/env bash
# Reproduces the numbers in bench/README.md: generates the 10M-line input (once), builds
# vpctop in release mode and times it against cat, wc -l and DuckDB on the same file.
# Usage: bench/run.sh [LINES]   (from the project root; needs python3; DuckDB is installed by baseline.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-10000000}
DATA=${TMPDIR:-/tmp}/vpctop-flows-${LINES}.log
[ -f "$DATA" ] || python3 bench/genflows.py --lines "$LINES" --seed 7 --out "$DATA"
cargo build --release --locked
bench/baseline.sh "$DATA" ./target/release/vpctop report --json
