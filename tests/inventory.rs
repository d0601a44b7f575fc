//! `--inventory`: the account's AWS CLI JSON turns the REJECT diagnosis into the exact
//! security group or network ACL rule, through the real binary. The fixture account is
//! described in tests/corpus/inventory/README.md; tests/corpus/inventory-flows.log holds one
//! conversation per incident.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use common::{corpus, json_of_success, vpctop};
use serde_json::Value;

/// The `name` of the entry `key` of top list `list` (`null` when it has none).
fn entry_name(doc: &Value, list: &str, key: &str) -> Value {
    doc["top"][list]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in top.{list}: {}", doc["top"][list]))
        .get("name")
        .cloned()
        .unwrap_or(Value::Null)
}

fn drill(extra: &[&str]) -> Value {
    let flows = corpus().join("inventory-flows.log");
    let mut args = vec!["report", "--json", "--drill", "host=0.0.0.0/0"];
    args.extend_from_slice(extra);
    args.push(flows.to_str().unwrap());
    json_of_success(&vpctop(&args))
}

/// The rules' verdict for the finding of `client` → `server`:`port`.
fn verdict<'d>(doc: &'d Value, client: &str, server: &str, port: u64) -> &'d Value {
    doc["drill"]["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["client"] == client && f["server"] == server && f["port"] == port)
        .unwrap_or_else(|| panic!("no finding {client} -> {server}:{port} in {doc}"))
        .get("rules")
        .unwrap_or(&Value::Null)
}

#[test]
fn each_incident_is_named_by_the_rule_that_blocks_it() {
    let dir = corpus().join("inventory");
    let doc = drill(&["--inventory", dir.to_str().unwrap()]);
    let ssh = verdict(&doc, "45.33.32.156", "10.0.1.10", 22);
    assert_eq!(ssh["verdict"], "blocked");
    assert_eq!(ssh["leg"], "request");
    assert_eq!(
        ssh["rule"],
        "security group sg-0web (web) of eni-0web1 (web-1) allows no inbound tcp 22 from \
         45.33.32.156 (it allows tcp 22 from security group sg-0bastion)"
    );
    let replies = verdict(&doc, "10.0.1.10", "10.0.2.20", 5432);
    assert_eq!(replies["leg"], "reply");
    assert_eq!(
        replies["rule"],
        "network ACL acl-0db (subnet subnet-0db (db-b)): no outbound rule allows tcp 50000 to \
         10.0.1.10: the default rule * denies the replies"
    );
    let denied = verdict(&doc, "10.0.3.7", "10.0.2.20", 5432);
    assert_eq!(
        denied["rule"],
        "network ACL acl-0db (subnet subnet-0db (db-b)) rule 120 DENY tcp 5432 from \
         10.0.3.0/24 (inbound) denies it"
    );
}

#[test]
fn files_can_be_given_one_by_one_and_without_an_inventory_the_diagnosis_stays_a_pattern() {
    let dir = corpus().join("inventory");
    let files: Vec<String> = [
        "network-interfaces.json",
        "security-groups.json",
        "instances.json",
    ]
    .iter()
    .map(|f| dir.join(f).to_str().unwrap().to_string())
    .collect();
    let mut args = Vec::new();
    for f in &files {
        args.extend(["--inventory", f.as_str()]);
    }
    // Security groups alone still name the one that blocks the SSH attempt, and say what
    // is missing where nothing loaded blocks.
    let doc = drill(&args);
    let ssh = verdict(&doc, "45.33.32.156", "10.0.1.10", 22);
    assert_eq!(ssh["verdict"], "blocked", "{ssh}");
    let replies = verdict(&doc, "10.0.1.10", "10.0.2.20", 5432);
    assert_eq!(replies["verdict"], "unknown", "{replies}");
    assert!(
        replies["rule"]
            .as_str()
            .unwrap()
            .contains("the network ACL of subnet-0db"),
        "{replies}"
    );
    let plain = drill(&[]);
    assert!(verdict(&plain, "45.33.32.156", "10.0.1.10", 22).is_null());
}

