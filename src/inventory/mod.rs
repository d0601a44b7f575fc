//! What the AWS account looks like: interfaces, the security groups and network ACLs that
//! guard them, subnets, VPCs and managed prefix lists, read from the JSON the AWS CLI prints
//! (`aws ec2 describe-network-interfaces`, `describe-security-groups`, …; see README), and
//! the rules behind a REJECT evaluated against them ([`rules`]).
//!
//! Files are recognised by their top-level keys (any subset of the calls, several accounts
//! and regions in one directory); unknown keys are ignored.
//!
//! Never: reads flow logs or the network; a malformed file is an error naming the file and
//! the JSON path of what is wrong, never a panic.

mod aws_json;
pub mod cidr;
pub mod place;
mod prefix;
pub mod prices;
pub mod ranges;
pub mod rules;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use cidr::Cidr;
pub use place::{GroupKind, Place, Scope};
pub use prefix::PrefixMap;

/// Why an inventory could not be loaded.
#[derive(Debug, Error)]
pub enum InventoryError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A file is not the JSON the AWS CLI prints.
    #[error("{path}: at {at}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON path of the value that is wrong (`.SecurityGroups[3].IpPermissions`).
        at: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value is of the right type but means nothing (a CIDR that is not one).
    #[error("{path}: at {at}: {message}")]
    Value {
        /// The file.
        path: PathBuf,
        /// Where the value is.
        at: String,
        /// What is wrong with it.
        message: String,
    },
}

/// One network interface.
#[derive(Debug, Clone, Default)]
pub struct Interface {
    /// `eni-…`.
    pub id: String,
    /// Its subnet, VPC and availability zone, when known.
    pub subnet: Option<String>,
    /// The VPC.
    pub vpc: Option<String>,
    /// The availability zone.
    pub az: Option<String>,
    /// What the interface is (`interface`, `nat_gateway`, `network_load_balancer`, …).
    pub kind: Option<String>,
    /// AWS's description of it (for interfaces AWS manages, what they belong to).
    pub description: Option<String>,
    /// The instance it is attached to.
    pub instance: Option<String>,
    /// Its `Name` tag, or its instance's.
    pub name: Option<String>,
    /// Private, IPv6 and public addresses.
    pub addresses: Vec<IpAddr>,
    /// Its security groups, by id.
    pub groups: Vec<String>,
}

/// A security group.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// `sg-…`.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Rules for traffic coming in.
    pub inbound: Vec<rules::GroupRule>,
    /// Rules for traffic going out.
    pub outbound: Vec<rules::GroupRule>,
}

/// A network ACL.
#[derive(Debug, Clone, Default)]
pub struct Acl {
    /// `acl-…`.
    pub id: String,
    /// Its `Name` tag.
    pub name: Option<String>,
    /// Entries in rule-number order (inbound and outbound together).
    pub entries: Vec<rules::AclEntry>,
}

/// A subnet.
#[derive(Debug, Clone, Default)]
pub struct Subnet {
    /// `subnet-…`.
    pub id: String,
    /// Its `Name` tag.
    pub name: Option<String>,
    /// Its VPC.
    pub vpc: Option<String>,
    /// Its availability zone.
    pub az: Option<String>,
    /// Its address blocks.
    pub blocks: Vec<Cidr>,
}

/// A VPC.
#[derive(Debug, Clone, Default)]
pub struct Vpc {
    /// `vpc-…`.
    pub id: String,
    /// Its `Name` tag.
    pub name: Option<String>,
    /// Its address blocks.
    pub blocks: Vec<Cidr>,
}

/// The maps looked up per record (by a filter on `scope` or a group): the fast hash the
/// core's tables use, seeded anew each run.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Everything loaded, indexed for look-ups by address and id.
#[derive(Debug, Default)]
pub struct Inventory {
    interfaces: Vec<Interface>,
    by_address: Map<IpAddr, usize>,
    by_id: Map<String, usize>,
    groups: HashMap<String, Group>,
    acls: Vec<Acl>,
    acl_of_subnet: HashMap<String, usize>,
    subnets: Map<String, Subnet>,
    prefix_lists: HashMap<String, Vec<Cidr>>,
    prefix_list_names: HashMap<String, String>,
    vpcs: Map<String, Vpc>,
    /// Subnet ids by block, for addresses no interface has.
    subnet_blocks: PrefixMap<String>,
    /// VPC ids by block.
    vpc_blocks: PrefixMap<String>,
    instance_names: HashMap<String, String>,
    ranges: ranges::Ranges,
    files: usize,
}

