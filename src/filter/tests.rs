use super::*;
use crate::parse::{Line, LineParser};
use crate::schema::Schema;

const FORMAT: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
    packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags \
    flow-direction";

/// Does `filter` pass the record on `line` (in [`FORMAT`])?
fn passes(filter: &str, line: &str) -> bool {
    let schema = Schema::parse_format(FORMAT).unwrap();
    let mut p = LineParser::new();
    let Line::Record(r) = p.parse(&schema, line.as_bytes()) else {
        panic!("test line does not parse: {line}")
    };
    Filter::parse(filter)
        .unwrap_or_else(|e| panic!("{filter}: {e}"))
        .matches(&r)
}

/// Calls `check` with the record on `line` (default v2 format).
pub(super) fn record(line: &str, check: impl FnOnce(&dyn FieldSource)) {
    let schema = Schema::default_v2();
    let mut p = LineParser::new();
    let Line::Record(r) = p.parse(&schema, line.as_bytes()) else {
        panic!("test line does not parse: {line}")
    };
    check(&r);
}

const SSH_REJECT: &str = "2 123456789012 eni-0a1b 203.0.113.9 10.0.1.5 51234 22 6 3 180 100 160 \
    REJECT OK vpc-01 subnet-07 i-0abc 2 ingress";
const HTTPS_ACCEPT: &str = "2 123456789012 eni-0c2d 10.0.1.5 52.95.1.1 40000 443 6 1200 \
    5000000 100 400 ACCEPT OK vpc-01 subnet-07 - 19 egress";
const NODATA: &str = "2 123456789012 eni-0c2d - - - - - - - 100 160 - NODATA - - - - -";
const V6: &str = "2 123456789012 eni-0c2d 2001:db8::7 2001:db8:ffff::1 500 53 17 1 80 100 101 \
    ACCEPT OK vpc-01 subnet-07 i-0abc 0 egress";

#[test]
fn the_brief_example_with_juxtaposition_as_and() {
    let f = "action=REJECT dstport=22 src=10.0.0.0/8";
    assert!(!passes(f, SSH_REJECT), "source is not in 10/8");
    assert!(passes(
        "action=REJECT dstport=22 src=203.0.113.0/24",
        SSH_REJECT
    ));
    assert!(passes("action=reject and dstport = 22", SSH_REJECT));
    assert!(!passes("action=REJECT", HTTPS_ACCEPT));
}

#[test]
fn every_field_alias() {
    let cases: &[(&str, &str, bool)] = &[
        ("src=203.0.113.9", SSH_REJECT, true),
        ("dst=10.0.1.0/24", SSH_REJECT, true),
        ("host=10.0.1.5", SSH_REJECT, true),
        ("host=10.0.1.5", HTTPS_ACCEPT, true),
        ("srcport=51234", SSH_REJECT, true),
        ("dstport=1024-65535", SSH_REJECT, false),
        ("port=51234", SSH_REJECT, true),
        ("proto=tcp", SSH_REJECT, true),
        ("proto=UDP", V6, true),
        ("proto=17", V6, true),
        ("action=ACCEPT", HTTPS_ACCEPT, true),
        ("status=nodata", NODATA, true),
        ("interface=eni-0a1b", SSH_REJECT, true),
        ("interface=eni-0*", HTTPS_ACCEPT, true),
        ("interface=*2d", HTTPS_ACCEPT, true),
        ("interface=eni-*x", HTTPS_ACCEPT, false),
        ("account=123456789012", SSH_REJECT, true),
        ("vpc=vpc-01", SSH_REJECT, true),
        ("subnet=subnet-07", SSH_REJECT, true),
        ("instance=i-0abc", SSH_REJECT, true),
        ("instance=i-0abc", HTTPS_ACCEPT, false),
        ("bytes>=5M", HTTPS_ACCEPT, true),
        ("bytes>5M", HTTPS_ACCEPT, false),
        ("bytes<4.9Mi", HTTPS_ACCEPT, true),
        ("packets>1k", HTTPS_ACCEPT, true),
        ("start=100", SSH_REJECT, true),
        ("end<=160", SSH_REJECT, true),
        ("duration>=5m", HTTPS_ACCEPT, true),
        ("duration<1m", SSH_REJECT, false),
        ("duration=60", SSH_REJECT, true),
        ("flags=syn", SSH_REJECT, true),
        ("flags=synack", HTTPS_ACCEPT, true),
        ("flags=fin", HTTPS_ACCEPT, true),
        ("flags=2", SSH_REJECT, true),
        ("direction=egress", HTTPS_ACCEPT, true),
        ("log-status=OK", SSH_REJECT, true),
        ("tcp_flags=19", HTTPS_ACCEPT, true),
        ("${pkt-srcaddr}=1.2.3.4", SSH_REJECT, false),
        ("src=2001:db8::/32", V6, true),
        ("dst=2001:db8::/48", V6, false),
        ("src=10.0.0.0/8", V6, false),
    ];
    for (f, line, want) in cases {
        assert_eq!(passes(f, line), *want, "{f}");
    }
}

