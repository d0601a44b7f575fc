#!/usr/bin/env python3
"""vpctop reading a prefix straight from S3 against the way users do it today, `aws s3 sync`
of the prefix followed by vpctop on the copy, in alternating runs against a local S3 server
(moto in server mode, started here on 127.0.0.1): wall seconds of each, medians, and the
per-pair ratio.

    python3 bench/s3.py [--objects 240] [--lines-per-object 10000] [--runs 5]
                        [--vpctop target/release/vpctop]

Needs `pip install 'moto[server]' boto3 awscli`. The objects are gzip text objects of
bench/genflows.py records under AWS's key layout, five minutes apart.
"""
import argparse
import gzip
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=240)
    ap.add_argument("--lines-per-object", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--vpctop", default=os.path.join(HERE, "..", "target", "release", "vpctop"))
    a = ap.parse_args()
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="vpctop-s3-bench-")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
        s3.create_bucket(Bucket="bench")
        text = os.path.join(work, "all.log")
        total = a.objects * a.lines_per_object
        subprocess.check_call([sys.executable, os.path.join(HERE, "genflows.py"), "--lines",
                               str(total), "--seed", "7", "--out", text])
        start = 1_732_000_000
        with open(text, "rb") as f:
            for i in range(a.objects):
                lines = b"".join(f.readline() for _ in range(a.lines_per_object))
                t = time.gmtime(start + 300 * i)
                day = time.strftime("%Y/%m/%d", t)
                stamp = time.strftime("%Y%m%dT%H%MZ", t)
                key = (f"AWSLogs/123456789012/vpcflowlogs/us-east-1/{day}/"
                       f"123456789012_vpcflowlogs_us-east-1_fl-0bench_{stamp}_{i:08x}.log.gz")
                s3.put_object(Bucket="bench", Key=key, Body=gzip.compress(lines, mtime=0))
        direct = [a.vpctop, "report", "--json", "s3://bench/AWSLogs/"]
        copy = os.path.join(work, "copy")
        synced = ["sh", "-c", f"rm -rf {copy} && aws s3 sync --quiet s3://bench/AWSLogs/ {copy}/ "
                  f"&& {a.vpctop} report --json {copy}/"]

        def wall(cmd):
            t = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            return time.perf_counter() - t

        wall(direct), wall(synced)  # warm up
        d, s = [], []
        for _ in range(a.runs):
            d.append(wall(direct))
            s.append(wall(synced))
        med = statistics.median
        print(f"{a.objects} objects, {total} records, served by moto on {endpoint}")
        print(f"vpctop report s3://…              : {med(d):.2f} s")
        print(f"aws s3 sync + vpctop report copy/ : {med(s):.2f} s")
        ratios = [y / x for x, y in zip(d, s)]
        print(f"direct faster by                  : {med(ratios):.2f}x "
              f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