impl Inventory {
    /// Loads every `.json` file of `paths` (files, or directories read one level deep).
    pub fn load(paths: &[PathBuf]) -> Result<Inventory, InventoryError> {
        let mut inv = Inventory::default();
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                let entries = std::fs::read_dir(path).map_err(|source| InventoryError::Read {
                    path: path.clone(),
                    source,
                })?;
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect();
                found.sort();
                files.extend(found);
            } else {
                files.push(path.clone());
            }
        }
        for file in &files {
            let text = std::fs::read(file).map_err(|source| InventoryError::Read {
                path: file.clone(),
                source,
            })?;
            inv.add_json(file, &text)?;
        }
        inv.files = files.len();
        inv.index();
        Ok(inv)
    }

    /// Builds an inventory from files already read, as `(name, JSON text)` pairs in order
    /// (what [`load`](Self::load) does once it has read them).
    pub fn from_json<'a>(
        files: impl IntoIterator<Item = (&'a Path, &'a [u8])>,
    ) -> Result<Inventory, InventoryError> {
        let mut inv = Inventory::default();
        for (path, text) in files {
            inv.add_json(path, text)?;
            inv.files += 1;
        }
        inv.index();
        Ok(inv)
    }

    /// Adds one file's JSON (named `path` in errors).
    pub fn add_json(&mut self, path: &Path, text: &[u8]) -> Result<(), InventoryError> {
        let de = &mut serde_json::Deserializer::from_slice(text);
        let doc: aws_json::Document =
            serde_path_to_error::deserialize(de).map_err(|e| InventoryError::Json {
                path: path.to_path_buf(),
                at: json_path(&e.path().to_string()),
                message: crate::sanitize::escape(e.inner().to_string().as_bytes()),
            })?;
        let bad = |at: String, message: String| InventoryError::Value {
            path: path.to_path_buf(),
            at,
            message: crate::sanitize::escape(message.as_bytes()),
        };
        for (i, n) in doc
            .network_interfaces
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let mut addresses = Vec::new();
            let mut add = |s: &Option<String>| {
                if let Some(a) = s.as_deref().and_then(|a| a.parse().ok())
                    && !addresses.contains(&a)
                {
                    addresses.push(a);
                }
            };
            add(&n.private_ip_address);
            for p in &n.private_ip_addresses {
                add(&p.private_ip_address);
                add(&p.association.as_ref().and_then(|a| a.public_ip.clone()));
            }
            add(&n.association.as_ref().and_then(|a| a.public_ip.clone()));
            for v6 in &n.ipv6_addresses {
                add(&v6.ipv6_address);
            }
            if n.network_interface_id.is_empty() {
                return Err(bad(
                    format!(".NetworkInterfaces[{i}]"),
                    "no NetworkInterfaceId".to_string(),
                ));
            }
            self.interfaces.push(Interface {
                id: n.network_interface_id,
                subnet: n.subnet_id,
                vpc: n.vpc_id,
                az: n.availability_zone,
                kind: n.interface_type,
                description: n.description.filter(|d| !d.is_empty()),
                instance: n.attachment.and_then(|a| a.instance_id),
                name: aws_json::name_tag(&n.tag_set).map(str::to_string),
                addresses,
                groups: n.groups.into_iter().map(|g| g.group_id).collect(),
            });
        }
        for r in doc.reservations.unwrap_or_default() {
            for i in r.instances {
                if let Some(name) = aws_json::name_tag(&i.tags) {
                    self.instance_names.insert(i.instance_id, name.to_string());
                }
            }
        }
        for (gi, g) in doc
            .security_groups
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let at = |dir: &str, i: usize| format!(".SecurityGroups[{gi}].{dir}[{i}]");
            let mut group = Group {
                id: g.group_id,
                name: g.group_name,
                ..Group::default()
            };
            for (i, p) in g.ip_permissions.iter().enumerate() {
                group.inbound.extend(
                    rules::GroupRule::from_permission(p)
                        .map_err(|m| bad(at("IpPermissions", i), m))?,
                );
            }
            for (i, p) in g.ip_permissions_egress.iter().enumerate() {
                group.outbound.extend(
                    rules::GroupRule::from_permission(p)
                        .map_err(|m| bad(at("IpPermissionsEgress", i), m))?,
                );
            }
            self.groups.insert(group.id.clone(), group);
        }
        for (ai, a) in doc.network_acls.unwrap_or_default().into_iter().enumerate() {
            let mut entries = Vec::new();
            for (i, e) in a.entries.iter().enumerate() {
                entries.push(
                    rules::AclEntry::from_entry(e)
                        .map_err(|m| bad(format!(".NetworkAcls[{ai}].Entries[{i}]"), m))?,
                );
            }
            entries.sort_by_key(|e| (e.egress, e.number));
            let index = self.acls.len();
            for s in &a.associations {
                self.acl_of_subnet.insert(s.subnet_id.clone(), index);
            }
            self.acls.push(Acl {
                id: a.network_acl_id,
                name: aws_json::name_tag(&a.tags).map(str::to_string),
                entries,
            });
        }
        for (si, s) in doc.subnets.unwrap_or_default().into_iter().enumerate() {
            let mut blocks = Vec::new();
            let texts = s.cidr_block.iter().chain(
                s.ipv6_cidr_block_association_set
                    .iter()
                    .filter_map(|b| b.ipv6_cidr_block.as_ref()),
            );
            for t in texts {
                blocks.push(t.parse().map_err(|m| bad(format!(".Subnets[{si}]"), m))?);
            }
            self.subnets.insert(
                s.subnet_id.clone(),
                Subnet {
                    id: s.subnet_id,
                    name: aws_json::name_tag(&s.tags).map(str::to_string),
                    vpc: s.vpc_id,
                    az: s.availability_zone,
                    blocks,
                },
            );
        }
        for (vi, v) in doc.vpcs.unwrap_or_default().into_iter().enumerate() {
            let mut blocks = Vec::new();
            let texts = v
                .cidr_block
                .iter()
                .chain(
                    v.cidr_block_association_set
                        .iter()
                        .filter_map(|b| b.cidr_block.as_ref()),
                )
                .chain(
                    v.ipv6_cidr_block_association_set
                        .iter()
                        .filter_map(|b| b.ipv6_cidr_block.as_ref()),
                );
            for t in texts {
                let block: Cidr = t.parse().map_err(|m| bad(format!(".Vpcs[{vi}]"), m))?;
                if !blocks.contains(&block) {
                    blocks.push(block);
                }
            }
            self.vpcs.insert(
                v.vpc_id.clone(),
                Vpc {
                    id: v.vpc_id,
                    name: aws_json::name_tag(&v.tags).map(str::to_string),
                    blocks,
                },
            );
        }
        for p in doc.prefix_lists.unwrap_or_default() {
            if let Some(name) = p.prefix_list_name {
                self.prefix_list_names.insert(p.prefix_list_id, name);
            }
        }
        let entries = doc.entries.unwrap_or_default();
        if !entries.is_empty() {
            let id = doc
                .prefix_list_id
                .or_else(|| prefix_list_id_in_name(path))
                .ok_or_else(|| {
                    bad(
                        ".Entries".to_string(),
                        "prefix-list entries without their list's id: name the file after \
                         it (pl-….json) or add \"PrefixListId\""
                            .to_string(),
                    )
                })?;
            let mut cidrs: Vec<Cidr> = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                cidrs.push(
                    e.cidr
                        .parse()
                        .map_err(|m| bad(format!(".Entries[{i}]"), m))?,
                );
            }
            self.prefix_lists.entry(id).or_default().extend(cidrs);
        }
        Ok(())
    }

    /// Builds the look-up indexes once every file is in.
    fn index(&mut self) {
        self.by_address.clear();
        self.by_id.clear();
        for (i, n) in self.interfaces.iter_mut().enumerate() {
            if n.name.is_none() {
                n.name = n
                    .instance
                    .as_ref()
                    .and_then(|id| self.instance_names.get(id))
                    .cloned();
            }
            self.by_id.insert(n.id.clone(), i);
            for a in &n.addresses {
                self.by_address.insert(*a, i);
            }
        }
        self.subnet_blocks = blocks_by_id(self.subnets.values().map(|s| (&s.id, &s.blocks)));
        self.vpc_blocks = blocks_by_id(self.vpcs.values().map(|v| (&v.id, &v.blocks)));
    }

    /// Adds AWS's `ip-ranges.json` (read from `path`): addresses outside the account are
    /// named by the AWS service and region that own them.
    pub fn load_ip_ranges(&mut self, path: &Path) -> Result<(), InventoryError> {
        let text = std::fs::read(path).map_err(|source| InventoryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.ranges =
            ranges::Ranges::parse(&text).map_err(|(at, message)| InventoryError::Json {
                path: path.to_path_buf(),
                at: json_path(&at),
                message: crate::sanitize::escape(message.as_bytes()),
            })?;
        Ok(())
    }

    /// The AWS range holding `addr` (from `ip-ranges.json`), if any.
    pub fn aws_range(&self, addr: IpAddr) -> Option<&ranges::AwsRange> {
        self.ranges.lookup(addr)
    }

    /// How many files were read.
    pub fn files(&self) -> usize {
        self.files
    }

    /// How many interfaces are known.
    pub fn interface_count(&self) -> usize {
        self.interfaces.len()
    }

    /// The interface that has `addr`, if one does.
    pub fn interface_of(&self, addr: IpAddr) -> Option<&Interface> {
        self.by_address.get(&addr).map(|&i| &self.interfaces[i])
    }

    /// The interface `eni-…`.
    pub fn interface(&self, id: &str) -> Option<&Interface> {
        self.by_id.get(id).map(|&i| &self.interfaces[i])
    }

    /// The security group `sg-…`.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id)
    }

    /// The network ACL associated with `subnet`.
    pub fn acl_of(&self, subnet: &str) -> Option<&Acl> {
        self.acl_of_subnet.get(subnet).map(|&i| &self.acls[i])
    }

    /// The subnet `subnet-…`.
    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.get(id)
    }

    /// The VPC `vpc-…`.
    pub fn vpc(&self, id: &str) -> Option<&Vpc> {
        self.vpcs.get(id)
    }

    /// The name of prefix list `pl-…` (`com.amazonaws.us-east-1.s3`).
    pub fn prefix_list_name(&self, id: &str) -> Option<&str> {
        self.prefix_list_names.get(id).map(String::as_str)
    }

    /// The entries of prefix list `pl-…`.
    pub fn prefix_list(&self, id: &str) -> Option<&[Cidr]> {
        self.prefix_lists.get(id).map(Vec::as_slice)
    }
}

