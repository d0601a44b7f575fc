#!/usr/bin/env python3
"""Writes the Parquet fixtures beside this script with a real, independent writer (pyarrow),
with AWS's column names (underscores) and types (INT32 for version, ports, protocol,
tcp-flags, traffic-path; INT64 for packets, bytes, start, end; strings otherwise), from the
text samples in assets/samples. Each Parquet file has a text twin (`*.log`) holding the same
records, which the tests compare it with field by field.

    pip install pyarrow && python3 tests/corpus/parquet/make.py
"""
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "assets", "samples")
INT32 = {"version", "srcport", "dstport", "protocol", "tcp-flags", "traffic-path"}
INT64 = {"packets", "bytes", "start", "end"}
# A custom set with v7 and v8 fields, in an order of its own.
V8_FIELDS = ("start end interface-id srcaddr dstaddr dstport protocol action reject-reason "
             "ecs-cluster-name bytes packets flow-direction tcp-flags version log-status").split()


def read_text(path):
    lines = [l.rstrip("\n") for l in open(path) if l.strip()]
    header = lines[0].split()
    return header, [dict(zip(header, l.split())) for l in lines[1:]]


def write(name, header, rows, compression, row_group_size):
    """`name`.log (header + lines) and `name`.parquet with the same records."""
    with open(os.path.join(HERE, name + ".log"), "w") as f:
        f.write(" ".join(header) + "\n")
        for r in rows:
            f.write(" ".join(r[h] for h in header) + "\n")
    arrays = []
    for h in header:
        values = [None if r[h] == "-" else r[h] for r in rows]
        if h in INT32:
            arrays.append(pa.array([None if v is None else int(v) for v in values], pa.int32()))
        elif h in INT64:
            arrays.append(pa.array([None if v is None else int(v) for v in values], pa.int64()))
        else:
            arrays.append(pa.array(values, pa.string()))
    table = pa.table(arrays, names=[h.replace("-", "_") for h in header])
    pq.write_table(table, os.path.join(HERE, name + ".parquet"), compression=compression,
                   row_group_size=row_group_size)


def main():
    header, rows = read_text(os.path.join(SAMPLES, "demo-v2.log"))
    write("v2", header, rows[:1500], "snappy", 500)
    header, rows = read_text(os.path.join(SAMPLES, "demo-v5.log"))
    write("v5", header, rows[:600], "gzip", 256)
    rng = random.Random(8)
    v8 = []
    for r in rows[:400]:
        r = dict(r)
        r["reject-reason"] = "BPA" if r["action"] == "REJECT" and rng.random() < 0.3 else "-"
        r["ecs-cluster-name"] = rng.choice(["-", "-", "shop", "payments"])
        v8.append(r)
    write("v8-custom", V8_FIELDS, v8, "lz4", 128)


if __name__ == "__main__":
    main()
# damaged-footer.parquet is v5.parquet with a few bytes overwritten at random (kept because
# the parquet crate panicked on it; vpctop must report it as that input's error).
# damaged-page.parquet was written by the fuzz target input_bytes (fuzz/), mutating these
# fixtures: arrow-buffer 60.1 panics ("offset + len out of bounds") while decoding one of its
# row groups, in a decoder thread; vpctop must report it as that input's error too.