#[test]
fn operators_lists_negation_and_grouping() {
    assert!(passes("dstport in (22, 3389)", SSH_REJECT));
    assert!(!passes("dstport in (80,443)", SSH_REJECT));
    assert!(passes("not action=ACCEPT", SSH_REJECT));
    assert!(passes("action!=ACCEPT", SSH_REJECT));
    assert!(passes(
        "(dstport=443 or dstport=22) and not src=10.0.0.0/8",
        SSH_REJECT
    ));
    assert!(
        passes("dstport=443 or dstport=22 and action=ACCEPT", HTTPS_ACCEPT),
        "and binds tighter"
    );
    assert!(!passes(
        "dstport=443 or dstport=22 and action=ACCEPT",
        SSH_REJECT
    ));
    assert!(passes("dstport<1024", SSH_REJECT));
    assert!(passes("dstport>=22 dstport<=22", SSH_REJECT));
    // `-` is absent: a test on it is false, and != is `not =`.
    assert!(!passes("dstport=22", NODATA));
    assert!(passes("dstport!=22", NODATA));
    assert!(passes("action!=ACCEPT", NODATA));
    assert!(passes("", NODATA));
}

#[test]
fn bare_values_match_the_field_they_fit() {
    assert!(passes("10.0.1.5", SSH_REJECT));
    assert!(passes("203.0.113.0/24", SSH_REJECT));
    assert!(passes("22", SSH_REJECT));
    assert!(passes("51000-52000", SSH_REJECT));
    assert!(passes("REJECT", SSH_REJECT));
    assert!(passes("reject 22", SSH_REJECT));
    assert!(passes("NODATA", NODATA));
    assert!(passes("udp", V6));
    assert!(passes("eni-0a1b", SSH_REJECT));
    assert!(passes("i-0abc", SSH_REJECT));
    assert!(passes("vpc-01", SSH_REJECT));
    assert!(passes("subnet-07", SSH_REJECT));
    assert!(!passes("443", SSH_REJECT));
    // Service names, as the panes show them.
    assert!(passes("ssh", SSH_REJECT));
    assert!(!passes("https", SSH_REJECT));
    assert!(passes("SSH reject", SSH_REJECT));
}

#[test]
fn port_fields_take_service_names() {
    assert!(passes("port=ssh", SSH_REJECT));
    assert!(passes("dstport=ssh", SSH_REJECT));
    assert!(!passes("srcport=ssh", SSH_REJECT));
    assert!(passes("dstport in (https, ssh)", SSH_REJECT));
    assert!(passes("dstport in (https, postgres)", HTTPS_ACCEPT));
    assert!(!passes("dstport in (https, postgres)", SSH_REJECT));
    assert!(passes("dstport!=https", SSH_REJECT));
    assert!(passes("port=dns", V6));
}

