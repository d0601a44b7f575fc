//! The flow-log field catalogue and record formats.
//!
//! Owns: every field AWS documents for VPC and transit-gateway flow logs (v2 … v11, see
//! `FORMAT.md` §2 and §6) with its value type, the three spellings of a format
//! (`${account-id}`, `account-id`, `account_id`), the default v2 format, and the rule that
//! decides whether a line is an S3 header line.
//!
//! Never: decodes record values (that is `parse`), or guesses a format from a record's
//! `version` (it lies, FORMAT.md §9.11).

use std::fmt;
use std::sync::Arc;

use thiserror::Error;

/// How a field's text is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text kept as written (ids, names, enums AWS may extend).
    Text,
    /// An IPv4 or IPv6 address.
    Addr,
    /// An unsigned integer that must fit in 8 bits.
    U8,
    /// An unsigned integer that must fit in 16 bits (ports).
    U16,
    /// An unsigned integer that must fit in 64 bits (counters, Unix seconds).
    U64,
    /// `ACCEPT` or `REJECT`.
    Action,
    /// `OK`, `NODATA` or `SKIPDATA`.
    LogStatus,
}

macro_rules! fields {
    ($( $variant:ident = $name:literal, $kind:ident, $ver:literal; )*) => {
        /// A field AWS documents, by its canonical hyphenated name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $( #[doc = concat!("`", $name, "` (v", stringify!($ver), ")")] $variant, )* }

        impl Field {
            /// Every known field, in catalogue order (v2 table order first).
            pub const ALL: &'static [Field] = &[ $( Field::$variant, )* ];

            /// The canonical AWS name (`account-id`).
            pub const fn name(self) -> &'static str {
                match self { $( Field::$variant => $name, )* }
            }

            /// How the field's text is decoded.
            pub const fn kind(self) -> FieldKind {
                match self { $( Field::$variant => FieldKind::$kind, )* }
            }

            /// The flow-log version that introduced the field (6 = transit gateway set).
            pub const fn version(self) -> u8 {
                match self { $( Field::$variant => $ver, )* }
            }
        }
    };
}

