//! The demo network's inventory, as the AWS CLI would print it, so `vpctop demo` (and the
//! shipped samples with `--inventory assets/samples/inventory`) show rule-level diagnoses
//! without AWS. It matches the incidents: the fleet's security group allows SSH only from
//! inside (the brute force stops there), the bastion's only from the office prefix list, a
//! strict network ACL on one subnet has no outbound rule for clients' ephemeral ports (its
//! replies die), and no group allows the scanned ports from outside.

use serde_json::{Value, json};

use super::generator::Generator;

/// The office prefix list the bastion admits SSH from.
const CORP_LIST: &str = "pl-0c0a1b2c3d4e5f601";

/// Subnet names by subnet number (`10.a.N.0/24`).
/// A subnet's tier by its third octet modulo 6, named with its zone's letter (`app-c`).
const SUBNET_TIERS: [&str; 6] = ["public", "public", "app", "app", "data", "data"];

/// The inventory files for `g`'s interfaces: (file name, pretty JSON).
pub fn files(g: &Generator) -> Vec<(String, String)> {
    let docs = documents(g);
    docs.into_iter()
        .map(|(name, v)| {
            let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
            text.push('\n');
            (name, text)
        })
        .collect()
}

/// `sg-0fleet00000001`: a security group of `role` in account number `account`.
fn group(account: usize, role: &str) -> String {
    format!("sg-0{role}{account:08x}")
}