#[test]
fn quoted_values_are_read_as_sql_writes_them() {
    assert!(passes("action='REJECT'", SSH_REJECT));
    assert!(passes(
        "action = \"REJECT\" and interface='eni-0a1b'",
        SSH_REJECT
    ));
    assert!(!passes("action='ACCEPT'", SSH_REJECT));
    assert!(passes("port==22", SSH_REJECT), "== is the same as =");
}

#[test]
fn times_are_written_as_people_write_them() {
    // SSH_REJECT runs from 100 to 160 (1970-01-01 00:01:40 to 00:02:40 UTC).
    assert!(passes("start>=1970-01-01T00:01:40Z", SSH_REJECT));
    assert!(!passes("start>1970-01-01T00:01:40Z", SSH_REJECT));
    assert!(passes("end<1970-01-01T00:03Z", SSH_REJECT));
    assert!(passes("end<=1970-01-01T01:02:40+01:00", SSH_REJECT));
    assert!(
        passes("start>=100 end<=160", SSH_REJECT),
        "Unix seconds still work"
    );
    // Relative to now: a record from 1970 is older than two hours ago.
    assert!(passes("end<-2h", SSH_REJECT));
    assert!(!passes("end>=-2h", SSH_REJECT));
    assert!(passes("end < now", SSH_REJECT));
}

fn error(filter: &str) -> String {
    Filter::parse(filter).unwrap_err().to_string()
}

#[test]
fn every_error_names_its_column_and_what_was_expected() {
    let cases: &[(&str, &str)] = &[
        (
            "dstport=abc",
            "expected a port, port range or service name (ssh, https, postgres, …) at column 9",
        ),
        (
            "dstport=",
            "expected a port, port range or service name (ssh, https, postgres, …) at column 9",
        ),
        (
            "dstport=70000",
            "expected a port, port range or service name (ssh, https, postgres, …) at column 9",
        ),
        ("dstport>ssh", "a service name needs = or != at column 9"),
        (
            "src=10.0.0.0/33",
            "expected an IP address or CIDR block at column 5",
        ),
        (
            "proto=tcpx",
            "expected a protocol name or number at column 7",
        ),
        ("action=DENY", "expected ACCEPT or REJECT at column 8"),
        ("status=fine", "expected OK, NODATA or SKIPDATA at column 8"),
        (
            "bytes>lots",
            "expected a byte count such as 1500, 10k, 5M or 2Gi at column 7",
        ),
        (
            "packets>1x",
            "expected a count such as 100 or 10k at column 9",
        ),
        (
            "duration<5y",
            "expected a duration such as 30s, 5m or 1h at column 10",
        ),
        (
            "start=yesterday",
            "expected a time such as 1700000000, 2023-11-14T22:15:00Z, 2023-11-14, 22:15 or -2h \
             at column 7",
        ),
        (
            "action='REJECT",
            "unclosed ': add the closing ' at column 8",
        ),
        (
            "flags=ece",
            "expected TCP flags as a number or syn, fin, rst, synack at column 7",
        ),
        (
            "src<10.0.0.1",
            "`<` does not apply to src (use = or !=) at column 4",
        ),
        ("dstport<1-5", "a port range needs = or != at column 9"),
        ("colour=red", "unknown field `colour`"),
        ("(dstport=22", "expected `)` to close the `(` at column 1"),
        ("dstport=22)", "unexpected `)` at column 11"),
        ("dstport in 22", "expected `(` after `in` at column 12"),
        (
            "dstport in (22 80)",
            "expected `,` or `)` in the list at column 16",
        ),
        ("and dstport=22", "expected a test before `and` at column 1"),
        (
            "dstport=22 and",
            "expected a test such as dstport=22 at column 15",
        ),
        ("=22", "expected a field name before `=` at column 1"),
        ("not", "expected a test such as dstport=22 at column 4"),
        (
            "hello",
            "`hello` is not an address, port, service, action, status, protocol or resource id",
        ),
        (
            "action ! REJECT",
            "expected `!=` (use `not` to negate) at column 8",
        ),
        ("a\u{1b}b", "unexpected control character at column 2"),
    ];
    for (f, want) in cases {
        let got = error(f);
        assert!(
            got.starts_with(want) || got.contains(want),
            "{f}: got {got:?}, want {want:?}"
        );
    }
    // The column is in characters, not bytes.
    assert_eq!(Filter::parse("src=é").unwrap_err().column, 5);
}

