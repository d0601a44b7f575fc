-- The aggregates a flow-log report computes, for DuckDB to compute the same (bench/baseline.sh
-- over read_csv, bench/parquet.py over read_parquet): counts by action, the top 10 sources,
-- destination ports and pairs by bytes, in one scan. {source} is the query of the records.
WITH f AS ({source}),
g AS (
  SELECT CASE GROUPING_ID(action, srcaddr, dstaddr, dstport)
           WHEN 7 THEN 'action' WHEN 11 THEN 'srcaddr' WHEN 14 THEN 'dstport' ELSE 'pair' END AS kind,
         action, srcaddr, dstaddr, dstport,
         count(*) AS records, sum(bytes) AS bytes, sum(packets) AS packets
  FROM f GROUP BY GROUPING SETS ((action), (srcaddr), (dstport), (srcaddr, dstaddr))
)
SELECT * FROM g
QUALIFY kind = 'action' OR row_number() OVER (PARTITION BY kind ORDER BY bytes DESC NULLS LAST) <= 10
ORDER BY kind, bytes DESC NULLS LAST