impl Inventory {
    /// Who `addr` is, for people: its interface's owner (`web-1 (i-0abc)`, `NAT gateway:
    /// Interface for NAT Gateway nat-0f3`), else the subnet or VPC it lies in, else
    /// `internet` for a public address; `None` when nothing is known.
    pub fn name_of(&self, addr: IpAddr) -> Option<String> {
        if let Some(i) = self.interface_of(addr) {
            return Some(interface_label(i));
        }
        let place = self.place(addr);
        if let Some(s) = place.subnet {
            return Some(format!("subnet {}", s.name.as_deref().unwrap_or(&s.id)));
        }
        if let Some(v) = place.vpc {
            return Some(format!("vpc {}", v.name.as_deref().unwrap_or(&v.id)));
        }
        if let Some(r) = self.ranges.lookup(addr) {
            return Some(format!("AWS {} {}", r.service, r.region));
        }
        is_public(addr).then(|| "internet".to_string())
    }

    /// What traffic to `addr` is when flow logs never record it: what
    /// [`crate::names::never_logged`] knows, and the reserved addresses of the VPCs loaded
    /// (base + 1, the VPC router; base + 2, the Amazon DNS resolver).
    pub fn never_logged(&self, addr: IpAddr) -> Option<String> {
        if let Some(what) = crate::names::never_logged(addr) {
            return Some(what.to_string());
        }
        let IpAddr::V4(v4) = addr else { return None };
        self.vpcs.values().find_map(|v| {
            v.blocks.iter().find_map(|b| match b.first() {
                IpAddr::V4(base) if b.contains(addr) => {
                    match u32::from(v4).wrapping_sub(u32::from(base)) {
                        1 => Some(format!(
                            "the VPC router of {}",
                            v.name.as_deref().unwrap_or(&v.id)
                        )),
                        2 => Some(format!(
                            "the Amazon DNS resolver of {}",
                            v.name.as_deref().unwrap_or(&v.id)
                        )),
                        _ => None,
                    }
                }
                _ => None,
            })
        })
    }