fn documents(g: &Generator) -> Vec<(String, Value)> {
    let interfaces = g.interfaces();
    let bastion = super::INCIDENTS[1].insider;
    let strict_subnet = super::INCIDENTS[2].insider.octets();
    let az_name = |az: &str| match az {
        "use1-az1" => "us-east-1a",
        "use1-az2" => "us-east-1b",
        _ => "us-east-1c",
    };
    let role = |ip: std::net::Ipv4Addr| match ip.octets()[2] {
        0 | 1 => "web",
        2 | 3 => "app",
        _ => "db",
    };
    let enis: Vec<Value> = interfaces
        .iter()
        .map(|i| {
            let a = usize::from(i.ip.octets()[1]);
            let mut groups = vec![json!({"GroupId": group(a, "fleet"), "GroupName": "fleet"})];
            if i.ip == bastion {
                groups.push(json!({"GroupId": group(a, "bastion"), "GroupName": "bastion"}));
            }
            json!({
                "AvailabilityZone": az_name(i.az),
                "Description": "",
                "Groups": groups,
                "InterfaceType": "interface",
                "NetworkInterfaceId": i.eni,
                "OwnerId": i.account,
                "PrivateIpAddress": i.ip.to_string(),
                "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": i.ip.to_string()}],
                "Attachment": {"InstanceId": i.instance, "DeviceIndex": 0, "Status": "attached"},
                "SubnetId": i.subnet,
                "VpcId": i.vpc,
                "TagSet": []
            })
        })
        .collect();
    let instances: Vec<Value> = interfaces
        .iter()
        .map(|i| {
            let [_, a, s, h] = i.ip.octets();
            let name = if i.ip == bastion {
                "bastion".to_string()
            } else {
                format!("{}-{a}-{s}-{h}", role(i.ip))
            };
            json!({"InstanceId": i.instance, "Tags": [{"Key": "Name", "Value": name}]})
        })
        .collect();
    let mut subnets = Vec::new();
    let mut vpcs = Vec::new();
    let mut groups = Vec::new();
    let mut acls = Vec::new();
    let accounts: std::collections::BTreeSet<usize> = interfaces
        .iter()
        .map(|i| usize::from(i.ip.octets()[1]))
        .collect();
    for a in accounts {
        let mine: Vec<_> = interfaces
            .iter()
            .filter(|i| usize::from(i.ip.octets()[1]) == a)
            .collect();
        let Some(first) = mine.first() else { continue };
        vpcs.push(json!({
            "VpcId": first.vpc,
            "OwnerId": first.account,
            "CidrBlock": format!("10.{a}.0.0/16"),
            "CidrBlockAssociationSet": [{"CidrBlock": format!("10.{a}.0.0/16")}],
            "Tags": [{"Key": "Name", "Value": format!("demo-{a}")}]
        }));
        let mut seen = std::collections::BTreeMap::new();
        for i in &mine {
            seen.entry(i.ip.octets()[2])
                .or_insert((i.subnet.clone(), i.az));
        }
        let mut default_subnets = Vec::new();
        let mut strict = Vec::new();
        for (n, (id, az)) in &seen {
            subnets.push(json!({
                "SubnetId": id,
                "VpcId": first.vpc,
                "CidrBlock": format!("10.{a}.{n}.0/24"),
                "AvailabilityZone": az_name(az),
                "Tags": [{"Key": "Name", "Value": format!(
                    "{}-{}",
                    SUBNET_TIERS[usize::from(*n) % 6],
                    az_name(az).trim_start_matches("us-east-1")
                )}]
            }));
            if [10, a as u8, *n] == strict_subnet[..3] {
                strict.push(json!({"SubnetId": id}));
            } else {
                default_subnets.push(json!({"SubnetId": id}));
            }
        }
        let tcp = |from: u16, to: u16, cidr: &str| json!({"IpProtocol": "tcp", "FromPort": from, "ToPort": to, "IpRanges": [{"CidrIp": cidr}]});
        let udp = |port: u16, cidr: &str| json!({"IpProtocol": "udp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]});
        let inside = "10.0.0.0/8";
        let everyone_out = json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]);
        groups.push(json!({
            "GroupId": group(a, "fleet"), "GroupName": "fleet", "VpcId": first.vpc,
            "Description": "every demo instance",
            "IpPermissions": [
                tcp(443, 443, "0.0.0.0/0"), tcp(80, 80, "0.0.0.0/0"),
                tcp(5432, 5432, inside), tcp(3306, 3306, inside), tcp(6379, 6379, inside),
                tcp(22, 22, inside), udp(53, inside), udp(123, inside)
            ],
            "IpPermissionsEgress": everyone_out
        }));
        groups.push(json!({
            "GroupId": group(a, "bastion"), "GroupName": "bastion", "VpcId": first.vpc,
            "Description": "SSH from the offices",
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                 "PrefixListIds": [{"PrefixListId": CORP_LIST, "Description": "offices"}]}
            ],
            "IpPermissionsEgress": everyone_out
        }));
        let entry = |n: u32,
                     egress: bool,
                     proto: &str,
                     ports: Option<(u16, u16)>,
                     cidr: &str,
                     action: &str| {
            let mut e = json!({
                "RuleNumber": n, "Egress": egress, "Protocol": proto,
                "RuleAction": action, "CidrBlock": cidr
            });
            if let Some((from, to)) = ports {
                e["PortRange"] = json!({"From": from, "To": to});
            }
            e
        };
        acls.push(json!({
            "NetworkAclId": format!("acl-0default{a:09x}"), "VpcId": first.vpc, "IsDefault": true,
            "Associations": default_subnets,
            "Entries": [
                entry(100, false, "-1", None, "0.0.0.0/0", "allow"),
                entry(32767, false, "-1", None, "0.0.0.0/0", "deny"),
                entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
                entry(32767, true, "-1", None, "0.0.0.0/0", "deny")
            ],
            "Tags": [{"Key": "Name", "Value": "default"}]
        }));
        if !strict.is_empty() {
            // Written for requests only: nothing lets the replies to outside clients out.
            acls.push(json!({
                "NetworkAclId": format!("acl-0strict{a:010x}"), "VpcId": first.vpc, "IsDefault": false,
                "Associations": strict,
                "Entries": [
                    entry(100, false, "6", Some((443, 443)), "0.0.0.0/0", "allow"),
                    entry(110, false, "-1", None, inside, "allow"),
                    entry(32767, false, "-1", None, "0.0.0.0/0", "deny"),
                    entry(100, true, "-1", None, inside, "allow"),
                    entry(110, true, "6", Some((443, 443)), "0.0.0.0/0", "allow"),
                    entry(120, true, "17", Some((53, 53)), "0.0.0.0/0", "allow"),
                    entry(32767, true, "-1", None, "0.0.0.0/0", "deny")
                ],
                "Tags": [{"Key": "Name", "Value": "app-strict"}]
            }));
        }
    }
    vec![
        (
            "network-interfaces.json".to_string(),
            json!({"NetworkInterfaces": enis}),
        ),
        (
            "instances.json".to_string(),
            json!({"Reservations": [{"Instances": instances}]}),
        ),
        (
            "security-groups.json".to_string(),
            json!({"SecurityGroups": groups}),
        ),
        (
            "network-acls.json".to_string(),
            json!({"NetworkAcls": acls}),
        ),
        ("subnets.json".to_string(), json!({"Subnets": subnets})),
        ("vpcs.json".to_string(), json!({"Vpcs": vpcs})),
        (
            "prefix-lists.json".to_string(),
            json!({"PrefixLists": [{"PrefixListId": CORP_LIST, "PrefixListName": "corp-offices", "AddressFamily": "IPv4"}]}),
        ),
        (
            format!("{CORP_LIST}.json"),
            json!({"Entries": [{"Cidr": "192.0.2.0/24", "Description": "HQ"}]}),
        ),
    ]
}
