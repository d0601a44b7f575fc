//! The shapes of the AWS CLI's JSON for the `ec2 describe-*` calls an inventory is made of,
//! as far as vpctop reads them. Every field is optional (a subset of a call's output, or an
//! older CLI, still reads); unknown keys are ignored.

use serde::Deserialize;

/// One file of CLI output: whichever of the top-level keys it has.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Document {
    /// `describe-network-interfaces`.
    pub network_interfaces: Option<Vec<NetworkInterface>>,
    /// `describe-instances`.
    pub reservations: Option<Vec<Reservation>>,
    /// `describe-security-groups`.
    pub security_groups: Option<Vec<SecurityGroup>>,
    /// `describe-network-acls`.
    pub network_acls: Option<Vec<NetworkAcl>>,
    /// `describe-subnets`.
    pub subnets: Option<Vec<Subnet>>,
    /// `describe-vpcs`.
    pub vpcs: Option<Vec<Vpc>>,
    /// `describe-managed-prefix-lists`.
    pub prefix_lists: Option<Vec<PrefixList>>,
    /// `get-managed-prefix-list-entries` (the list's id is not in the output: it comes from
    /// the file's name, or from the `PrefixListId` vpctop accepts beside the entries).
    pub entries: Option<Vec<PrefixListEntry>>,
    /// The prefix list the `Entries` belong to, when given in the file.
    pub prefix_list_id: Option<String>,
}

/// A `Key`/`Value` tag.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag's key.
    pub key: String,
    /// The tag's value.
    #[serde(default)]
    pub value: String,
}

/// The `Name` tag among `tags`, if any.
pub fn name_tag(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key == "Name")
        .map(|t| t.value.as_str())
        .filter(|v| !v.is_empty())
}

/// One network interface.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterface {
    pub network_interface_id: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
    pub description: Option<String>,
    pub interface_type: Option<String>,
    pub owner_id: Option<String>,
    pub private_ip_address: Option<String>,
    pub private_ip_addresses: Vec<PrivateIp>,
    pub ipv6_addresses: Vec<Ipv6Address>,
    pub association: Option<Association>,
    pub groups: Vec<GroupRef>,
    pub attachment: Option<Attachment>,
    pub tag_set: Vec<Tag>,
}

/// A private address of an interface, with its public address if it has one.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIp {
    pub private_ip_address: Option<String>,
    pub association: Option<Association>,
}

/// A public address associated with a private one.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Association {
    pub public_ip: Option<String>,
}

/// An IPv6 address of an interface.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Address {
    pub ipv6_address: Option<String>,
}

/// A security group an interface belongs to.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupRef {
    pub group_id: String,
    pub group_name: Option<String>,
}

/// What an interface is attached to.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Attachment {
    pub instance_id: Option<String>,
}

/// One reservation of `describe-instances`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Reservation {
    pub instances: Vec<Instance>,
}

/// One instance (for its `Name` tag).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    pub instance_id: String,
    pub tags: Vec<Tag>,
}

/// One security group.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: Option<String>,
    pub vpc_id: Option<String>,
    pub ip_permissions: Vec<Permission>,
    pub ip_permissions_egress: Vec<Permission>,
    pub tags: Vec<Tag>,
}

/// One security-group rule as the CLI groups them: a protocol and ports, and every peer
/// it allows.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Permission {
    pub ip_protocol: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub ip_ranges: Vec<IpRange>,
    pub ipv6_ranges: Vec<Ipv6Range>,
    pub prefix_list_ids: Vec<PrefixListRef>,
    pub user_id_group_pairs: Vec<GroupPair>,
}

/// An IPv4 peer of a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpRange {
    pub cidr_ip: String,
}

/// An IPv6 peer of a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Range {
    pub cidr_ipv6: String,
}

/// A prefix-list peer of a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListRef {
    pub prefix_list_id: String,
}

/// A security-group peer of a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupPair {
    pub group_id: String,
}

/// One network ACL.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAcl {
    pub network_acl_id: String,
    pub vpc_id: Option<String>,
    pub is_default: bool,
    pub associations: Vec<AclAssociation>,
    pub entries: Vec<AclEntry>,
    pub tags: Vec<Tag>,
}

/// A subnet a network ACL is associated with.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclAssociation {
    pub subnet_id: String,
}

/// One network ACL entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclEntry {
    pub rule_number: i64,
    pub protocol: String,
    pub rule_action: String,
    pub egress: bool,
    pub cidr_block: Option<String>,
    pub ipv6_cidr_block: Option<String>,
    pub port_range: Option<PortRange>,
}

/// A port range of an ACL entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortRange {
    pub from: i64,
    pub to: i64,
}

/// One subnet.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: Option<String>,
    pub cidr_block: Option<String>,
    pub availability_zone: Option<String>,
    pub ipv6_cidr_block_association_set: Vec<Ipv6Block>,
    pub tags: Vec<Tag>,
}

/// An IPv6 block of a subnet or VPC.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Block {
    pub ipv6_cidr_block: Option<String>,
}

/// One VPC.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vpc {
    pub vpc_id: String,
    pub cidr_block: Option<String>,
    pub cidr_block_association_set: Vec<CidrAssociation>,
    pub ipv6_cidr_block_association_set: Vec<Ipv6Block>,
    pub tags: Vec<Tag>,
}

/// An IPv4 block of a VPC.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CidrAssociation {
    pub cidr_block: Option<String>,
}

/// One managed prefix list.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixList {
    pub prefix_list_id: String,
    pub prefix_list_name: Option<String>,
}

/// One entry of a managed prefix list.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListEntry {
    pub cidr: String,
}
