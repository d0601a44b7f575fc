#!/usr/bin/env bash
# Baseline timings over a plain-text VPC flow log file (see bench/README.md).
# Usage: baseline.sh FILE [TOOL_CMD...]     (TOOL_CMD is run as: TOOL_CMD FILE)
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: $0 FILE [TOOL_CMD...]   (TOOL_CMD is timed as: TOOL_CMD FILE)" >&2
  exit 2
fi
FILE=$1; shift
TOOL=("$@")
[ -f "$FILE" ] || { echo "no such file: $FILE" >&2; exit 2; }
if [ "$(head -c2 "$FILE" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
  echo "FILE must be plain text, not gzip (gunzip it first)" >&2; exit 2
fi
RUNS=${RUNS:-3}

python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
QUERY="$(cd "$(dirname "$0")" && pwd)/report_query.sql"

HEADER=false
head -n1 "$FILE" | grep -q '^version ' && HEADER=true
LINES=$(wc -l < "$FILE"); $HEADER && LINES=$((LINES - 1))
SIZE=$(stat -c %s "$FILE")
NPROC=$(nproc)

# ---- DuckDB helper scripts ------------------------------------------------
cat > "$WORK/common.py" <<'EOF'
import sys
COLS = ["version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
        "protocol", "packets", "bytes", "start", "end", "action", "log_status"]
def src(path, header):
    cols = "{" + ",".join(f"'{c}':'VARCHAR'" for c in COLS) + "}"
    p = path.replace("'", "''")
    return (f"read_csv('{p}', delim=' ', header={header}, columns={cols}, auto_detect=false, "
            f"quote='', escape='')")
# All 14 columns are read as VARCHAR so '-' (NODATA/SKIPDATA records) stays a string; numbers
# go through TRY_CAST(NULLIF(x, '-')). Note: DuckDB 2.0 pushes a bare TRY_CAST(x AS INTEGER)
# into the CSV reader as a strict cast that fails on '-'; the NULLIF wrapper avoids that.
def num(c, t):
    return f"TRY_CAST(NULLIF({c}, '-') AS {t}) AS {c}"
TYPED = ("SELECT srcaddr, dstaddr, " + ", ".join([
    num("srcport", "INTEGER"), num("dstport", "INTEGER"), num("protocol", "SMALLINT"),
    num("packets", "BIGINT"), num("bytes", "BIGINT"), num("start", "BIGINT"), num('"end"', "BIGINT")])
    + ", action, log_status FROM ")
EOF

# One CSV scan computing all aggregates (GROUPING SETS), like a flow-log tool's report.
cat > "$WORK/agg.py" <<'EOF'
import sys, duckdb
from common import src, TYPED
path, header, query = sys.argv[1], sys.argv[2], sys.argv[3]
q = open(query).read().format(source=TYPED + src(path, header))
rows = duckdb.sql(q).fetchall()
for kind, action, s, d, port, n, b, p in rows:
    key = {"action": action, "srcaddr": s, "dstport": port, "pair": f"{s} -> {d}"}[kind]
    print(f"  {kind:8} {str(key):40} records={n:<10} bytes={b} packets={p}")
print("TOTAL_RECORDS", sum(r[5] for r in rows if r[0] == "action"))
EOF

# Load into an in-memory table (timed), then a filtered re-aggregation (best of 3).
cat > "$WORK/inmem.py" <<'EOF'
import sys, time, json, resource, duckdb
from common import src, TYPED
path, header = sys.argv[1], sys.argv[2]
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"CREATE TABLE flows AS {TYPED}{src(path, header)}")
load = time.perf_counter() - t
q = ("SELECT srcaddr, sum(bytes) AS b, count(*) AS n FROM flows WHERE action='REJECT' AND dstport=22 "
     "GROUP BY srcaddr ORDER BY b DESC LIMIT 10")
best = None
for _ in range(3):
    t = time.perf_counter(); rows = con.execute(q).fetchall(); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
n = con.execute("SELECT count(*) FROM flows").fetchone()[0]
for r in rows[:3]:
    print("  reject/22 top:", r)