#[test]
fn display_keeps_the_text() {
    let f = Filter::parse("  dstport=22  ").unwrap();
    assert_eq!(f.to_string(), "dstport=22");
    assert!(Filter::parse("").unwrap().is_all());
}

#[test]
fn a_v2_flow_answers_every_filter_as_its_record_does() {
    use crate::parse::flow_v2;
    let lines = [
        "2 123456789012 eni-0a1b 203.0.113.9 10.0.1.5 51234 22 6 3 180 100 160 REJECT OK",
        "2 210987654321 eni-0c2d 10.0.1.5 52.95.1.1 40000 443 17 1200 5000000 100 400 ACCEPT OK",
    ];
    let filters = [
        "action=REJECT dstport=22 src=10.0.0.0/8",
        "host=10.0.1.5",
        "port=51234",
        "srcport<50000",
        "proto=udp",
        "account=1234*",
        "interface=eni-0c2d",
        "bytes>=5M packets>1k",
        "duration>=5m",
        "version=2",
        "vpc=vpc-01",
        "not vpc=vpc-01",
        "flags=syn",
        "status=OK",
        "22 or 443",
        "start>=100 end<=160",
    ];
    let schema = Schema::default_v2();
    for line in lines {
        let flow = flow_v2(line.as_bytes()).expect("fast path");
        let mut p = LineParser::new();
        let Line::Record(rec) = p.parse(&schema, line.as_bytes()) else {
            panic!()
        };
        for f in filters {
            let filter = Filter::parse(f).unwrap();
            assert_eq!(filter.matches(&flow), filter.matches(&rec), "{f} on {line}");
        }
    }
}

#[test]
fn required_column_tests_are_only_top_level_conjuncts() {
    let f = Filter::parse("action=REJECT dstport=22 proto=tcp src=10.0.0.0/8").unwrap();
    assert_eq!(
        f.required_column_tests(),
        vec![
            ColumnTest::Action(Action::Reject),
            ColumnTest::DstPort(Range { lo: 22, hi: 22 }),
            ColumnTest::Protocol(6),
        ]
    );
    // Under `or` or `not` nothing is required; `!=` is a `not`.
    for f in [
        "action=REJECT or dstport=22",
        "not action=REJECT",
        "dstport!=22",
        "port=22",
    ] {
        assert!(
            Filter::parse(f).unwrap().required_column_tests().is_empty(),
            "{f}"
        );
    }
    assert_eq!(
        Filter::parse("srcport=1024-2048")
            .unwrap()
            .required_column_tests(),
        vec![ColumnTest::SrcPort(Range { lo: 1024, hi: 2048 })]
    );
}

#[test]
fn single_host_and_sizes_for_flags() {
    let ip: std::net::IpAddr = "10.0.0.5".parse().unwrap();
    assert_eq!(
        Filter::parse("host=10.0.0.5").unwrap().single_host(),
        Some(ip)
    );
    assert_eq!(Filter::parse("10.0.0.5").unwrap().single_host(), Some(ip));
    assert_eq!(
        Filter::parse("host=10.0.0.0/24").unwrap().single_host(),
        None
    );
    assert_eq!(
        Filter::parse("src=10.0.0.5").unwrap().single_host(),
        Some(ip)
    );
    assert_eq!(Filter::parse("dst=10.0.0.0/8").unwrap().single_host(), None);
    assert_eq!(
        Filter::parse("10.0.0.5 dstport=22").unwrap().single_host(),
        None
    );
    assert_eq!(parse_size("512M"), Some(512_000_000));
    assert_eq!(parse_size("1Gi"), Some(1 << 30));
    assert_eq!(parse_size("lots"), None);
}

