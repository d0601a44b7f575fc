#!/usr/bin/env python3
"""Deterministic generator of realistic AWS VPC Flow Log records (default v2 format).

    version account-id interface-id srcaddr dstaddr srcport dstport protocol
    packets bytes start end action log-status

Standard library only. Same arguments -> byte-identical output.
The output is generated in 60 s capture windows (one chunk of records per
window, each chunk seeded from (seed, window index)), so the first M records of
`--lines N` equal the output of `--lines M` for the same other arguments.

Example:
    python3 bench/genflows.py --lines 10000000 --seed 7 --out /tmp/flows10m.log
"""
import argparse
import gzip
import ipaddress
import sys
from itertools import accumulate
import random

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport "
          "protocol packets bytes start end action log-status")

N_ACCOUNTS = 3
N_ENIS = 500
N_PRIVATE = 20000
N_SERVERS = 2000          # subset of private hosts that run services
N_PUBLIC = 5000
N_V6_PRIVATE = 600
N_V6_PUBLIC = 600
N_CONV_NORMAL = 150000
N_CONV_SCAN = 20000
N_CONV_V6 = 6000
LINES_PER_WINDOW = 20000  # records emitted per 60 s window
REJECT_SCAN_SHARE = 0.065  # share of records from scanners (always REJECT)
REJECT_RANDOM = 0.015      # extra random REJECTs on normal conversations
NODATA = 0.004
SKIPDATA = 0.001
HUGE_BYTES = 2e-5          # share of records with bytes > 2^32

# (dstport, protocol, mean bytes/packet client->server, server->client, weight)
EAST_WEST = [(443, 6, 700, 1100, 30), (80, 6, 600, 1000, 8), (3306, 6, 350, 900, 12),
             (5432, 6, 350, 900, 12), (6379, 6, 120, 260, 14), (22, 6, 180, 260, 4),
             (53, 17, 70, 130, 10), (123, 17, 76, 76, 2), (8080, 6, 500, 1000, 6),
             (9092, 6, 900, 300, 2)]
EGRESS = [(443, 6, 500, 1300, 70), (80, 6, 400, 1300, 12), (53, 17, 70, 140, 7),
          (123, 17, 76, 76, 5), (22, 6, 200, 300, 3), (587, 6, 900, 120, 1),
          (3306, 6, 350, 900, 2)]
INGRESS = [(443, 6, 600, 1350, 75), (80, 6, 450, 1300, 18), (22, 6, 180, 300, 7)]
SCAN_PORTS = [(22, 40), (23, 10), (3389, 14), (445, 8), (8080, 6), (1433, 4), (5900, 4),
              (3306, 4), (443, 3), (80, 3), (6379, 2), (0, 2)]  # 0 -> random port


def zipf_cum(n, s):
    return list(accumulate(1.0 / (i + 1) ** s for i in range(n)))


def weighted(rng, items_w):
    items = [x[:-1] if len(x) > 2 else x[0] for x in items_w]
    return items, list(accumulate(x[-1] for x in items_w))


def unique(rng, n, make):
    seen, out = set(), []
    while len(out) < n:
        a = make(rng)
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def private_v4(rng):
    net = rng.choices(["10.0", "10.1", "10.20", "10.42", "172.31"], [30, 20, 15, 10, 25])[0]
    return f"{net}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def public_v4(rng):
    while True:
        a = ipaddress.IPv4Address(rng.getrandbits(32))
        if a.is_global and not a.is_multicast:
            return str(a)


def v6(prefix):
    def make(rng):
        return prefix + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6))
    return make