    /// Who interface `eni-…` belongs to, for people (as [`Inventory::name_of`]).
    pub fn name_of_interface(&self, id: &str) -> Option<String> {
        self.interface(id).map(interface_label)
    }
}

/// `web-1 (i-0abc)`, `i-0abc`, `NAT gateway: Interface for NAT Gateway nat-0f3`, or the
/// interface's description.
fn interface_label(i: &Interface) -> String {
    let kind = match i.kind.as_deref() {
        Some("nat_gateway") => Some("NAT gateway"),
        Some("network_load_balancer") => Some("load balancer"),
        Some("gateway_load_balancer" | "gateway_load_balancer_endpoint") => {
            Some("gateway load balancer")
        }
        Some("vpc_endpoint") => Some("VPC endpoint"),
        Some("lambda") => Some("Lambda"),
        Some("transit_gateway") => Some("transit gateway"),
        _ => None,
    };
    match (&i.name, &i.instance, kind, &i.description) {
        (Some(n), Some(inst), _, _) => format!("{n} ({inst})"),
        (Some(n), None, _, _) => n.clone(),
        (None, Some(inst), _, _) => inst.clone(),
        (None, None, Some(k), Some(d)) => format!("{k}: {d}"),
        (None, None, Some(k), None) => format!("{k} {}", i.id),
        (None, None, None, Some(d)) => d.clone(),
        (None, None, None, None) => i.id.clone(),
    }
}

