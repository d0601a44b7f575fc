//! Filter tests on what the inventory knows of an address rather than on a flow-log field:
//! `name=web-*`, `sg=db`, `subnet=db-b`, `vpc=prod`, `az=us-east-1a`, `service=S3` (each also
//! as `src…`/`dst…`), and `scope=internet`.
//!
//! A test is parsed on its own and bound to an inventory afterwards
//! ([`Filter::bind`](super::Filter::bind)): binding resolves the pattern once into the
//! addresses and blocks that match, so a record is then tested by a hash look-up per
//! address and a short scan of the matching blocks, never by walking the inventory.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use super::Pattern;
use super::build::Side;
use super::fields::FieldSource;
use crate::inventory::{Cidr, GroupKind, Inventory, Scope};
use crate::schema::Field;

/// What of an address an owner test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// The owner's name: its interface's `Name` tag or instance name, or the label the
    /// panes show (`web-1 (i-0abc)`, `NAT gateway: …`); also the interface and instance ids.
    Name,
    /// A group it belongs to, matched by id or name.
    Group(GroupKind),
}

impl Owner {
    /// The field name in the filter language (without a `src`/`dst` prefix).
    pub(super) fn word(self) -> &'static str {
        match self {
            Owner::Name => "name",
            Owner::Group(GroupKind::Subnet) => "subnet",
            Owner::Group(GroupKind::Vpc) => "vpc",
            Owner::Group(GroupKind::SecurityGroup) => "sg",
            Owner::Group(GroupKind::Zone) => "az",
            Owner::Group(GroupKind::Service) => "service",
        }
    }

    /// The owner field `word` names (`srcsg` → (security group, source side)).
    pub(super) fn lookup(word: &str) -> Option<(Owner, Side)> {
        let (side, rest) = if let Some(r) = word.strip_prefix("src") {
            (Side::Src, r)
        } else if let Some(r) = word.strip_prefix("dst") {
            (Side::Dst, r)
        } else {
            (Side::Either, word)
        };
        let owner = match rest {
            "name" => Owner::Name,
            "subnet" => Owner::Group(GroupKind::Subnet),
            "vpc" => Owner::Group(GroupKind::Vpc),
            "sg" => Owner::Group(GroupKind::SecurityGroup),
            "az" => Owner::Group(GroupKind::Zone),
            "service" => Owner::Group(GroupKind::Service),
            _ => return None,
        };
        Some((owner, side))
    }

    /// The flow-log field that says the same of the logging interface without an inventory.
    pub(super) fn record_field(self) -> Option<Field> {
        match self {
            Owner::Group(GroupKind::Subnet) => Some(Field::SubnetId),
            Owner::Group(GroupKind::Vpc) => Some(Field::VpcId),
            _ => None,
        }
    }
}

/// A test on the owner of one or both addresses.
#[derive(Debug, Clone)]
pub(super) struct OwnerTest {
    pub(super) owner: Owner,
    pub(super) side: Side,
    pub(super) pattern: Pattern,
    /// Where the test's field name is, for the error when no inventory can bind it.
    pub(super) column: usize,
    /// What matches, once bound.
    bound: Option<Arc<Bound>>,
}

impl PartialEq for OwnerTest {
    fn eq(&self, other: &OwnerTest) -> bool {
        (self.owner, self.side, &self.pattern) == (other.owner, other.side, &other.pattern)
    }
}

/// The addresses an owner test matches, resolved from the inventory once.
#[derive(Debug)]
struct Bound {
    inventory: Arc<Inventory>,
    /// Addresses of matching interfaces.
    exact: HashSet<IpAddr, foldhash::fast::RandomState>,
    /// Blocks of matching subnets and VPCs.
    blocks: Vec<Cidr>,
}

impl OwnerTest {
    /// A test of `text`, a pattern with `*` wildcards unless `exact`.
    pub(super) fn new(
        owner: Owner,
        side: Side,
        text: &str,
        column: usize,
        exact: bool,
    ) -> OwnerTest {
        let text = match owner {
            Owner::Group(GroupKind::Service) => text.to_ascii_uppercase(),
            Owner::Group(GroupKind::Zone) => text.to_ascii_lowercase(),
            _ => text.to_string(),
        };
        OwnerTest {
            owner,
            side,
            pattern: if exact {
                Pattern::exact(&text)
            } else {
                Pattern::new(&text)
            },
            column,
            bound: None,
        }
    }

    /// A test of exactly `id` (no wildcards), as the program builds one.
    pub(super) fn exact(owner: Owner, side: Side, id: &str) -> OwnerTest {
        OwnerTest {
            pattern: Pattern::exact(id),
            ..OwnerTest::new(owner, side, "", 0, true)
        }
    }

    /// Whether the test can be answered without an inventory (from a flow-log field).
    pub(super) fn works_unbound(&self) -> bool {
        self.owner.record_field().is_some() && self.side == Side::Either
    }

    /// The flow-log fields the test reads.
    pub(super) fn fields(&self) -> Vec<Field> {
        match (&self.bound, self.owner.record_field()) {
            (None, Some(f)) => vec![f],
            _ => match self.side {
                Side::Src => vec![Field::SrcAddr],
                Side::Dst => vec![Field::DstAddr],
                Side::Either => vec![Field::SrcAddr, Field::DstAddr],
            },
        }
    }

