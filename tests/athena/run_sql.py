"""Runs the Athena SQL vpctop emits, in DuckDB, over tables shaped like AWS's.

Reads one JSON job on stdin and prints one JSON answer on stdout (tests/athena.rs):

    {"text": {"path", "columns": [[name, athena_type], ...], "header": bool} (optional),
     "parquet": {"path"} (optional),
     "queries": [{"sql", "table": "text" | "parquet"}],
     "ddl": ["CREATE EXTERNAL TABLE ...", ...]}
    -> {"results": [[[key, value], ...] | {"error": "..."}],
        "trino_errors": ["..."], "ddl_columns": [[[name, type], ...]], "ddl_errors": ["..."]}

Tables: `flows_text` (the text file as Athena's LazySimpleSerDe reads it: strings as written,
`-` included; a number column that does not parse is NULL) with the `day` partition
(yyyy/MM/dd of `end`, the day of the object the record is delivered in); `flows_hive`, the
same with `year`, `month`, `day`; `flows_parquet`, the Parquet file as it is (AWS's column
names and types), with `day`.

Every query is also parsed by sqlglot's Trino dialect, printed back and parsed again; the
two trees must be equal. Every DDL statement is parsed by sqlglot's Athena dialect and its
column list returned, so the test can check it against the table the queries ran on.

DuckDB is not Athena. Where the dialects differ for a construct vpctop emits, the query is
rewritten by `to_duckdb` below, and only there. DuckDB has no IPADDRESS type without its
inet extension (not installable without network), so an address test becomes the list of the
address texts of the loaded data that pass it, worked out here with Python's `ipaddress`:

| Athena (Trino)                              | DuckDB here                      |
|---------------------------------------------|----------------------------------|
| contains('10.0.0.0/8', TRY_CAST(c AS IPADDRESS)) | c IN (texts in the block)   |
| TRY_CAST(c AS IPADDRESS) = IPADDRESS 'a'    | c IN (texts of the address a)    |
| TRY_CAST(c AS IPADDRESS) IN (IPADDRESS 'a', …) | c IN (texts of any of them)   |
| bitwise_and(c, n)                           | (c & n)                          |

A list with no text becomes (c <> c): NULL for an absent address and false otherwise, as
Trino's contains() is.

One known difference is left as it is: Trino holds IPv4 addresses as IPv4-mapped IPv6, so
in Athena an IPv6 block such as ::/0 contains IPv4 addresses, and in vpctop (and here) it
does not. The random views of the test use IPv6 blocks inside 2001:db8::/32 only.
"""

import ipaddress
import json
import re
import sys
import time

import duckdb
import sqlglot

CONTAINS = re.compile(r"contains\('([^']*)', TRY_CAST\(\"([a-z_]+)\" AS IPADDRESS\)\)")
EQUALS = re.compile(r"TRY_CAST\(\"([a-z_]+)\" AS IPADDRESS\) = IPADDRESS '([^']*)'")
IN_LIST = re.compile(r"TRY_CAST\(\"([a-z_]+)\" AS IPADDRESS\) IN \(((?:IPADDRESS '[^']*'(?:, )?)+)\)")
BITWISE = re.compile(r"bitwise_and\(([^(),]+), ([0-9]+)\)")


def parse_addr(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def texts_where(col, texts, keep):
    """`col IN (...)` over the address texts for which `keep(address)` holds."""
    hits = sorted(t for t in texts if (a := parse_addr(t)) is not None and keep(a))
    if not hits:
        return f'("{col}" <> "{col}")'
    return f'"{col}" IN (' + ", ".join(quote(t) for t in hits) + ")"


def to_duckdb(sql, texts):
    def contains(m):
        net = ipaddress.ip_network(m.group(1), strict=False)
        return texts_where(m.group(2), texts, lambda a: a.version == net.version and a in net)

    def equals(m):
        want = ipaddress.ip_address(m.group(2))
        return texts_where(m.group(1), texts, lambda a: a == want)

    def in_list(m):
        want = {ipaddress.ip_address(x) for x in re.findall(r"IPADDRESS '([^']*)'", m.group(2))}
        return texts_where(m.group(1), texts, lambda a: a in want)

    sql = CONTAINS.sub(contains, sql)
    sql = EQUALS.sub(equals, sql)
    sql = IN_LIST.sub(in_list, sql)
    return BITWISE.sub(r"(\1 & \2)", sql)


def address_texts(con, table):
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    out = set()
    for c in ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"):
        if c in cols:
            out.update(r[0] for r in con.execute(f'SELECT DISTINCT "{c}" FROM {table}').fetchall()
                       if r[0] is not None)
    return out


DUCK_TYPES = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}