fields! {
    Version = "version", U8, 2;
    AccountId = "account-id", Text, 2;
    InterfaceId = "interface-id", Text, 2;
    SrcAddr = "srcaddr", Addr, 2;
    DstAddr = "dstaddr", Addr, 2;
    SrcPort = "srcport", U16, 2;
    DstPort = "dstport", U16, 2;
    Protocol = "protocol", U8, 2;
    Packets = "packets", U64, 2;
    Bytes = "bytes", U64, 2;
    Start = "start", U64, 2;
    End = "end", U64, 2;
    Action = "action", Action, 2;
    LogStatus = "log-status", LogStatus, 2;
    VpcId = "vpc-id", Text, 3;
    SubnetId = "subnet-id", Text, 3;
    InstanceId = "instance-id", Text, 3;
    TcpFlags = "tcp-flags", U8, 3;
    Type = "type", Text, 3;
    PktSrcAddr = "pkt-srcaddr", Addr, 3;
    PktDstAddr = "pkt-dstaddr", Addr, 3;
    Region = "region", Text, 4;
    AzId = "az-id", Text, 4;
    SublocationType = "sublocation-type", Text, 4;
    SublocationId = "sublocation-id", Text, 4;
    PktSrcAwsService = "pkt-src-aws-service", Text, 5;
    PktDstAwsService = "pkt-dst-aws-service", Text, 5;
    FlowDirection = "flow-direction", Text, 5;
    TrafficPath = "traffic-path", U8, 5;
    ResourceType = "resource-type", Text, 6;
    TgwId = "tgw-id", Text, 6;
    TgwAttachmentId = "tgw-attachment-id", Text, 6;
    TgwSrcVpcAccountId = "tgw-src-vpc-account-id", Text, 6;
    TgwDstVpcAccountId = "tgw-dst-vpc-account-id", Text, 6;
    TgwSrcVpcId = "tgw-src-vpc-id", Text, 6;
    TgwDstVpcId = "tgw-dst-vpc-id", Text, 6;
    TgwSrcSubnetId = "tgw-src-subnet-id", Text, 6;
    TgwDstSubnetId = "tgw-dst-subnet-id", Text, 6;
    TgwSrcEni = "tgw-src-eni", Text, 6;
    TgwDstEni = "tgw-dst-eni", Text, 6;
    TgwSrcAzId = "tgw-src-az-id", Text, 6;
    TgwDstAzId = "tgw-dst-az-id", Text, 6;
    TgwPairAttachmentId = "tgw-pair-attachment-id", Text, 6;
    PacketsLostNoRoute = "packets-lost-no-route", U64, 6;
    PacketsLostBlackhole = "packets-lost-blackhole", U64, 6;
    PacketsLostMtuExceeded = "packets-lost-mtu-exceeded", U64, 6;
    PacketsLostTtlExpired = "packets-lost-ttl-expired", U64, 6;
    EcsClusterArn = "ecs-cluster-arn", Text, 7;
    EcsClusterName = "ecs-cluster-name", Text, 7;
    EcsContainerInstanceArn = "ecs-container-instance-arn", Text, 7;
    EcsContainerInstanceId = "ecs-container-instance-id", Text, 7;
    EcsContainerId = "ecs-container-id", Text, 7;
    EcsSecondContainerId = "ecs-second-container-id", Text, 7;
    EcsServiceName = "ecs-service-name", Text, 7;
    EcsTaskDefinitionArn = "ecs-task-definition-arn", Text, 7;
    EcsTaskArn = "ecs-task-arn", Text, 7;
    EcsTaskId = "ecs-task-id", Text, 7;
    RejectReason = "reject-reason", Text, 8;
    ResourceId = "resource-id", Text, 9;
    EncryptionStatus = "encryption-status", U8, 10;
    InstanceTag = "instance-tag", Text, 11;
    InstanceTag2 = "instance-tag-2", Text, 11;
    InterfaceTag = "interface-tag", Text, 11;
    InterfaceTag2 = "interface-tag-2", Text, 11;
    AsgTag = "asg-tag", Text, 11;
    AsgTag2 = "asg-tag-2", Text, 11;
    InterfaceType = "interface-type", Text, 11;
    NextHopInterfaceId = "next-hop-interface-id", Text, 11;
    NextHopSubnetId = "next-hop-subnet-id", Text, 11;
    NextHopAzId = "next-hop-az-id", Text, 11;
    NextHopVpcId = "next-hop-vpc-id", Text, 11;
    NextHopInterfaceType = "next-hop-interface-type", Text, 11;
}

impl Field {
    /// Looks a field up by any of its spellings: `account-id`, `account_id`, `${account-id}`.
    pub fn lookup(name: &str) -> Option<Field> {
        let bare = strip_placeholder(name);
        Field::ALL
            .iter()
            .copied()
            .find(|f| same_name(f.name(), bare))
    }

    /// The name used as a JSON key in `records` output (`account_id`).
    pub fn json_key(self) -> String {
        self.name().replace('-', "_")
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Compares a canonical hyphenated name with a candidate that may use `_` instead of `-`.
fn same_name(canonical: &str, candidate: &str) -> bool {
    canonical.len() == candidate.len()
        && canonical
            .bytes()
            .zip(candidate.bytes())
            .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
}

/// `${name}` → `name`; anything else unchanged.
fn strip_placeholder(token: &str) -> &str {
    token
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(token)
}

/// One column of a format: a known field, or a name vpctop does not know (kept as text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Column {
    /// A field from the catalogue.
    Known(Field),
    /// A field name from a header or `--format` that is not in the catalogue.
    Unknown(String),
}

impl Column {
    /// How values in this column are decoded (unknown fields are text).
    pub fn kind(&self) -> FieldKind {
        match self {
            Column::Known(f) => f.kind(),
            Column::Unknown(_) => FieldKind::Text,
        }
    }

    /// The canonical name (hyphenated for known fields, as written for unknown ones).
    pub fn name(&self) -> &str {
        match self {
            Column::Known(f) => f.name(),
            Column::Unknown(n) => n,
        }
    }