#[test]
fn a_filter_names_the_fields_it_reads_and_those_a_format_lacks() {
    let f = Filter::parse("tcp-flags=syn and (host=10.0.0.0/8 or duration>5s) not REJECT").unwrap();
    assert_eq!(
        f.fields(),
        vec![
            Field::TcpFlags,
            Field::SrcAddr,
            Field::DstAddr,
            Field::Start,
            Field::End,
            Field::Action
        ]
    );
    use crate::schema::FieldSet;
    let mut seen = FieldSet::of(&Schema::default_v2());
    assert_eq!(f.fields_missing_from(seen), vec![Field::TcpFlags]);
    seen.add(FieldSet::of(&Schema::parse_format(FORMAT).unwrap()));
    assert!(f.fields_missing_from(seen).is_empty());
}

/// Whether `filter`, bound to the fixture account, passes the v2 record `line`.
fn passes_with_inventory(filter: &str, line: &str) -> bool {
    let inv = std::sync::Arc::new(crate::inventory::place::tests::account());
    let f = Filter::parse_with(filter, Some(&inv)).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let mut result = None;
    record(line, |r| result = Some(f.matches(r)));
    result.unwrap_or(false)
}

/// v2 lines between the fixture account's addresses (tests/corpus/inventory).
const SCAN_TO_WEB: &str =
    "2 123456789012 eni-0web1 45.33.32.156 10.0.1.10 40000 22 6 1 40 100 160 REJECT OK";
const WEB_TO_DB: &str =
    "2 123456789012 eni-0db1 10.0.1.10 10.0.2.20 50000 5432 6 10 800 100 160 ACCEPT OK";
const WEB_TO_S3: &str =
    "2 123456789012 eni-0web1 10.0.1.10 52.216.4.4 50001 443 6 10 800 100 160 ACCEPT OK";
const BASTION_PUBLIC: &str =
    "2 123456789012 eni-0bastion 8.8.8.8 54.210.0.5 53 41000 17 1 90 100 160 ACCEPT OK";

#[test]
fn inventory_fields_match_what_the_account_says_of_either_end() {
    let cases: &[(&str, &str, bool)] = &[
        // Names: the Name tag, a wildcard, the instance id, the label's kind.
        ("name=web-1", WEB_TO_DB, true),
        ("name=web-*", SCAN_TO_WEB, true),
        ("srcname=web-*", SCAN_TO_WEB, false),
        ("dstname=db-1", WEB_TO_DB, true),
        ("name=*NAT*", WEB_TO_DB, false),
        // Security groups by id or name.
        ("sg=sg-0db", WEB_TO_DB, true),
        ("sg=db", WEB_TO_DB, true),
        ("srcsg=db", WEB_TO_DB, false),
        ("sg-0web", SCAN_TO_WEB, true),
        ("sg in (db, bastion)", SCAN_TO_WEB, false),
        // Subnets and VPCs by id or Name tag, interfaces or blocks; zones.
        ("subnet=db-b", WEB_TO_DB, true),
        ("subnet=subnet-0web", WEB_TO_DB, true),
        ("dstsubnet=web-a", WEB_TO_DB, false),
        ("vpc=prod", SCAN_TO_WEB, true),
        ("srcvpc=prod", SCAN_TO_WEB, false),
        ("az=us-east-1b", WEB_TO_DB, true),
        ("az=US-EAST-1B", SCAN_TO_WEB, false),
        // A public address of the account's interface belongs to its subnet.
        ("dstsubnet=web-a", BASTION_PUBLIC, true),
        // Services from ip-ranges.json, any case.
        ("service=s3", WEB_TO_S3, true),
        ("service=S3", WEB_TO_DB, false),
        ("dstservice=EC2", SCAN_TO_WEB, false),
        ("srcservice=EC2", SCAN_TO_WEB, true),
        // Scopes.
        ("scope=vpc", WEB_TO_DB, true),
        ("scope=subnet", WEB_TO_DB, false),
        ("scope=service", WEB_TO_S3, true),
        ("scope=service", SCAN_TO_WEB, true),
        ("scope=internet", BASTION_PUBLIC, true),
        ("not scope=internet", WEB_TO_DB, true),
        ("scope!=vpc action=ACCEPT", WEB_TO_S3, true),
    ];
    for (filter, line, want) in cases {
        assert_eq!(
            passes_with_inventory(filter, line),
            *want,
            "{filter} on {line}"
        );
    }
}

