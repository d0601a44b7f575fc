//! Where an address sits in the account (its interface, subnet, VPC, availability zone, or
//! the AWS service that owns it), the scope of a conversation between two addresses, and
//! the groups (subnets, VPCs, security groups, zones, services) an address belongs to, for
//! filters and top lists.

use std::net::IpAddr;

use super::{Interface, Inventory, Subnet, Vpc, is_public};

/// Where one address sits, as far as the inventory knows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'a> {
    /// The account's interface that has the address (private, IPv6 or public).
    pub interface: Option<&'a Interface>,
    /// The subnet: the interface's, or the one whose block holds the address.
    pub subnet: Option<&'a Subnet>,
    /// The VPC: the interface's or subnet's, or the one whose block holds the address.
    pub vpc: Option<&'a Vpc>,
}

impl<'a> Place<'a> {
    /// The availability zone (the interface's, else its subnet's).
    pub fn az(&self) -> Option<&'a str> {
        self.interface
            .and_then(|i| i.az.as_deref())
            .or_else(|| self.subnet.and_then(|s| s.az.as_deref()))
    }

    /// Whether the address belongs to the account (an interface, subnet or VPC of it).
    pub fn in_account(&self) -> bool {
        self.interface.is_some() || self.subnet.is_some() || self.vpc.is_some()
    }

    /// The region, from the availability zone (`us-east-1a` → `us-east-1`).
    pub fn region(&self) -> Option<&'a str> {
        self.az()
            .map(|az| az.trim_end_matches(|c: char| c.is_ascii_lowercase()))
    }
}

/// Where a conversation goes: the reach of a flow, from its two addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Both ends in one subnet.
    Subnet,
    /// Both ends in one VPC, different subnets.
    Vpc,
    /// Between two VPCs of the account (peering, transit gateway).
    CrossVpc,
    /// To or from an AWS service's public range (`ip-ranges.json`).
    Service,
    /// To or from the internet (a public address outside the account and AWS's ranges).
    Internet,
    /// Between private addresses that are not both in the loaded VPCs (on-premises over
    /// VPN or Direct Connect, an account not loaded, or no inventory at all).
    Private,
}

impl Scope {
    /// Every scope, nearest first.
    pub const ALL: [Scope; 6] = [
        Scope::Subnet,
        Scope::Vpc,
        Scope::CrossVpc,
        Scope::Service,
        Scope::Internet,
        Scope::Private,
    ];

    /// Its name in filters, top lists and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Subnet => "subnet",
            Scope::Vpc => "vpc",
            Scope::CrossVpc => "cross-vpc",
            Scope::Service => "service",
            Scope::Internet => "internet",
            Scope::Private => "private",
        }
    }

    /// The scope named `text` (any case).
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }

    /// The scope of `src -> dst` when no inventory is loaded: `internet` when either end is
    /// a public address, `private` otherwise.
    pub fn without_inventory(src: Option<IpAddr>, dst: Option<IpAddr>) -> Scope {
        if src.into_iter().chain(dst).any(is_public) {
            Scope::Internet
        } else {
            Scope::Private
        }
    }
}

/// One end of a conversation as its scope sees it ([`Inventory::reach`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach<'a> {
    subnet: Option<&'a str>,
    vpc: Option<&'a str>,
    /// For a public address outside the account: `Service` or `Internet`.
    outside: Option<Scope>,
}

impl Scope {
    /// The scope of a conversation between two ends: the internet or a service when either
    /// end is outside the account, else as near as their subnets and VPCs are.
    pub fn between(src: Reach<'_>, dst: Reach<'_>) -> Scope {
        if let Some(outside) = src.outside.or(dst.outside) {
            return outside;
        }
        match (src.vpc, dst.vpc) {
            (Some(a), Some(b)) if a == b && src.subnet.is_some() && src.subnet == dst.subnet => {
                Scope::Subnet
            }
            (Some(a), Some(b)) if a == b => Scope::Vpc,
            (Some(_), Some(_)) => Scope::CrossVpc,
            _ => Scope::Private,
        }
    }
}

/// A kind of group an address belongs to by the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// `subnet-…`.
    Subnet,
    /// `vpc-…`.
    Vpc,
    /// `sg-…` (an interface has several).
    SecurityGroup,
    /// `us-east-1a`.
    Zone,
    /// An AWS service by `ip-ranges.json` (`S3`, `EC2`, …).
    Service,
}