    /// The JSON key in `records` output: the name with `-` replaced by `_`.
    pub fn json_key(&self) -> String {
        self.name().replace('-', "_")
    }
}

/// Why a `--format` string was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FormatError {
    /// The string had no field names at all.
    #[error("the format names no fields")]
    Empty,
    /// A token is not a field name (`${…}` placeholder, or letters, digits, `-`, `_`).
    #[error(
        "`{token}` is not a field name (expected e.g. `${{srcaddr}}`, `srcaddr` or `pkt_srcaddr`)"
    )]
    BadToken {
        /// The offending token as written.
        token: String,
    },
    /// The same field appears twice.
    #[error("field `{name}` appears twice in the format")]
    Duplicate {
        /// The repeated field's canonical name.
        name: String,
    },
    /// A name that is not a flow-log field (most often a typo).
    #[error(
        "`{name}` is not a flow-log field{}; --allow-unknown-fields keeps unknown names as text",
        suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
    )]
    Unknown {
        /// The name as written.
        name: String,
        /// The nearest known field name, when one is close.
        suggestion: Option<String>,
    },
}

/// The ordered columns of a record format, with the column of each known field precomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    columns: Vec<Column>,
    kinds: Box<[FieldKind]>,
    index: Box<[Option<u16>]>,
}

impl Schema {
    /// Builds a schema from columns; every known field may appear at most once.
    pub fn new(columns: Vec<Column>) -> Result<Schema, FormatError> {
        if columns.is_empty() {
            return Err(FormatError::Empty);
        }
        let mut index = vec![None; Field::ALL.len()].into_boxed_slice();
        let mut unknown_seen: Vec<&str> = Vec::new();
        for (i, column) in columns.iter().enumerate() {
            let duplicate = match column {
                Column::Known(f) => index[*f as usize].replace(i as u16).is_some(),
                Column::Unknown(n) => {
                    let seen = unknown_seen.contains(&n.as_str());
                    unknown_seen.push(n);
                    seen
                }
            };
            if duplicate {
                return Err(FormatError::Duplicate {
                    name: column.name().to_string(),
                });
            }
        }
        let kinds = columns.iter().map(Column::kind).collect();
        Ok(Schema {
            columns,
            kinds,
            index,
        })
    }

    /// The default v2 format: the 14 v2 fields in table order.
    pub fn default_v2() -> Schema {
        let columns = Field::ALL
            .iter()
            .filter(|f| f.version() == 2)
            .map(|&f| Column::Known(f))
            .collect();
        Schema::new(columns).expect("the v2 catalogue has no duplicates")
    }

    /// Whether this is the 14-field default format (the parser has a fast path for it).
    pub fn is_default_v2(&self) -> bool {
        static DEFAULT: std::sync::LazyLock<Schema> = std::sync::LazyLock::new(Schema::default_v2);
        self.columns == DEFAULT.columns
    }

    /// Parses a format in any spelling: `${version} ${srcaddr}`, `version srcaddr`,
    /// `version account_id`. Runs of spaces (and tabs, as users paste them) separate names.
    pub fn parse_format(text: &str) -> Result<Schema, FormatError> {
        let mut columns = Vec::new();
        for token in text.split_ascii_whitespace() {
            let bare = strip_placeholder(token);
            if !is_field_name_like(bare.as_bytes(), true) {
                return Err(FormatError::BadToken {
                    token: token.to_string(),
                });
            }
            columns.push(match Field::lookup(bare) {
                Some(f) => Column::Known(f),
                None => Column::Unknown(bare.replace('_', "-")),
            });
        }
        Schema::new(columns)
    }

    /// Fails on the first column that is not a known field, suggesting the nearest known name.
    /// For `--format`, where an unknown name is far more often a typo than a field newer than
    /// vpctop (header lines in the data are not checked: AWS may add fields).
    pub fn require_known(&self) -> Result<(), FormatError> {
        match self.columns.iter().find_map(|c| match c {
            Column::Unknown(name) => Some(name),
            Column::Known(_) => None,
        }) {
            None => Ok(()),
            Some(name) => Err(FormatError::Unknown {
                name: name.clone(),
                suggestion: nearest_field(name).map(|f| f.name().to_string()),
            }),
        }
    }

