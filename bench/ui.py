#!/usr/bin/env python3
"""Dashboard benchmarks in a real terminal (tmux), against the release binary.

  bench/ui.py latency FILE…  keypress -> frame while ingesting the FILEs at full speed
                             (read once; vpctop's --latency-log: from the key event's arrival
                             to the end of the frame that shows it), p50/p99/max over the
                             keys sent (20/s) until ingest is done
  bench/ui.py idle FILE      CPU used by an idle dashboard (FILE read, nothing new) over 10 s

Needs tmux and target/release/vpctop (cargo build --release).
"""
import os, subprocess, sys, tempfile, time

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "vpctop")


def tmux(*args):
    return subprocess.run(["tmux", "-L", "vpctop-bench", *args],
                          capture_output=True, text=True).stdout


def start(cmd):
    tmux("kill-server")
    tmux("new-session", "-d", "-s", "b", "-x", "120", "-y", "40", cmd)


def wait_screen(pred, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = tmux("capture-pane", "-p", "-t", "b")
        if pred(s):
            return s
        time.sleep(0.05)
    raise SystemExit("timed out; screen:\n" + tmux("capture-pane", "-p", "-t", "b"))


def pid_of(path):
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                args = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if args[0].endswith(b"vpctop") and path.encode() in args:
                return int(p)
    return None


def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def latency(paths):
    log = tempfile.mktemp(suffix=".lat")
    start(f"{BIN} --no-follow --latency-log {log} " + " ".join(paths))
    wait_screen(lambda s: "records" in s)
    keys = ["j", "j", "k", "d", "s", "j", "k", "t"]
    sent = 0
    t0 = time.time()
    # Keys at ~20/s for as long as ingest runs flat out (until every input is done).
    done = f"{len(paths)} done" if len(paths) > 1 else "1 done"
    while done not in tmux("capture-pane", "-p", "-t", "b") and time.time() - t0 < 120:
        tmux("send-keys", "-t", "b", keys[sent % len(keys)])
        sent += 1
        time.sleep(0.05)
    ingest_s = time.time() - t0
    tmux("send-keys", "-t", "b", "q")
    deadline = time.time() + 10
    while not os.path.exists(log) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    lat = sorted(int(x) for x in open(log).read().split())
    os.unlink(log)
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
    print(f"{len(lat)} keys during {ingest_s:.1f} s of ingest")
    print(f"keypress -> frame: p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {lat[-1] / 1000:.1f} ms")


def idle(path):
    start(f"{BIN} --no-follow {path}")
    wait_screen(lambda s: "1 done" in s)
    pid = pid_of(path)
    time.sleep(2)
    a, t = cpu_ticks(pid), time.time()
    time.sleep(10)
    b, el = cpu_ticks(pid), time.time() - t
    hz = os.sysconf("SC_CLK_TCK")
    print(f"idle dashboard: {(b - a) / hz:.3f} s CPU in {el:.1f} s = {100 * (b - a) / hz / el:.2f} % of one core")
    tmux("send-keys", "-t", "b", "q")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("latency", "idle"):
        raise SystemExit(__doc__)
    files = [os.path.abspath(p) for p in sys.argv[2:]]
    if sys.argv[1] == "latency":
        latency(files)
    else:
        idle(files[0])
    tmux("kill-server")
