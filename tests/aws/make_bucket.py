#!/usr/bin/env python3
"""Fills an S3 bucket on a local S3 server (moto) the way AWS delivers flow logs, and writes
the same objects under a local directory (what `aws s3 sync` would leave), for tests/aws.rs.

    make_bucket.py ENDPOINT BUCKET LOCAL_DIR

Three days (2024-06-18 to 2024-06-20) of objects in both key layouts AWS writes:
  AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/{account}_vpcflowlogs_{region}_{id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz
  AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year=/month=/day=/hour=/...log.parquet
  (and service=vpcflowlogs), plus one object that is no flow log. Prints one line per object:
  KEY START_OF_WINDOW (Unix seconds; - when the name holds none).
"""
import gzip
import io
import os
import sys
import datetime as dt

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

ACCOUNT = "123456789012"
REGION = "us-east-1"
FIELDS = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
          "bytes start end action log-status").split()
INT32 = {"version", "srcport", "dstport", "protocol"}
INT64 = {"packets", "bytes", "start", "end"}


def records(window_start, n, seed):
    """n records whose `end` lies in the 5-minute window starting at window_start."""
    out = []
    for i in range(n):
        k = seed * 1000 + i
        end = window_start + (k * 37) % 300
        start = end - (k % 50)
        action = "REJECT" if k % 7 == 0 else "ACCEPT"
        out.append([
            "2", ACCOUNT, f"eni-{k % 5:017x}", f"10.0.{k % 3}.{k % 250 + 1}",
            f"10.1.{k % 4}.{(k * 7) % 250 + 1}", str(30000 + k % 20000), str([22, 443, 80, 5432][k % 4]),
            "6", str(k % 40 + 1), str((k % 40 + 1) * 120), str(start), str(end), action, "OK",
        ])
    return out


def text_object(rows):
    body = " ".join(FIELDS) + "\n" + "".join(" ".join(r) + "\n" for r in rows)
    return gzip.compress(body.encode(), mtime=0)


def parquet_object(rows):
    arrays = []
    for j, f in enumerate(FIELDS):
        col = [r[j] for r in rows]
        if f in INT32:
            arrays.append(pa.array([int(v) for v in col], pa.int32()))
        elif f in INT64:
            arrays.append(pa.array([int(v) for v in col], pa.int64()))
        else:
            arrays.append(pa.array(col, pa.string()))
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays, names=[f.replace("-", "_") for f in FIELDS]), sink,
                   compression="gzip")
    return sink.getvalue()


def main():
    endpoint, bucket, local = sys.argv[1:4]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket=bucket)
    objects = []
    seed = 0
    for day in (18, 19, 20):
        for hour in (3, 15):
            t = dt.datetime(2024, 6, day, hour, 20, tzinfo=dt.timezone.utc)
            start = int(t.timestamp())
            stamp = t.strftime("%Y%m%dT%H%MZ")
            name = f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0a1b2c3d_{stamp}_{seed:08x}"
            seed += 1
            plain = f"AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/2024/06/{day:02d}/{name}.log.gz"
            objects.append((plain, text_object(records(start, 40, seed)), start))
            service = "aws-service" if day != 19 else "service"
            hive = (f"AWSLogs/aws-account-id={ACCOUNT}/{service}=vpcflowlogs/aws-region={REGION}/"
                    f"year=2024/month=06/day={day:02d}/hour={hour:02d}/{name}.log.parquet")
            objects.append((hive, parquet_object(records(start, 30, seed + 100)), start))
    objects.append((f"AWSLogs/{ACCOUNT}/vpcflowlogs/README.txt",
                    b"These are VPC flow logs.\nDo not edit.\n", None))
    for key, body, start in objects:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        path = os.path.join(local, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        print(key, start if start is not None else "-")


if __name__ == "__main__":
    main()