class Model:
    """Precomputed pools: hosts, ENIs, accounts and conversations (as strings)."""

    def __init__(self, seed, ipv6_share):
        rng = random.Random(f"vpc-model:{seed}")
        accounts = unique(rng, N_ACCOUNTS, lambda r: str(r.randrange(10**11, 10**12)))
        enis = unique(rng, N_ENIS, lambda r: "eni-" + f"{r.getrandbits(68):017x}"[-17:])
        eni_acct = rng.choices(accounts, [55, 30, 15], k=N_ENIS)
        self.heads = [f"2 {a} {e} " for a, e in zip(eni_acct, enis)]

        priv = unique(rng, N_PRIVATE, private_v4)
        priv_eni = [rng.randrange(N_ENIS) for _ in priv]
        pub = unique(rng, N_PUBLIC, public_v4)
        v6priv = unique(rng, N_V6_PRIVATE, v6("2600:1f18:"))
        v6priv_eni = [rng.randrange(N_ENIS) for _ in v6priv]
        v6pub = unique(rng, N_V6_PUBLIC, v6("2a05:d018:"))

        # heavy-tailed (Zipf-like) popularity of hosts
        cw_priv = zipf_cum(N_PRIVATE, 0.9)
        cw_srv = zipf_cum(N_SERVERS, 1.1)
        cw_pub = zipf_cum(N_PUBLIC, 1.0)
        cw_v6p = zipf_cum(N_V6_PRIVATE, 1.0)
        cw_v6u = zipf_cum(N_V6_PUBLIC, 1.0)
        pri = range(N_PRIVATE)
        srv = range(N_SERVERS)

        ew, ew_cw = weighted(rng, EAST_WEST)
        eg, eg_cw = weighted(rng, EGRESS)
        ig, ig_cw = weighted(rng, INGRESS)
        sp, sp_cw = weighted(rng, SCAN_PORTS)

        def eph():
            return rng.randrange(32768, 61000) if rng.random() < 0.8 else rng.randrange(1024, 65536)

        convs = []

        def add(head, src, dst, sport, dport, proto, sf, sr, action, scan):
            fwd = f"{head}{src} {dst} {sport} {dport} {proto} "
            rev = f"{head}{dst} {src} {dport} {sport} {proto} "
            convs.append((fwd, rev, head, sf, sr, action, scan))

        def normal(kind_r, cp, cpe, cw_c, sp_, spe, cw_s, pu, cw_u):
            if kind_r < 0.02:  # ICMP echo
                a = rng.choices(range(len(cp)), cum_weights=cw_c)[0]
                other = rng.choices(pu, cum_weights=cw_u)[0] if rng.random() < 0.5 else \
                    cp[rng.choices(range(len(cp)), cum_weights=cw_c)[0]]
                add(self.heads[cpe[a]], cp[a], other, 0, 0, 1, 84, 84, "ACCEPT", False)
            elif kind_r < 0.57:  # east-west private <-> private
                c = rng.choices(range(len(cp)), cum_weights=cw_c)[0]
                s = rng.choices(range(len(sp_)), cum_weights=cw_s)[0]
                port, proto, sf, sr = rng.choices(ew, cum_weights=ew_cw)[0]
                eni = cpe[c] if rng.random() < 0.5 else spe[s]
                add(self.heads[eni], cp[c], sp_[s], eph(), port, proto, sf, sr, "ACCEPT", False)
            elif kind_r < 0.87:  # egress to internet
                c = rng.choices(range(len(cp)), cum_weights=cw_c)[0]
                port, proto, sf, sr = rng.choices(eg, cum_weights=eg_cw)[0]
                dst = rng.choices(pu, cum_weights=cw_u)[0]
                add(self.heads[cpe[c]], cp[c], dst, eph(), port, proto, sf, sr, "ACCEPT", False)
            else:  # ingress from internet to front-end servers
                s = rng.choices(range(len(sp_)), cum_weights=cw_s)[0]
                port, proto, sf, sr = rng.choices(ig, cum_weights=ig_cw)[0]
                src = rng.choices(pu, cum_weights=cw_u)[0]
                add(self.heads[spe[s]], src, sp_[s], eph(), port, proto, sf, sr, "ACCEPT", False)

        shuffled = list(pri)
        rng.shuffle(shuffled)
        servers = [shuffled[i] for i in srv]
        srv_addr = [priv[i] for i in servers]
        srv_eni = [priv_eni[i] for i in servers]
        for _ in range(N_CONV_NORMAL):
            normal(rng.random(), priv, priv_eni, cw_priv, srv_addr, srv_eni, cw_srv, pub, cw_pub)
        n_normal = len(convs)
        scan_src = pub[: N_PUBLIC // 10]
        cw_scan = zipf_cum(len(scan_src), 1.2)
        for _ in range(N_CONV_SCAN):
            src = rng.choices(scan_src, cum_weights=cw_scan)[0]
            d = rng.choices(pri, cum_weights=cw_priv)[0]
            port = rng.choices(sp, cum_weights=sp_cw)[0]
            if port == 0:
                port = rng.randrange(1, 65536)
            add(self.heads[priv_eni[d]], src, priv[d], eph(), port, 6, 48, 48, "REJECT", True)
        n_scan = len(convs) - n_normal
        n_v6 = 0
        if ipv6_share > 0:
            n_v6_srv = N_V6_PRIVATE // 5
            cw_v6s = zipf_cum(n_v6_srv, 1.1)
            for _ in range(N_CONV_V6):
                normal(rng.random(), v6priv, v6priv_eni, cw_v6p, v6priv[:n_v6_srv],
                       v6priv_eni[:n_v6_srv], cw_v6s, v6pub, cw_v6u)
            n_v6 = len(convs) - n_normal - n_scan

        # Conversation popularity: Zipf within each class, class masses fixed.
        order = list(range(len(convs)))
        weights = [0.0] * len(convs)
        start = 0
        for n, mass in ((n_normal, 1.0 - REJECT_SCAN_SHARE - ipv6_share),
                        (n_scan, REJECT_SCAN_SHARE), (n_v6, ipv6_share)):
            if n == 0:
                continue
            z = [1.0 / (i + 1) ** 0.95 for i in range(n)]
            tot = sum(z)
            idx = order[start:start + n]
            rng.shuffle(idx)
            for i, zi in zip(idx, z):
                weights[i] = zi * mass / tot
            start += n
        self.convs = convs
        self.cum = list(accumulate(weights))


def gen_chunk(model, seed, ci, n, t0):
    """First n records of 60 s window number ci (the window is always generated in full, so
    truncation does not change the records before it)."""
    rng = random.Random(f"vpc-window:{seed}:{ci}")
    rnd = rng.random
    par = rng.paretovariate
    convs = model.convs
    ws = t0 + 60 * ci
    out = []
    app = out.append
    for c in rng.choices(range(len(convs)), cum_weights=model.cum, k=LINES_PER_WINDOW):
        fwd, rev, head, sf, sr, action, scan = convs[c]
        u = rnd()
        # mostly ordered by window; a few late records from previous windows
        w = ws if u >= 0.03 else (ws - 60 if u >= 0.004 else ws - 120)
        a = int(rnd() * 60)
        s = w + a
        e = s + int(rnd() * (61 - a))
        r = rnd()
        if r < NODATA + SKIPDATA:
            app(f"{head}- - - - - - - {s} {e} - {'NODATA' if r < NODATA else 'SKIPDATA'}")
            continue
        if scan:
            pk = 1 if r < 0.75 else (2 if r < 0.95 else 3)
            app(f"{fwd}{pk} {pk * (40 + int(rnd() * 24))} {s} {e} REJECT OK")
            continue
        if r < 0.5:
            pre, sz = fwd, sf
        else:
            pre, sz = rev, sr
        pk = int(par(1.25))
        if pk > 3000000:
            pk = 3000000
        by = int(pk * sz * (0.55 + 0.9 * rnd()))
        if by < 40 * pk:
            by = 40 * pk
        if rnd() < HUGE_BYTES:
            by = 4294967296 + int(rnd() * 60e9)
            pk = by // 1400
        if rnd() < REJECT_RANDOM:
            app(f"{pre}{pk} {by} {s} {e} REJECT OK")
        else:
            app(f"{pre}{pk} {by} {s} {e} {action} OK")
    del out[n:]
    out.append("")
    return "\n".join(out).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, required=True, help="number of records (header not counted)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="-", help="output path (default stdout)")
    ap.add_argument("--header", action="store_true", help="emit the S3 header line first")
    ap.add_argument("--gzip", action="store_true", help="gzip the output (deterministic, mtime=0)")
    ap.add_argument("--start", type=int, default=1700000000, help="unix time of the first window")
    ap.add_argument("--ipv6-share", type=float, default=0.02, help="share of records with IPv6 addresses")
    args = ap.parse_args()
    if args.lines < 0 or not 0.0 <= args.ipv6_share <= 0.5:
        ap.error("bad --lines or --ipv6-share")

    model = Model(args.seed, args.ipv6_share)
    raw = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")
    f = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) if args.gzip else raw
    try:
        if args.header:
            f.write((HEADER + "\n").encode())
        left, ci = args.lines, 0
        buf = []
        while left > 0:
            n = min(LINES_PER_WINDOW, left)
            buf.append(gen_chunk(model, args.seed, ci, n, args.start))
            left -= n
            ci += 1
            if len(buf) >= 8:
                f.write(b"".join(buf))
                buf.clear()
        if buf:
            f.write(b"".join(buf))
        if f is not raw:
            f.close()
        raw.flush()
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    finally:
        if raw is not sys.stdout.buffer:
            raw.close()


if __name__ == "__main__":
    main()