impl Inventory {
    /// Where `addr` sits: its interface by exact address, else the most specific subnet
    /// block, else the VPC block holding it (longest-prefix match, never a scan).
    pub fn place(&self, addr: IpAddr) -> Place<'_> {
        let interface = self.interface_of(addr);
        let subnet = interface
            .and_then(|i| i.subnet.as_deref())
            .and_then(|id| self.subnets.get(id))
            .or_else(|| {
                self.subnet_blocks
                    .lookup(addr)
                    .and_then(|id| self.subnets.get(id))
            });
        let vpc = interface
            .and_then(|i| i.vpc.as_deref())
            .or_else(|| subnet.and_then(|s| s.vpc.as_deref()))
            .and_then(|id| self.vpcs.get(id))
            .or_else(|| {
                self.vpc_blocks
                    .lookup(addr)
                    .and_then(|id| self.vpcs.get(id))
            });
        Place {
            interface,
            subnet,
            vpc,
        }
    }

    /// The scope of a conversation from `src` to `dst` (see [`Scope`]).
    pub fn scope(&self, src: Option<IpAddr>, dst: Option<IpAddr>) -> Scope {
        match (src, dst) {
            (Some(s), Some(d)) => Scope::between(self.reach(s), self.reach(d)),
            _ => Scope::without_inventory(src, dst),
        }
    }

    /// What the scope of a conversation needs to know of one of its ends, to be kept
    /// when many conversations share an address.
    pub fn reach(&self, addr: IpAddr) -> Reach<'_> {
        self.reach_at(&self.place(addr), addr)
    }

    /// [`reach`](Self::reach) of `addr` already placed at `place`.
    pub fn reach_at<'a>(&'a self, place: &Place<'a>, addr: IpAddr) -> Reach<'a> {
        let outside = (!place.in_account() && is_public(addr)).then(|| {
            if self.ranges.lookup(addr).is_some() {
                Scope::Service
            } else {
                Scope::Internet
            }
        });
        Reach {
            subnet: place.subnet.map(|s| s.id.as_str()),
            vpc: place.vpc.map(|v| v.id.as_str()),
            outside,
        }
    }

    /// The groups of `kind` that `addr` belongs to, by id (`subnet-…`, `sg-…`, `S3`): none
    /// when the inventory does not place it.
    pub fn groups_of(&self, kind: GroupKind, addr: IpAddr) -> Vec<&str> {
        self.groups_at(&self.place(addr), kind, addr)
    }

    /// [`groups_of`](Self::groups_of) `addr` already placed at `place`.
    pub fn groups_at<'a>(
        &'a self,
        place: &Place<'a>,
        kind: GroupKind,
        addr: IpAddr,
    ) -> Vec<&'a str> {
        match kind {
            GroupKind::Subnet => place.subnet.map(|s| s.id.as_str()).into_iter().collect(),
            GroupKind::Vpc => place.vpc.map(|v| v.id.as_str()).into_iter().collect(),
            GroupKind::Zone => place.az().into_iter().collect(),
            GroupKind::SecurityGroup => place
                .interface
                .map(|i| i.groups.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            GroupKind::Service if !place.in_account() => self
                .ranges
                .lookup(addr)
                .map(|r| r.service.as_str())
                .into_iter()
                .collect(),
            GroupKind::Service => Vec::new(),
        }
    }

    /// The names a group id of `kind` is known by, beside its id (a subnet's, VPC's `Name`
    /// tag; a security group's name), for filters (`sg=web`) and top lists.
    pub fn group_name(&self, kind: GroupKind, id: &str) -> Option<&str> {
        match kind {
            GroupKind::Subnet => self.subnets.get(id).and_then(|s| s.name.as_deref()),
            GroupKind::Vpc => self.vpcs.get(id).and_then(|v| v.name.as_deref()),
            GroupKind::SecurityGroup => self.groups.get(id).and_then(|g| g.name.as_deref()),
            GroupKind::Zone | GroupKind::Service => None,
        }
    }

    /// Every interface, in load order.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// Every subnet, in no particular order.
    pub fn subnets(&self) -> impl Iterator<Item = &Subnet> {
        self.subnets.values()
    }

    /// Every VPC, in no particular order.
    pub fn vpcs(&self) -> impl Iterator<Item = &Vpc> {
        self.vpcs.values()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// The fixture account (tests/corpus/inventory: VPC prod with subnets web-a in
    /// us-east-1a and db-b in us-east-1b) plus a NAT gateway in web-a and a second VPC,
    /// `edge` in us-west-2, with one interface.
    pub(crate) fn account() -> Inventory {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/inventory");
        let mut inv = Inventory::default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            inv.add_json(&f, &std::fs::read(&f).unwrap()).unwrap();
        }
        let extra = r#"{
          "NetworkInterfaces": [
            {"NetworkInterfaceId": "eni-0nat", "InterfaceType": "nat_gateway",
             "Description": "Interface for NAT Gateway nat-0f3", "SubnetId": "subnet-0web",
             "VpcId": "vpc-0prod", "AvailabilityZone": "us-east-1a",
             "PrivateIpAddress": "10.0.1.100", "Groups": []},
            {"NetworkInterfaceId": "eni-0edge1", "InterfaceType": "interface",
             "SubnetId": "subnet-0edge", "VpcId": "vpc-0edge", "AvailabilityZone": "us-west-2a",
             "PrivateIpAddress": "10.9.0.10", "Groups": [{"GroupId": "sg-0web"}]}
          ],
          "Subnets": [{"SubnetId": "subnet-0edge", "CidrBlock": "10.9.0.0/24",
                       "AvailabilityZone": "us-west-2a", "VpcId": "vpc-0edge"}],
          "Vpcs": [{"VpcId": "vpc-0edge", "CidrBlock": "10.9.0.0/16",
                    "Tags": [{"Key": "Name", "Value": "edge"}]}]
        }"#;
        inv.add_json(Path::new("extra.json"), extra.as_bytes())
            .unwrap();
        inv.index();
        let ranges =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ip-ranges/ip-ranges.json");
        inv.load_ip_ranges(&ranges).unwrap();
        inv
    }

    fn ip(t: &str) -> IpAddr {
        t.parse().unwrap()
    }

    #[test]
    fn an_address_is_placed_by_its_interface_else_by_the_blocks_that_hold_it() {
        let inv = account();
        let p = inv.place(ip("10.0.1.10"));
        assert_eq!(p.interface.map(|i| i.id.as_str()), Some("eni-0web1"));
        assert_eq!(p.subnet.map(|s| s.id.as_str()), Some("subnet-0web"));
        assert_eq!(p.vpc.map(|v| v.id.as_str()), Some("vpc-0prod"));
        assert_eq!(
            (p.az(), p.region()),
            (Some("us-east-1a"), Some("us-east-1"))
        );
        // A public address of the account's interface is the interface.
        let p = inv.place(ip("54.210.0.5"));
        assert_eq!(p.interface.map(|i| i.id.as_str()), Some("eni-0bastion"));
        // No interface: the subnet block, then the VPC block.
        let p = inv.place(ip("10.0.2.99"));
        assert!(p.interface.is_none());
        assert_eq!(p.subnet.map(|s| s.id.as_str()), Some("subnet-0db"));
        assert_eq!(p.az(), Some("us-east-1b"));
        let p = inv.place(ip("10.0.3.7"));
        assert!(p.subnet.is_none());
        assert_eq!(p.vpc.map(|v| v.id.as_str()), Some("vpc-0prod"));
        assert!(!inv.place(ip("192.168.1.1")).in_account());
    }

    #[test]
    fn scopes_go_from_the_subnet_out_to_the_internet() {
        let inv = account();
        let scope = |s: &str, d: &str| inv.scope(Some(ip(s)), Some(ip(d)));
        assert_eq!(scope("10.0.1.10", "10.0.1.5"), Scope::Subnet);
        assert_eq!(scope("10.0.1.10", "10.0.2.20"), Scope::Vpc);
        // An address in the VPC but no subnet loaded is still within the VPC.
        assert_eq!(scope("10.0.3.7", "10.0.2.20"), Scope::Vpc);
        assert_eq!(scope("10.0.1.10", "10.9.0.10"), Scope::CrossVpc);
        assert_eq!(scope("10.0.1.10", "52.216.4.4"), Scope::Service);
        assert_eq!(scope("8.8.8.8", "10.0.1.10"), Scope::Internet);
        // The bastion's public address is the account's, not the internet.
        assert_eq!(scope("54.210.0.5", "10.0.1.10"), Scope::Subnet);
        assert_eq!(scope("10.0.1.10", "192.168.7.7"), Scope::Private);
        assert_eq!(inv.scope(Some(ip("10.0.1.10")), None), Scope::Private);
        assert_eq!(
            Scope::without_inventory(Some(ip("10.0.1.10")), Some(ip("8.8.8.8"))),
            Scope::Internet
        );
        for s in Scope::ALL {
            assert_eq!(Scope::parse(&s.as_str().to_uppercase()), Some(s));
        }
    }

    #[test]
    fn groups_of_an_address_by_kind() {
        let inv = account();
        let of = |k, a: &str| inv.groups_of(k, ip(a));
        assert_eq!(of(GroupKind::Subnet, "10.0.1.10"), ["subnet-0web"]);
        assert_eq!(of(GroupKind::Vpc, "10.0.2.99"), ["vpc-0prod"]);
        assert_eq!(of(GroupKind::Zone, "10.0.2.20"), ["us-east-1b"]);
        assert_eq!(of(GroupKind::SecurityGroup, "10.0.2.20"), ["sg-0db"]);
        assert!(of(GroupKind::SecurityGroup, "10.0.2.99").is_empty());
        assert_eq!(of(GroupKind::Service, "52.216.4.4"), ["S3"]);
        assert!(of(GroupKind::Service, "10.0.1.10").is_empty());
        assert_eq!(
            inv.group_name(GroupKind::SecurityGroup, "sg-0db"),
            Some("db")
        );
        assert_eq!(
            inv.group_name(GroupKind::Subnet, "subnet-0web"),
            Some("web-a")
        );
    }
}