#[test]
fn inventory_fields_without_an_inventory_are_an_error_at_their_column() {
    for (filter, column) in [
        ("action=REJECT sg=web", 15),
        ("name=web-1", 1),
        ("dstaz=us-east-1a", 1),
        ("srcsubnet=db-b", 1),
        ("scope=vpc", 1),
        ("port=22 sg-0web", 9),
    ] {
        let e = Filter::parse(filter).unwrap_err();
        assert_eq!(e.column, column, "{filter}: {e}");
        assert!(e.message.contains("--inventory"), "{filter}: {e}");
    }
    // What a flow-log field or the private ranges can answer needs none.
    assert!(passes("subnet=subnet-07", SSH_REJECT));
    assert!(passes("vpc-01", SSH_REJECT));
    assert!(passes("scope=internet", SSH_REJECT));
    assert!(!passes("scope=private", SSH_REJECT));
    let e = Filter::parse("scope=moon").unwrap_err();
    assert_eq!(e.column, 7);
    assert!(e.message.contains("cross-vpc"), "{e}");
    let e = Filter::parse("sg>web").unwrap_err();
    assert_eq!(e.column, 3);
}

#[test]
fn a_record_field_still_answers_subnet_and_vpc_when_an_inventory_is_loaded() {
    let inv = std::sync::Arc::new(crate::inventory::place::tests::account());
    let f = Filter::parse_with("subnet=subnet-07", Some(&inv)).unwrap();
    assert!(passes("subnet=subnet-07", SSH_REJECT));
    let schema = Schema::parse_format(FORMAT).unwrap();
    let mut p = LineParser::new();
    let Line::Record(r) = p.parse(&schema, SSH_REJECT.as_bytes()) else {
        panic!()
    };
    assert!(f.matches(&r));
    // Bound, the test reads addresses, so a finding (addresses and ports) can be judged.
    assert_eq!(
        Filter::parse_with("sg=web", Some(&inv)).unwrap().fields(),
        [Field::SrcAddr, Field::DstAddr]
    );
    assert_eq!(
        Filter::parse("subnet=x").unwrap().fields(),
        [Field::SubnetId]
    );
    // Spelled two ways, the same test.
    assert_eq!(
        Filter::parse_with("sg = web and scope=vpc", Some(&inv)).unwrap(),
        Filter::parse_with("sg=web scope=VPC", Some(&inv)).unwrap()
    );
}

/// Found by the `filter` fuzz target: `(a b) and (c)` parsed into a nested `and`, the
/// program's conjunction of the same filters into a flat one, so the text of a drill-down
/// did not read back as the filter it named.
#[test]
fn parentheses_do_not_change_which_filter_it_is() {
    let flat = Filter::parse("vpc=vpc-0prod subnet=subnet-1 dstport=22").unwrap();
    assert_eq!(
        Filter::parse("(vpc=vpc-0prod subnet=subnet-1) and (dstport=22)").unwrap(),
        flat
    );
    assert_eq!(
        Filter::parse("vpc=vpc-0prod (subnet=subnet-1 (dstport=22))").unwrap(),
        flat
    );
    let built = Filter::parse("vpc=vpc-0prod subnet=subnet-1")
        .unwrap()
        .and(&Filter::port(Side::Dst, 22));
    assert_eq!(Filter::parse(&built.to_string()).unwrap(), built, "{built}");
    assert_eq!(
        Filter::parse("(dstport=22 or dstport=80) or dstport=443").unwrap(),
        Filter::parse("dstport=22 or dstport=80 or dstport=443").unwrap()
    );
    // An `or` inside an `and` stays what it is.
    assert_ne!(
        Filter::parse("(dstport=22 or dstport=80) proto=6").unwrap(),
        Filter::parse("dstport=22 or dstport=80 proto=6").unwrap()
    );
}