print("INMEM", json.dumps({"load_s": load, "query_s": best, "rows": n,
      "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
EOF

# Fallback timer when /usr/bin/time is missing: writes "%e %M" like GNU time.
cat > "$WORK/timeit.py" <<'EOF'
import os, sys, time, subprocess
out = sys.argv[1]
t = time.perf_counter(); p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0); dt = time.perf_counter() - t
open(out, "w").write(f"{dt:.3f} {ru.ru_maxrss}\n")
sys.exit(os.waitstatus_to_exitcode(status))
EOF

if [ -x /usr/bin/time ] && /usr/bin/time -f '%e' true 2>/dev/null; then
  TIMER=(/usr/bin/time -f '%e %M' -o); TIMER_NAME="/usr/bin/time"
else
  TIMER=(python3 "$WORK/timeit.py"); TIMER_NAME="python wait4"
fi

: > "$WORK/results.tsv"
# bench NAME STDOUT_FILE CMD... : best wall seconds of $RUNS runs, peak RSS over runs
bench() {
  local name=$1 sink=$2; shift 2
  local best="" rss=0 i s m
  for ((i = 0; i < RUNS; i++)); do
    if ! "${TIMER[@]}" "$WORK/t.txt" "$@" > "$sink"; then
      echo "WARNING: '$name' exited non-zero" >&2
    fi
    read -r s m < <(tail -n1 "$WORK/t.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%s\t%s\t%s\n' "$name" "$best" "$(awk "BEGIN{printf \"%.1f\", $rss/1024}")" >> "$WORK/results.tsv"
}

ABS=$(cd "$(dirname "$FILE")" && pwd)/$(basename "$FILE")
echo "file: $FILE  size: $SIZE bytes  records: $LINES  header: $HEADER"
echo "nproc: $NPROC (DuckDB uses all cores; cat/wc are single-threaded)  timer: $TIMER_NAME  runs: best of $RUNS"
echo "duckdb: $(python3 -c 'import duckdb; print(duckdb.__version__)')"

bench "cat > /dev/null" /dev/null cat "$ABS"
bench "wc -l" /dev/null wc -l "$ABS"
bench "duckdb aggregates (csv scan)" "$WORK/agg.out" python3 "$WORK/agg.py" "$ABS" "$HEADER" "$QUERY"
bench "duckdb load+query (process)" "$WORK/inmem.out" python3 "$WORK/inmem.py" "$ABS" "$HEADER"
if [ ${#TOOL[@]} -gt 0 ]; then
  bench "${TOOL[*]}" /dev/null "${TOOL[@]}" "$ABS"
fi

echo
echo "DuckDB aggregate results (last run):"
cat "$WORK/agg.out"
grep -v '^INMEM' "$WORK/inmem.out" || true
echo

python3 - "$FILE" "$LINES" "$SIZE" "$NPROC" "$WORK/results.tsv" "$WORK/inmem.out" "$WORK/agg.out" <<'EOF'
import json, sys
path, lines, size, nproc, tsv, inmem, agg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:]
res = []
for ln in open(tsv):
    name, s, rss = ln.rstrip("\n").split("\t")
    res.append({"name": name, "seconds": float(s), "rss_mb": float(rss)})
im = [json.loads(l.split(" ", 1)[1]) for l in open(inmem) if l.startswith("INMEM ")]
if im:
    rss = max(x["rss_mb"] for x in im)
    res.append({"name": "duckdb load table (in-proc)", "seconds": round(min(x["load_s"] for x in im), 3), "rss_mb": round(rss, 1)})
    res.append({"name": "duckdb in-mem filtered query", "seconds": round(min(x["query_s"] for x in im), 4), "rss_mb": round(rss, 1)})
for r in res:
    s = r["seconds"]  # 0 means below timer resolution
    r["mb_s"] = round(size / 1e6 / s, 1) if s > 0 else None
    r["lines_s"] = round(lines / s) if s > 0 else None
w = max(len(r["name"]) for r in res)
print(f"{'name':<{w}}  {'seconds':>9}  {'rss_mb':>8}  {'MB/s':>9}  {'lines/s':>12}")
for r in res:
    mb = f"{r['mb_s']:.1f}" if r["mb_s"] is not None else "n/a"
    ls = f"{r['lines_s']:,}" if r["lines_s"] is not None else "n/a"
    print(f"{r['name']:<{w}}  {r['seconds']:>9.3f}  {r['rss_mb']:>8.1f}  {mb:>9}  {ls:>12}")
tot = [l.split()[1] for l in open(agg) if l.startswith("TOTAL_RECORDS")]
ok = bool(tot) and int(tot[0]) == lines
print(f"check: duckdb records by action sum = {tot[0] if tot else '?'} vs {lines} lines -> {'OK' if ok else 'MISMATCH'}")
print("(in-mem query MB/s and lines/s are relative to the whole file; the query scans the loaded table)")
print(json.dumps({"file": path, "lines": lines, "bytes": size, "nproc": nproc, "check_ok": ok, "results": res}))
EOF