    /// Reads a line as an S3 header: every token is a field name (known, or shaped like
    /// one: `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, FORMAT.md §9.1), at least three are known, and
    /// unknown names are at most a third as many as known ones. A header from a newer AWS with
    /// a few fields vpctop does not know yet passes; prose such as `end of the notes` (one known
    /// word among unknown ones) or a lone `end` does not. Returns `None` for anything else,
    /// including a header naming a field twice.
    pub fn from_header_line(line: &[u8]) -> Option<Schema> {
        let first = *line.iter().find(|b| **b != b' ')?;
        if !first.is_ascii_lowercase() {
            return None;
        }
        let mut columns = Vec::new();
        let mut known = 0usize;
        for token in line.split(|b| *b == b' ').filter(|t| !t.is_empty()) {
            if !is_field_name_like(token, false) {
                return None;
            }
            // The shape check above guarantees ASCII.
            let name = std::str::from_utf8(token).ok()?;
            match Field::lookup(name) {
                Some(f) => {
                    known += 1;
                    columns.push(Column::Known(f));
                }
                None => columns.push(Column::Unknown(name.to_string())),
            }
        }
        let unknown = columns.len() - known;
        if known < MIN_KNOWN_IN_HEADER || unknown * 3 > known {
            return None;
        }
        Schema::new(columns).ok()
    }

    /// The columns in record order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The value type of each column, in record order (the parser's hot loop reads this).
    #[inline]
    pub fn kinds(&self) -> &[FieldKind] {
        &self.kinds
    }

    /// How many values a record of this format has.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Always false: a schema has at least one column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column holding `field`, if the format has it.
    #[inline]
    pub fn position(&self, field: Field) -> Option<usize> {
        self.index[field as usize].map(usize::from)
    }

    /// Whether the format has `field`.
    pub fn has(&self, field: Field) -> bool {
        self.position(field).is_some()
    }