    /// Resolves the test against `inv`.
    pub(super) fn bind(&mut self, inv: &Arc<Inventory>) {
        let matches = |id: &str, name: Option<&str>| {
            self.pattern.matches(id.as_bytes())
                || name.is_some_and(|n| self.pattern.matches(n.as_bytes()))
        };
        let mut exact = HashSet::default();
        let mut blocks = Vec::new();
        match self.owner {
            Owner::Name => {
                for i in inv.interfaces() {
                    let label = inv.name_of_interface(&i.id);
                    let hit = matches(&i.id, i.name.as_deref())
                        || i.instance.as_deref().is_some_and(|x| matches(x, None))
                        || label.as_deref().is_some_and(|l| matches(l, None));
                    if hit {
                        exact.extend(i.addresses.iter().copied());
                    }
                }
            }
            Owner::Group(kind @ (GroupKind::Subnet | GroupKind::Vpc | GroupKind::Zone)) => {
                let hit_subnet = |s: &crate::inventory::Subnet| match kind {
                    GroupKind::Subnet => matches(&s.id, s.name.as_deref()),
                    GroupKind::Zone => s.az.as_deref().is_some_and(|az| matches(az, None)),
                    _ => false,
                };
                for s in inv.subnets().filter(|s| hit_subnet(s)) {
                    blocks.extend(s.blocks.iter().copied());
                }
                if kind == GroupKind::Vpc {
                    for v in inv.vpcs().filter(|v| matches(&v.id, v.name.as_deref())) {
                        blocks.extend(v.blocks.iter().copied());
                    }
                }
                // Interfaces by the group they name, so public addresses count too.
                for i in inv.interfaces() {
                    let hit = match kind {
                        GroupKind::Subnet => i
                            .subnet
                            .as_deref()
                            .is_some_and(|id| matches(id, inv.group_name(GroupKind::Subnet, id))),
                        GroupKind::Vpc => i
                            .vpc
                            .as_deref()
                            .is_some_and(|id| matches(id, inv.group_name(GroupKind::Vpc, id))),
                        _ => i.az.as_deref().is_some_and(|az| matches(az, None)),
                    };
                    if hit {
                        exact.extend(i.addresses.iter().copied());
                    }
                }
            }
            Owner::Group(GroupKind::SecurityGroup) => {
                for i in inv.interfaces() {
                    let hit = i
                        .groups
                        .iter()
                        .any(|g| matches(g, inv.group_name(GroupKind::SecurityGroup, g)));
                    if hit {
                        exact.extend(i.addresses.iter().copied());
                    }
                }
            }
            Owner::Group(GroupKind::Service) => {}
        }
        self.bound = Some(Arc::new(Bound {
            inventory: Arc::clone(inv),
            exact,
            blocks,
        }));
    }

    /// Once bound: the addresses it matches (sorted) and the blocks.
    pub(super) fn resolved(&self) -> Option<(Vec<IpAddr>, Vec<Cidr>)> {
        let b = self.bound.as_ref()?;
        let mut exact: Vec<IpAddr> = b.exact.iter().copied().collect();
        exact.sort();
        Some((exact, b.blocks.clone()))
    }

    fn addr_matches(&self, b: &Bound, a: IpAddr) -> bool {
        match self.owner {
            Owner::Group(GroupKind::Service) => {
                !b.inventory.place(a).in_account()
                    && b.inventory
                        .aws_range(a)
                        .is_some_and(|r| self.pattern.matches(r.service.as_bytes()))
            }
            _ => b.exact.contains(&a) || b.blocks.iter().any(|c| c.contains(a)),
        }
    }

    pub(super) fn eval(&self, r: &dyn FieldSource) -> bool {
        let by_field = self.side == Side::Either
            && self
                .owner
                .record_field()
                .and_then(|f| r.text(f))
                .is_some_and(|v| self.pattern.matches(v));
        if by_field {
            return true;
        }
        let Some(b) = &self.bound else { return false };
        let at = |f: Field| r.addr(f).is_some_and(|a| self.addr_matches(b, a));
        match self.side {
            Side::Src => at(Field::SrcAddr),
            Side::Dst => at(Field::DstAddr),
            Side::Either => at(Field::SrcAddr) || at(Field::DstAddr),
        }
    }
}

/// `scope=…`: where a conversation goes (see [`Scope`]); without an inventory only
/// `internet` and `private` can be told apart.
#[derive(Debug, Clone)]
pub(super) struct ScopeTest {
    pub(super) scope: Scope,
    pub(super) column: usize,
    inventory: Option<Arc<Inventory>>,
}

impl PartialEq for ScopeTest {
    fn eq(&self, other: &ScopeTest) -> bool {
        self.scope == other.scope
    }
}

impl ScopeTest {
    pub(super) fn new(scope: Scope, column: usize) -> ScopeTest {
        ScopeTest {
            scope,
            column,
            inventory: None,
        }
    }

    /// Whether the scope can be told without an inventory.
    pub(super) fn works_unbound(&self) -> bool {
        matches!(self.scope, Scope::Internet | Scope::Private)
    }

    pub(super) fn bind(&mut self, inv: &Arc<Inventory>) {
        self.inventory = Some(Arc::clone(inv));
    }

    pub(super) fn eval(&self, r: &dyn FieldSource) -> bool {
        let (s, d) = (r.addr(Field::SrcAddr), r.addr(Field::DstAddr));
        let scope = match &self.inventory {
            Some(inv) => inv.scope(s, d),
            None => Scope::without_inventory(s, d),
        };
        scope == self.scope
    }
}