#[test]
fn a_malformed_inventory_file_is_named_with_its_json_path_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("sg.json");
    std::fs::write(
        &bad,
        r#"{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": "22"}]}]}"#,
    )
    .unwrap();
    let flows = corpus().join("inventory-flows.log");
    let run = vpctop(&[
        "report",
        "--inventory",
        dir.path().to_str().unwrap(),
        flows.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("sg.json: at .SecurityGroups[0].IpPermissions[0].FromPort: invalid type"),
        "{}",
        run.stderr
    );
}

#[test]
fn report_names_addresses_and_interfaces_by_their_owners() {
    let dir = corpus().join("inventory");
    let flows = corpus().join("inventory-flows.log");
    let run = vpctop(&[
        "report",
        "--json",
        "--inventory",
        dir.to_str().unwrap(),
        flows.to_str().unwrap(),
    ]);
    let doc = json_of_success(&run);
    let name = |list: &str, key: &str| entry_name(&doc, list, key);
    // An instance's interface: its Name tag (from describe-instances) and instance id.
    assert_eq!(name("dst", "10.0.1.10"), "web-1 (i-0web1)");
    assert_eq!(name("dst", "10.0.2.20"), "db-1 (i-0db1)");
    // Outside every interface: the subnet or VPC it lies in, or the internet.
    assert_eq!(
        name("src", "10.0.3.7"),
        "vpc prod",
        "in the VPC, in no known subnet"
    );
    assert_eq!(name("src", "45.33.32.156"), "internet");
    assert_eq!(name("interface", "eni-0db1"), "db-1 (i-0db1)");
    assert_eq!(
        name("pair", "10.0.1.10 -> 10.0.2.20"),
        "web-1 (i-0web1) -> db-1 (i-0db1)"
    );
    // Without an inventory the keys stand alone.
    let plain = json_of_success(&vpctop(&["report", "--json", flows.to_str().unwrap()]));
    assert!(plain["top"]["dst"][0].get("name").is_none());
    // The text report shows the same names beside the keys.
    let text = vpctop(&[
        "report",
        "--inventory",
        dir.to_str().unwrap(),
        flows.to_str().unwrap(),
    ]);
    assert!(
        text.stdout.contains("10.0.2.20 [db-1 (i-0db1)]"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_reject_aws_gives_a_reason_for_is_that_reason_and_not_judged_by_the_rules() {
    // v8 records with reject-reason=BPA: VPC Block Public Access, whatever the groups say.
    let flows = corpus().join("parquet").join("v8-custom.log");
    let dir = corpus().join("inventory");
    let run = vpctop(&[
        "report",
        "--json",
        "--inventory",
        dir.to_str().unwrap(),
        "--drill",
        "host=0.0.0.0/0",
        flows.to_str().unwrap(),
    ]);
    let doc = json_of_success(&run);
    let findings = doc["drill"]["diagnosis"].as_array().unwrap();
    let bpa: Vec<&Value> = findings
        .iter()
        .filter(|f| f["cause"] == "block_public_access")
        .collect();
    assert!(!bpa.is_empty(), "{doc}");
    for f in bpa {
        assert!(f.get("rules").is_none(), "{f}");
        assert!(
            f["explanation"]
                .as_str()
                .unwrap()
                .contains("VPC Block Public Access"),
            "{f}"
        );
    }
}

#[test]
fn ip_ranges_name_addresses_outside_the_account_by_service_and_region() {
    let ranges = corpus().join("ip-ranges").join("ip-ranges.json");
    let flows = corpus().join("inventory-flows.log");
    let run = vpctop(&[
        "report",
        "--json",
        "--ip-ranges",
        ranges.to_str().unwrap(),
        flows.to_str().unwrap(),
    ]);
    let doc = json_of_success(&run);
    let scanner = doc["top"]["src"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "45.33.32.156")
        .unwrap();
    // The /24 (EC2) is more specific than the /16 (AMAZON).
    assert_eq!(scanner["name"], "AWS EC2 us-east-1");
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), r#"{"prefixes": [{"ip_prefix": "1.2.3.0/99"}]}"#).unwrap();
    let run = vpctop(&[
        "report",
        "--ip-ranges",
        bad.path().to_str().unwrap(),
        flows.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--ip-ranges: ") && run.stderr.contains("at .prefixes[0]: "),
        "{}",
        run.stderr
    );
}

#[test]
fn drilling_into_traffic_flow_logs_never_record_says_so_instead_of_an_empty_answer() {
    let flows = corpus().join("inventory-flows.log");
    let drill = |key: &str, extra: &[&str]| {
        let mut args = vec!["report", "--json", "--drill", key];
        args.extend_from_slice(extra);
        args.push(flows.to_str().unwrap());
        json_of_success(&vpctop(&args))["drill"].clone()
    };
    let imds = drill("host=169.254.169.254", &[]);
    assert_eq!(
        imds["note"],
        "no records: traffic to 169.254.169.254 (instance metadata) is never logged by VPC Flow Logs"
    );
    // The resolver at the VPC's base + 2 needs the VPC's blocks: the inventory has them.
    assert!(drill("host=10.0.0.2", &[]).get("note").is_none());
    let dir = corpus().join("inventory");
    let dns = drill("host=10.0.0.2", &["--inventory", dir.to_str().unwrap()]);
    assert_eq!(
        dns["note"],
        "no records: traffic to 10.0.0.2 (the Amazon DNS resolver of prod) is never logged by VPC Flow Logs"
    );
    // A host with records gets no note.
    assert!(drill("host=10.0.1.10", &[]).get("note").is_none());
}

/// The demo sample and its shipped inventory (three VPCs, 360 interfaces).
fn sample_report(extra: &[&str]) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let inv = root.join("inventory");
    let log = root.join("demo-v2.log");
    let mut args = vec!["report", "--json", "--inventory", inv.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(log.to_str().unwrap());
    json_of_success(&vpctop(&args))
}

#[test]
fn each_group_entry_holds_what_its_filter_selects() {
    let doc = sample_report(&["--top", "3"]);
    let mut checked = 0;
    for (list, field) in [
        ("subnet", "subnet"),
        ("vpc", "vpc"),
        ("sg", "sg"),
        ("az", "az"),
        ("scope", "scope"),
    ] {
        let entries = doc["top"][list].as_array().unwrap();
        assert!(!entries.is_empty(), "no {list} list in {}", doc["top"]);
        for e in entries {
            let filter = format!("{field}={}", e["key"].as_str().unwrap());
            let only = sample_report(&["--filter", &filter, "--top", "1"]);
            for n in ["flows", "bytes", "packets"] {
                assert_eq!(only[n], e[n], "{n} of {filter}: list says {e}");
            }
            assert_eq!(only["actions"]["REJECT"]["flows"], e["reject"], "{filter}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked}");
    // Groups carry their names.
    let sg = &doc["top"]["sg"][0];
    assert!(
        ["fleet", "bastion"].contains(&sg["name"].as_str().unwrap()),
        "{sg}"
    );
    assert!(
        doc["top"]["vpc"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("demo-"),
        "{}",
        doc["top"]["vpc"]
    );
}

#[test]
fn every_flow_has_exactly_one_scope() {
    let doc = sample_report(&["--top", "10"]);
    let scopes = doc["top"]["scope"].as_array().unwrap();
    let sum = |k: &str| scopes.iter().map(|s| s[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("flows"), doc["flows"].as_u64().unwrap());
    assert_eq!(sum("bytes"), doc["bytes"].as_u64().unwrap());
    let keys: Vec<&str> = scopes.iter().map(|s| s["key"].as_str().unwrap()).collect();
    // The demo has traffic within VPCs, between them and with the internet.
    for want in ["vpc", "cross-vpc", "internet"] {
        assert!(keys.contains(&want), "{keys:?}");
    }
    // The port scan comes from the internet; the egress burst goes to it.
    let internet = sample_report(&["--filter", "scope=internet", "--by", "flows", "--top", "3"]);
    let srcs: Vec<&str> = internet["top"]["src"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert!(srcs.contains(&"45.33.32.156"), "{srcs:?}");
}

#[test]
fn by_cost_ranks_the_egress_burst_first_and_a_price_file_changes_the_estimate() {
    let doc = sample_report(&["--by", "cost", "--top", "3"]);
    let top = &doc["top"]["pair"][0];
    assert_eq!(
        top["key"], "10.1.3.77 -> 198.51.100.200",
        "{}",
        doc["top"]["pair"]
    );
    let gib = (1u64 << 30) as f64;
    let want = top["bytes"].as_u64().unwrap() as f64 / gib * 0.09;
    let got = top["estimated_cost_usd"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    assert!(doc["cost"]["note"].as_str().unwrap().contains("estimate"));
    let total = doc["cost"]["estimated_usd"].as_f64().unwrap();
    assert!(total >= got, "{total} < {got}");
    // Ports cannot be costed: they stay ranked by bytes, with no cost.
    assert!(doc["top"]["dstport"][0].get("estimated_cost_usd").is_none());

    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.json");
    std::fs::write(&prices, r#"{"internet_egress": 0.18}"#).unwrap();
    let doubled = sample_report(&["--by", "cost", "--prices", prices.to_str().unwrap()]);
    let got2 = doubled["top"]["pair"][0]["estimated_cost_usd"]
        .as_f64()
        .unwrap();
    assert!((got2 - 2.0 * got).abs() < 1e-5, "{got2} vs 2 × {got}");
    assert_eq!(doubled["cost"]["prices_per_gib"]["internet_egress"], 0.18);

    std::fs::write(&prices, r#"{"egress": 1}"#).unwrap();
    let out = vpctop(&[
        "report",
        "--by",
        "cost",
        "--prices",
        prices.to_str().unwrap(),
        "x",
    ]);
    assert_eq!(out.code, 2);
    let err = &out.stderr;
    assert!(
        err.contains("prices.json") && err.contains("egress"),
        "{err}"
    );
}

#[test]
fn an_inventory_field_without_an_inventory_points_at_itself() {
    let out = vpctop(&["report", "--filter", "action=REJECT sg=web", "x.log"]);
    assert_eq!(out.code, 2);
    let err = &out.stderr;
    assert!(err.contains("`sg` needs the account's inventory"), "{err}");
    assert!(err.contains("               ^"), "{err}");
    // Without one, a report has no derived lists.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let log = root.join("demo-v2.log");
    let doc = json_of_success(&vpctop(&["report", "--json", log.to_str().unwrap()]));
    assert!(doc["top"].get("scope").is_none() && doc["top"].get("subnet").is_none());
}

#[test]
fn v11_tags_name_interfaces_and_their_own_addresses_without_an_inventory() {
    let log = corpus().join("tags/v11-tags.log");
    let doc = json_of_success(&vpctop(&["report", "--json", log.to_str().unwrap()]));
    let name = |list: &str, key: &str| entry_name(&doc, list, key);
    assert_eq!(name("interface", "eni-0a1"), "web-1");
    assert_eq!(name("interface", "eni-0b2"), "db-nic");
    assert_eq!(name("interface", "eni-0c3"), Value::Null);
    // The interface's own end (by flow-direction) carries the tag; the far end does not.
    assert_eq!(name("src", "10.0.1.5"), "web-1");
    assert_eq!(name("dst", "203.0.113.7"), Value::Null);
    assert_eq!(name("pair", "10.0.2.9 -> 10.0.1.5"), "db-nic -> web-1");
    // A tag with a control character never becomes a name: the parser refuses the line
    // (`instance-tag: control character in …`), counted as malformed like any other.
}

#[test]
fn drilled_conversations_name_their_peers() {
    let dir = corpus().join("inventory");
    let flows = corpus().join("inventory-flows.log");
    let args = [
        "report",
        "--json",
        "--inventory",
        dir.to_str().unwrap(),
        "--drill",
        "host=10.0.2.20",
        flows.to_str().unwrap(),
    ];
    let doc = json_of_success(&vpctop(&args));
    let convs = doc["drill"]["conversations"].as_array().unwrap();
    let web = convs.iter().find(|c| c["peer"] == "10.0.1.10").unwrap();
    assert_eq!(web["name"], "web-1 (i-0web1)", "{web}");
    // 10.0.3.7 has no interface, but lies in the VPC.
    let other = convs.iter().find(|c| c["peer"] == "10.0.3.7").unwrap();
    assert_eq!(other["name"], "vpc prod", "{other}");
    let text = vpctop(
        &args[..1]
            .iter()
            .chain(&args[2..])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert!(
        text.stdout.contains("10.0.1.10 [web-1 (i-0web1)]"),
        "{}",
        text.stdout
    );
}
