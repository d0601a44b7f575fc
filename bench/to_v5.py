#!/usr/bin/env python3
"""Converts default-format (v2) flow-log lines, as bench/genflows.py writes them, into the
29-field "all v2-v5 in table order" custom format, with its S3 header line.

The added fields are derived from each record deterministically: vpc-id, subnet-id and
instance-id from the interface id; tcp-flags from the action (19 for an accepted TCP flow,
2 for a refused one, - otherwise); type from the address family; pkt-srcaddr/pkt-dstaddr equal
srcaddr/dstaddr; flow-direction ingress when the destination is private, else egress (with
traffic-path 1, - on ingress). NODATA/SKIPDATA records get - everywhere, as AWS writes them.

Usage: bench/to_v5.py < v2.log > v5.log
"""
import sys
import zlib

V5 = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr "
      "pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service "
      "pkt-dst-aws-service flow-direction traffic-path")


def private(addr):
    return (addr.startswith("10.") or addr.startswith("192.168.") or addr.startswith("fd")
            or (addr.startswith("172.") and 16 <= int(addr.split(".")[1]) < 32))


def main():
    out = sys.stdout
    out.write(V5 + "\n")
    for line in sys.stdin:
        f = line.split()
        if len(f) != 14 or f[0] == "version":
            continue
        f[0] = "5"
        h = zlib.crc32(f[2].encode())
        if f[13] != "OK":
            extra = ["-"] * 15
            extra[0], extra[1] = f"vpc-{h % 4:017x}", f"subnet-{h % 16:017x}"
        else:
            src, dst, proto, action = f[3], f[4], f[7], f[12]
            flags = "-" if proto != "6" else ("19" if action == "ACCEPT" else "2")
            ingress = private(dst)
            extra = [
                f"vpc-{h % 4:017x}", f"subnet-{h % 16:017x}", f"i-{h:017x}", flags,
                "IPv6" if ":" in src else "IPv4", src, dst, "us-east-1", f"use1-az{h % 6 + 1}",
                "-", "-", "-", "-", "ingress" if ingress else "egress", "-" if ingress else "1",
            ]
        out.write(" ".join(f + extra) + "\n")


if __name__ == "__main__":
    main()