    /// The format as an AWS `${field}` string, for messages and round trips.
    pub fn to_format_string(&self) -> String {
        self.columns
            .iter()
            .map(|c| format!("${{{}}}", c.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The known field nearest to `name` in edit distance, when it is close enough to be a typo
/// (at most a third of the name's length, and at least one edit).
pub fn nearest_field(name: &str) -> Option<Field> {
    let budget = (name.len() / 3).max(1);
    Field::ALL
        .iter()
        .map(|f| (strsim::damerau_levenshtein(name, f.name()), *f))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// The fewest known field names a header line must hold (see [`Schema::from_header_line`]).
const MIN_KNOWN_IN_HEADER: usize = 3;

/// A set of known fields (the catalogue has fewer than 128).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldSet(u128);

const _: () = assert!(Field::ALL.len() <= 128, "FieldSet holds at most 128 fields");

impl FieldSet {
    /// The known fields of `schema`.
    pub fn of(schema: &Schema) -> FieldSet {
        let mut bits = 0u128;
        for c in schema.columns() {
            if let Column::Known(f) = c {
                bits |= 1 << (*f as u32);
            }
        }
        FieldSet(bits)
    }

    /// Whether `field` is in the set.
    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << (field as u32)) != 0
    }

    /// Adds every field of `other`.
    pub fn add(&mut self, other: FieldSet) {
        self.0 |= other.0;
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A shared, immutable schema: one per distinct format seen.
pub type SharedSchema = Arc<Schema>;

/// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, with `_` also allowed as a separator when `allow_underscore`.
fn is_field_name_like(token: &[u8], allow_underscore: bool) -> bool {
    let Some((&first, rest)) = token.split_first() else {
        return false;
    };
    if !first.is_ascii_lowercase() {
        return false;
    }
    let mut after_separator = false;
    for &b in rest {
        let separator = b == b'-' || (allow_underscore && b == b'_');
        if separator {
            if after_separator {
                return false;
            }
            after_separator = true;
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() {
            after_separator = false;
        } else {
            return false;
        }
    }
    !after_separator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_v2_has_fourteen_fields_in_table_order() {
        let s = Schema::default_v2();
        let names: Vec<_> = s.columns().iter().map(Column::name).collect();
        assert_eq!(
            names.join(" "),
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
             bytes start end action log-status"
        );
        assert_eq!(s.position(Field::LogStatus), Some(13));
        assert_eq!(s.position(Field::VpcId), None);
    }

    #[test]
    fn all_three_spellings_give_the_same_schema() {
        let a = Schema::parse_format("${version} ${account-id} ${pkt-srcaddr}").unwrap();
        let b = Schema::parse_format("version account-id pkt-srcaddr").unwrap();
        let c = Schema::parse_format("version  account_id\tpkt_srcaddr").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.position(Field::PktSrcAddr), Some(2));
    }

    #[test]
    fn unknown_names_are_kept_as_text_columns() {
        let s = Schema::parse_format("${version} ${future-field} ${srcaddr}").unwrap();
        assert_eq!(s.columns()[1], Column::Unknown("future-field".into()));
        assert_eq!(s.columns()[1].kind(), FieldKind::Text);
        assert_eq!(s.columns()[1].json_key(), "future_field");
    }

    #[test]
    fn bad_formats_are_refused_with_a_reason() {
        assert_eq!(Schema::parse_format("  "), Err(FormatError::Empty));
        assert!(matches!(
            Schema::parse_format("version Src"),
            Err(FormatError::BadToken { .. })
        ));
        assert!(matches!(
            Schema::parse_format("srcaddr ${srcaddr}"),
            Err(FormatError::Duplicate { .. })
        ));
    }

    #[test]
    fn an_unknown_name_suggests_the_nearest_field() {
        let err = |f: &str| {
            Schema::parse_format(f)
                .unwrap()
                .require_known()
                .unwrap_err()
        };
        assert_eq!(
            err("version srcadr dstaddr"),
            FormatError::Unknown {
                name: "srcadr".into(),
                suggestion: Some("srcaddr".into())
            }
        );
        let msg = err("version dstprot").to_string();
        assert!(msg.contains("did you mean `dstport`?"), "{msg}");
        assert!(msg.contains("--allow-unknown-fields"), "{msg}");
        // Nothing close: no suggestion.
        assert_eq!(
            err("version zzzzzzzzzz"),
            FormatError::Unknown {
                name: "zzzzzzzzzz".into(),
                suggestion: None
            }
        );
        // Underscore spelling of a known field is known.
        assert!(
            Schema::parse_format("version pkt_srcaddr")
                .unwrap()
                .require_known()
                .is_ok()
        );
    }

    #[test]
    fn header_detection_follows_the_format_md_rule() {
        assert!(Schema::from_header_line(b"version account-id srcaddr").is_some());
        // Need not start with version.
        let nat = b"instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr";
        assert_eq!(Schema::from_header_line(nat).unwrap().len(), 6);
        // Unknown but well-shaped names are fine next to as many known ones.
        assert!(Schema::from_header_line(b"version srcaddr dstaddr brand-new-field").is_some());
        let v2_and_two_new = "version account-id interface-id srcaddr dstaddr srcport dstport \
            protocol packets bytes start end action log-status new-one new-two";
        assert!(Schema::from_header_line(v2_and_two_new.as_bytes()).is_some());
        // Prose and code with a field name in them are not headers.
        for text in [
            "end",
            "end of the notes",
            "version brand-new-field",
            "the start and end of a flow",
            "if action then",
            "return bytes",
            "protocol version three",
        ] {
            assert!(
                Schema::from_header_line(text.as_bytes()).is_none(),
                "{text}"
            );
        }
        // A record whose ids look like names is not a header: no known name.
        assert!(Schema::from_header_line(b"i-0123abc eni-1111aaaa").is_none());
        // A record with numbers or addresses is not a header.
        assert!(
            Schema::from_header_line(b"- eni-1 10.0.1.5 10.0.0.220 10.0.1.5 1.2.3.4").is_none()
        );
        assert!(Schema::from_header_line(b"2 123 eni-1 - - - - - - - 1 2 - NODATA").is_none());
        assert!(Schema::from_header_line(b"").is_none());
        assert!(Schema::from_header_line(b"version Version").is_none());
        assert!(Schema::from_header_line(b"version account_id").is_none());
    }

    #[test]
    fn every_field_name_is_unique_and_well_shaped() {
        for (i, a) in Field::ALL.iter().enumerate() {
            assert!(is_field_name_like(a.name().as_bytes(), false), "{a}");
            assert_eq!(Field::lookup(a.name()), Some(*a));
            assert_eq!(Field::lookup(&a.json_key()), Some(*a));
            for b in &Field::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }

    #[test]
    fn format_string_round_trips() {
        let s = Schema::parse_format("version x-y srcaddr").unwrap();
        assert_eq!(Schema::parse_format(&s.to_format_string()).unwrap(), s);
    }
}
