#!/usr/bin/env python3
"""Speed for every shape of log: `report --json` against DuckDB's read_csv + the aggregates of
bench/report_query.sql, and `replay --speed max` against `report`, on each input shape, in
alternating runs (A B A B ...) so the ratios hold while the machine's speed drifts.

Shapes (generated once into $TMPDIR by bench/genflows.py, each with its S3 header line):
  v2-10M      10 M default-format records, 2 % IPv6 (genflows' default)
  v2-ipv6-3M  3 M default-format records, 30 % IPv6
  v5-3M       3 M records of the 29-field v2-v5 custom format (bench/to_v5.py)

Also the dashboard's ingest (retention, heatmap and snapshot publication, as
`examples/store_bench.rs` runs it with ONLY_LIVE=1), following and replaying, against `report`.

Prints one Markdown table: medians of wall seconds and peak RSS, and the median of the
per-pair ratios. Usage (from the project root, after
`cargo build --release --bin vpctop --example store_bench`):

    python3 bench/shapes.py [--runs 3] [--only v5-3M] [--vpctop target/release/vpctop]

DuckDB is installed with pip when missing.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TMP = os.environ.get("TMPDIR", "/tmp")

SHAPES = {
    "v2-10M": (10_000_000, 0.02, False),
    "v2-ipv6-3M": (3_000_000, 0.30, False),
    "v5-3M": (3_000_000, 0.02, True),
}

DUCK = r"""
import sys, duckdb
path, query = sys.argv[1], sys.argv[2]
def num(c, t):
    return f"TRY_CAST(NULLIF(\"{c}\", '-') AS {t}) AS \"{c}\""
typed = ("SELECT srcaddr, dstaddr, " + ", ".join([
    num("srcport", "INTEGER"), num("dstport", "INTEGER"), num("protocol", "SMALLINT"),
    num("packets", "BIGINT"), num("bytes", "BIGINT"), num("start", "BIGINT"), num("end", "BIGINT")])
    + ", action, \"log-status\" AS log_status FROM ")
p = path.replace("'", "''")
source = f"read_csv('{p}', delim=' ', header=true, all_varchar=true, quote='', escape='')"
rows = duckdb.sql(open(query).read().format(source=typed + source)).fetchall()
assert len(rows) > 10, rows
print(len(rows))
"""


def shape_file(name):
    lines, v6, v5 = SHAPES[name]
    path = os.path.join(TMP, f"vpctop-shape-{name}.log")
    if os.path.exists(path):
        return path
    print(f"generating {path} ...", file=sys.stderr)
    gen = [sys.executable, os.path.join(HERE, "genflows.py"), "--lines", str(lines), "--seed", "7",
           "--ipv6-share", str(v6)]
    with open(path + ".part", "wb") as out:
        if v5:
            g = subprocess.Popen(gen, stdout=subprocess.PIPE)
            subprocess.run([sys.executable, os.path.join(HERE, "to_v5.py")], stdin=g.stdout,
                           stdout=out, check=True)
            g.wait()
        else:
            subprocess.run(gen + ["--header"], stdout=out, check=True)
    os.rename(path + ".part", path)
    return path


def timed(cmd, ok=(0,)):
    """Wall seconds and peak RSS (MB) of one run, its output thrown away. A command may
    start with NAME=VALUE environment settings."""
    env = dict(os.environ)
    while cmd and "=" in cmd[0] and not cmd[0].startswith("/"):
        k, v = cmd[0].split("=", 1)
        env[k] = v
        cmd = cmd[1:]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) not in ok:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, ru.ru_maxrss / 1024


def paired(a, b, runs):
    """Alternating runs of a and b: medians of each, and the median of the per-pair a/b."""
    ra, rb, ratios = [], [], []
    for _ in range(runs):
        # vpctop exits 1 when a line is malformed; anything else must succeed.
        ok = lambda c: (0,) if sys.executable in c else (0, 1)
        x, y = timed(a, ok(a)), timed(b, ok(b))
        ra.append(x)
        rb.append(y)
        ratios.append(x[0] / y[0])
    med = lambda rs: (statistics.median(r[0] for r in rs), max(r[1] for r in rs))
    return med(ra), med(rb), statistics.median(ratios)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", action="append", choices=sorted(SHAPES))
    ap.add_argument("--vpctop", default="target/release/vpctop")
    ap.add_argument("--store-bench", default="target/release/examples/store_bench")
    ap.add_argument("--no-dashboard", action="store_true", help="skip the dashboard rows")
    ap.add_argument("--only-dashboard", action="store_true", help="only the dashboard rows")
    args = ap.parse_args()
    try:
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"], check=True)
    duck = os.path.join(TMP, "vpctop-shapes-duck.py")
    with open(duck, "w") as f:
        f.write(DUCK)
    query = os.path.join(HERE, "report_query.sql")
    print(f"nproc {os.cpu_count()}, {args.runs} alternating pairs per row, medians")
    print()
    print("| input | vpctop | baseline | vpctop / baseline | vpctop peak RSS |")
    print("|---|---:|---:|---:|---:|")
    for name in args.only or list(SHAPES):
        path = shape_file(name)
        report = [args.vpctop, "report", "--json", path]
        if not args.only_dashboard:
            headline(args, name, path, report, duck, query)
            if args.no_dashboard:
                continue
        for label, env in [("dashboard ingest", ["ONLY_LIVE=1"]),
                           ("dashboard replay ingest", ["ONLY_LIVE=1", "REPLAY=1"])]:
            live = env + [args.store_bench, path]
            (r, rrss), (v, _), ratio = paired(live, report, args.runs)
            print(f"| {name}: {label} (retention, heatmap, snapshots) vs `report` | {r:.2f} s | "
                  f"{v:.2f} s | {ratio:.2f} (at **{100 / ratio:.0f} %** of report) | "
                  f"{rrss:.0f} MB |", flush=True)


def headline(args, name, path, report, duck, query):
    """`report` against DuckDB, and `replay --speed max` against `report`."""
    (v, vrss), (d, _), ratio = paired(report, [sys.executable, duck, path, query], args.runs)
    print(f"| {name}: `report --json` vs DuckDB | {v:.2f} s | {d:.2f} s | "
          f"{ratio:.2f} (**{1 / ratio:.1f}× faster**) | {vrss:.0f} MB |", flush=True)
    replay = [args.vpctop, "replay", "--speed", "max", "--json", path]
    (r, rrss), (v, _), ratio = paired(replay, report, args.runs)
    print(f"| {name}: `replay --speed max` vs `report` | {r:.2f} s | {v:.2f} s | "
          f"{ratio:.2f} (replay at **{100 / ratio:.0f} %** of report) | {rrss:.0f} MB |",
          flush=True)


if __name__ == "__main__":
    main()
