#!/usr/bin/env python3
"""Follow-mode benchmarks for `vpctop report --follow` (issue #6).

    bench/follow.py latency [--appends 200] [--poll 100ms]   # append -> visible in a report
    bench/follow.py idle [--files 100] [--seconds 10] [--poll 250ms]   # CPU while nothing happens
    bench/follow.py burst [--mb-per-s 200] [--seconds 5]      # a fast-growing file: lag, memory

`latency` appends one record at a time to a followed file and times how long until a
`--json` report (every 10 ms) counts it; it prints p50/p95/p99/max over all appends.
Without --poll, vpctop wakes on notify events; with it, vpctop polls at that interval.
`idle` follows N quiet files and reads the process's CPU time from /proc over the window.
`burst` appends to a followed file at a fixed rate (1 MB writes, paced) and reports how far
behind vpctop was when the writer stopped, how long it took to count every line, and its
peak RSS.
Build first: `cargo build --release`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "vpctop")
LINE = (
    "2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 50000 6 1 100 "
    "1700000000 1700000060 ACCEPT OK\n"
)


def start(paths, poll, interval="10ms", stdout=subprocess.PIPE):
    cmd = [BIN, "report", "--follow", "--json", "--interval", interval]
    if poll:
        cmd += ["--poll", poll]
    return subprocess.Popen(cmd + paths, stdout=stdout, text=True)


class Reports:
    """Reads vpctop's `--json` reports in a thread; keeps the latest record count."""

    def __init__(self, proc):
        self.records = 0
        self.count = 0
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stdout):
        for line in stdout:
            try:
                n = json.loads(line).get("records", 0)
            except ValueError:
                continue
            with self.cond:
                self.records = n
                self.count += 1
                self.cond.notify_all()

    def wait_first(self, timeout=10):
        with self.cond:
            if not self.cond.wait_for(lambda: self.count > 0, timeout):
                sys.exit(f"no report from vpctop within {timeout} s")

    def wait_records(self, n, timeout):
        """Whether a report counted at least `n` records within `timeout` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: self.records >= n, timeout)


def latency(args):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "live.log")
        open(path, "w").close()
        proc = start([path], args.poll)
        reports = Reports(proc)
        # The first report means vpctop is up and its watches are set.
        reports.wait_first()
        samples = []
        with open(path, "a") as f:
            for i in range(1, args.appends + 1):
                t0 = time.monotonic()
                f.write(LINE)
                f.flush()
                if not reports.wait_records(i, 5):
                    sys.exit(f"append {i} not visible within 5 s (report counts {reports.records})")
                samples.append((time.monotonic() - t0) * 1000)
                time.sleep(0.02)
        proc.terminate()
        proc.wait(10)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    mech = f"polling every {args.poll}" if args.poll else "notify"
    print(
        f"{len(samples)} appends, {mech}: p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, "
        f"p99 {pick(0.99):.1f} ms, max {samples[-1]:.1f} ms"
    )


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat; after the ")" they are at 11 and 12.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(args):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i in range(args.files):
            p = os.path.join(d, f"eni-{i:03}.log")
            with open(p, "w") as f:
                f.write(LINE * 10)
            paths.append(p)
        proc = start(paths, args.poll, interval="1s", stdout=subprocess.DEVNULL)
        time.sleep(2)  # start-up reading is not idle time
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.seconds)
        c1, t1 = cpu_seconds(proc.pid), time.monotonic()
        proc.terminate()
        proc.wait(10)
    mech = f"polling every {args.poll}" if args.poll else "notify"
    print(
        f"{args.files} quiet files, {mech}: {100 * (c1 - c0) / (t1 - t0):.2f} % of one core "
        f"over {t1 - t0:.1f} s"
    )


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def burst(args):
    block = LINE.encode() * ((1 << 20) // len(LINE))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "burst.log")
        open(path, "w").close()
        proc = start([path], None, interval="100ms")
        reports = Reports(proc)
        reports.wait_first()
        written = lines = 0
        t0 = time.monotonic()
        with open(path, "ab") as f:
            while time.monotonic() - t0 < args.seconds:
                f.write(block)
                f.flush()
                written += len(block)
                lines += block.count(b"\n")
                ahead = t0 + written / (args.mb_per_s * 1e6) - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        stopped = time.monotonic()
        rate = written / (stopped - t0) / 1e6
        behind = lines - reports.records
        if not reports.wait_records(lines, 60):
            sys.exit(f"only {reports.records} of {lines} lines counted after 60 s")
        caught_up = time.monotonic() - stopped
        rss = peak_rss_mb(proc.pid)
        proc.terminate()
        proc.wait(10)
    print(
        f"wrote {written / 1e6:.0f} MB ({lines:,} lines) at {rate:.0f} MB/s; when the writer "
        f"stopped vpctop was {behind:,} lines behind; every line counted {caught_up:.2f} s "
        f"later; peak RSS {rss:.0f} MB"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--appends", type=int, default=200)
    lat.add_argument("--poll")
    idl = sub.add_parser("idle")
    idl.add_argument("--files", type=int, default=100)
    idl.add_argument("--seconds", type=float, default=10)
    idl.add_argument("--poll")
    bur = sub.add_parser("burst")
    bur.add_argument("--mb-per-s", type=float, default=200)
    bur.add_argument("--seconds", type=float, default=5)
    args = p.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found: run `cargo build --release` first")
    {"latency": latency, "idle": idle, "burst": burst}[args.what](args)


if __name__ == "__main__":
    main()