def quote(s):
    return "'" + s.replace("'", "''") + "'"


def load_text(con, text):
    cols = text["columns"]
    spec = "{" + ",".join(f"'{n}':'VARCHAR'" for n, _ in cols) + "}"
    raw = (
        f"read_csv({quote(text['path'])}, delim=' ', header={str(text['header']).lower()}, "
        f"columns={spec}, auto_detect=false, quote='', escape='')"
    )
    typed = []
    for name, athena in cols:
        col = f'"{name}"'
        if athena == "string":
            typed.append(col)
        else:
            typed.append(f"TRY_CAST(NULLIF({col}, '-') AS {DUCK_TYPES[athena]}) AS {col}")
    con.execute(f"CREATE TABLE text_records AS SELECT {', '.join(typed)} FROM {raw}")
    day = "strftime(make_timestamp(\"end\" * 1000000), '%Y/%m/%d')"
    con.execute(f"CREATE VIEW flows_text AS SELECT *, {day} AS \"day\" FROM text_records")
    con.execute(
        "CREATE VIEW flows_hive AS SELECT *, strftime(make_timestamp(\"end\" * 1000000), '%Y') AS \"year\", "
        "strftime(make_timestamp(\"end\" * 1000000), '%m') AS \"month\", "
        "strftime(make_timestamp(\"end\" * 1000000), '%d') AS \"day\" FROM text_records"
    )


def main():
    job = json.load(sys.stdin)
    con = duckdb.connect()
    if job.get("text"):
        load_text(con, job["text"])
    day = "strftime(make_timestamp(\"end\" * 1000000), '%Y/%m/%d')"
    if job.get("parquet"):
        p = quote(job["parquet"]["path"])
        con.execute(
            f"CREATE VIEW flows_parquet AS SELECT *, {day} AS \"day\" FROM read_parquet({p})"
        )
    texts = set()
    if job.get("text"):
        texts |= address_texts(con, "text_records")
    if job.get("parquet"):
        texts |= address_texts(con, "flows_parquet")
    results = []
    trino_errors = []
    spent = {"sqlglot": 0.0, "duckdb": 0.0}
    for q in job["queries"]:
        sql = q["sql"]
        t0 = time.monotonic()
        try:
            tree = sqlglot.parse_one(sql, read="trino")
            again = sqlglot.parse_one(tree.sql(dialect="trino"), read="trino")
            if again != tree:
                trino_errors.append(f"does not round-trip: {sql}")
        except Exception as e:  # noqa: BLE001 - the message is the answer
            trino_errors.append(f"{e}: {sql}")
        t1 = time.monotonic()
        spent["sqlglot"] += t1 - t0
        try:
            rows = con.execute(to_duckdb(sql, texts)).fetchall()
            spent["duckdb"] += time.monotonic() - t1
            results.append([[r[0], int(r[1])] for r in rows])
        except Exception as e:  # noqa: BLE001
            results.append({"error": f"{e}\n{to_duckdb(sql, texts)}"})
    print(f"run_sql.py: {spent}", file=sys.stderr)
    ddl_columns = []
    ddl_errors = []
    for ddl in job.get("ddl", []):
        try:
            tree = sqlglot.parse_one(ddl, read="athena")
            schema = tree.this
            ddl_columns.append(
                [[c.name, c.args["kind"].sql(dialect="hive").lower()]
                 for c in schema.expressions
                 if isinstance(c, sqlglot.exp.ColumnDef)]
            )
        except Exception as e:  # noqa: BLE001
            ddl_errors.append(f"{e}: {ddl}")
            ddl_columns.append([])
    json.dump(
        {
            "results": results,
            "trino_errors": trino_errors,
            "ddl_columns": ddl_columns,
            "ddl_errors": ddl_errors,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