/// Whether `addr` is routed on the internet (not private, shared, loopback, link-local,
/// documentation or unspecified).
pub fn is_public(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Ids by address block, built in id order, so that the same block in two accounts
/// resolves the same way every run.
fn blocks_by_id<'a>(items: impl Iterator<Item = (&'a String, &'a Vec<Cidr>)>) -> PrefixMap<String> {
    let mut items: Vec<_> = items.collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    let mut map = PrefixMap::default();
    for (id, blocks) in items {
        for b in blocks {
            map.insert(*b, id.clone());
        }
    }
    map
}

/// serde_path_to_error's path (`SecurityGroups[3].IpPermissions`) as a JSON path from the
/// root (`.SecurityGroups[3].IpPermissions`).
/// Where in a file an error is, as `.Key[0].Other`: keys come from the file, so they are
/// escaped for the terminal like any other text read from it.
fn json_path(path: &str) -> String {
    let path = crate::sanitize::escape(path.as_bytes());
    match path.as_str() {
        "" | "." => ".".to_string(),
        p if p.starts_with('.') || p.starts_with('[') => p.to_string(),
        p => format!(".{p}"),
    }
}

/// `pl-0123abcd` in a file's name, as `get-managed-prefix-list-entries` leaves it out.
fn prefix_list_id_in_name(path: &Path) -> Option<String> {
    let name = path.file_stem()?.to_str()?;
    let at = name.find("pl-")?;
    let id: String = name[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (id.len() > 3).then_some(id)
}
