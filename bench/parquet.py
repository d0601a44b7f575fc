#!/usr/bin/env python3
"""vpctop on a Parquet flow-log file against DuckDB's read_parquet with the same aggregates
as bench/baseline.sh (counts by action, top sources, ports and pairs by bytes), in
alternating runs: wall seconds and peak RSS of each, medians, and the per-pair ratio.

    python3 bench/parquet.py [--lines 10000000] [--runs 5] [--vpctop target/release/vpctop]

The Parquet file is made once from bench/genflows.py's text by DuckDB, with AWS's column
names and types (INT32 version/ports/protocol, INT64 packets/bytes/start/end, strings
otherwise; gzip, as AWS delivers it) and kept in $TMPDIR.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COLS = ["version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
        "protocol", "packets", "bytes", "start", "end", "action", "log_status"]
INT32 = {"version", "srcport", "dstport", "protocol"}
INT64 = {"packets", "bytes", "start", "end"}

# The same aggregates as bench/baseline.sh (bench/report_query.sql), over read_parquet.
AGG = """
import sys, duckdb
path, query = sys.argv[1], sys.argv[2]
source = "SELECT * FROM read_parquet('" + path.replace("'", "''") + "')"
rows = duckdb.sql(open(query).read().format(source=source)).fetchall()
print("TOTAL_RECORDS", sum(r[5] for r in rows if r[0] == "action"))
"""


def ensure_duckdb():
    try:
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"])


def make_parquet(lines, out):
    import duckdb
    text = out + ".log"
    subprocess.check_call([sys.executable, os.path.join(HERE, "genflows.py"), "--lines",
                           str(lines), "--seed", "7", "--out", text])
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in COLS)
    typed = []
    for c in COLS:
        q = f'"{c}"'
        if c in INT32:
            typed.append(f"TRY_CAST(NULLIF({q}, '-') AS INTEGER) AS {q}")
        elif c in INT64:
            typed.append(f"TRY_CAST(NULLIF({q}, '-') AS BIGINT) AS {q}")
        else:
            typed.append(f"NULLIF({q}, '-') AS {q}")
    duckdb.sql(f"""COPY (SELECT {', '.join(typed)} FROM read_csv('{text}', delim=' ', header=false,
        columns={{{cols}}}, auto_detect=false, quote='', escape=''))
        TO '{out}' (FORMAT parquet, COMPRESSION gzip)""")
    os.remove(text)


def timed(cmd):
    """Wall seconds and peak RSS (MB) of one run, by GNU time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=True)
    wall, rss = r.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--vpctop", default=os.path.join(HERE, "..", "target", "release", "vpctop"))
    a = ap.parse_args()
    ensure_duckdb()
    path = os.path.join(tempfile.gettempdir(), f"vpctop-flows-{a.lines}.parquet")
    if not os.path.exists(path):
        make_parquet(a.lines, path)
    agg = os.path.join(tempfile.gettempdir(), "vpctop-parquet-agg.py")
    with open(agg, "w") as f:
        f.write(AGG)
    vp = [a.vpctop, "report", "--json", path]
    dd = [sys.executable, agg, path, os.path.join(HERE, "report_query.sql")]
    timed(vp), timed(dd)  # warm the page cache
    v, d = [], []
    for _ in range(a.runs):
        v.append(timed(vp))
        d.append(timed(dd))
    med = lambda xs: statistics.median(xs)
    print(f"file: {path} ({os.path.getsize(path) / 1e6:.0f} MB, {a.lines} records)")
    print(f"vpctop report --json : wall {med([x[0] for x in v]):.2f} s, peak {med([x[1] for x in v]):.0f} MB")
    print(f"duckdb read_parquet  : wall {med([x[0] for x in d]):.2f} s, peak {med([x[1] for x in d]):.0f} MB")
    ratios = [y[0] / x[0] for x, y in zip(v, d)]
    print(f"vpctop faster by     : {med(ratios):.2f}x (pairs: {', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
