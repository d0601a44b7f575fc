//! The Athena table for a flow log's S3 objects: `CREATE EXTERNAL TABLE` with one column
//! per field of the format (named and typed as in AWS's documented tables) and partition
//! projection over the delivery layout, so no partition is ever added by hand and a
//! query's day range reads only those days' objects.
//!
//! Layouts (AWS's key prefixes under `AWSLogs/`):
//! - default: `{account}/vpcflowlogs/{region}/{yyyy}/{MM}/{dd}/[{HH}/]`, partitions
//!   `day` (`yyyy/MM/dd`) and with `hourly` `hour`;
//! - Hive-compatible: `aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/
//!   year={yyyy}/month={MM}/day={dd}/[hour={HH}/]`, partitions `year`, `month`, `day`
//!   [, `hour`].
//!
//! The account and region are partitions too (`aws_account_id`, `aws_region`, projected
//! from the values given), unless the location already holds them.

use std::fmt::Write as _;

use super::athena::column_type;
use super::column_name;
use crate::schema::{Column, Schema};

/// What the table is made for.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Table name (`vpc_flow_logs`, or `db.table`).
    pub name: String,
    /// The format of the objects (text: in column order; Parquet: by name).
    pub schema: Schema,
    /// `s3://bucket/prefix/AWSLogs/`, or deeper (`…/AWSLogs/123456789012/vpcflowlogs/us-east-1/`).
    pub location: String,
    /// Parquet objects instead of gzip text.
    pub parquet: bool,
    /// The Hive-compatible key layout.
    pub hive: bool,
    /// Per-hour partitions in the keys.
    pub hourly: bool,
    /// Accounts whose objects are under the location (when it does not hold one).
    pub accounts: Vec<String>,
    /// Regions whose objects are under the location (when it does not hold one).
    pub regions: Vec<String>,
}

/// Why a table cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    /// The location is no S3 URL.
    #[error("--location must be an s3:// URL, such as s3://my-bucket/AWSLogs/")]
    Location,
    /// The account or region is in the keys, and neither the location nor a flag gives it.
    #[error(
        "the objects' keys hold the account and region: give --account and --region \
         (comma-separated lists are fine), or a --location that already ends in the \
         region's folder (…/AWSLogs/123456789012/vpcflowlogs/us-east-1/)"
    )]
    AccountAndRegion,
    /// A value that would break out of its quoted property.
    #[error("`{0}` is no account id or region")]
    BadValue(String),
}

/// `CREATE EXTERNAL TABLE` for `spec` (see the module documentation).
pub fn create_table(spec: &TableSpec) -> Result<String, DdlError> {
    let location = spec.location.trim_end_matches('/');
    if !location.starts_with("s3://") || location.len() <= "s3://".len() || location.contains('\'')
    {
        return Err(DdlError::Location);
    }
    let holds_region = if spec.hive {
        location.contains("aws-region=")
    } else {
        location
            .rsplit('/')
            .nth(1)
            .is_some_and(|folder| folder == "vpcflowlogs")
    };
    for v in spec.accounts.iter().chain(&spec.regions) {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(DdlError::BadValue(v.clone()));
        }
    }
    let by_values = !holds_region;
    if by_values && (spec.accounts.is_empty() || spec.regions.is_empty()) {
        return Err(DdlError::AccountAndRegion);
    }
    let mut partitions: Vec<&str> = Vec::new();
    if by_values {
        partitions.extend(["aws_account_id", "aws_region"]);
    }
    if spec.hive {
        partitions.extend(["year", "month", "day"]);
    } else {
        partitions.push("day");
    }
    if spec.hourly {
        partitions.push("hour");
    }

    let mut sql = String::new();
    let _ = writeln!(sql, "CREATE EXTERNAL TABLE IF NOT EXISTS {} (", spec.name);
    let columns: Vec<String> = spec
        .schema
        .columns()
        .iter()
        .map(|c| match c {
            Column::Known(f) => format!("  `{}` {}", column_name(*f), column_type(*f)),
            Column::Unknown(name) => format!("  `{}` string", name.replace(['-', '`'], "_")),
        })
        .collect();
    sql.push_str(&columns.join(",\n"));
    sql.push_str("\n)\n");
    let parts: Vec<String> = partitions.iter().map(|p| format!("`{p}` string")).collect();
    let _ = writeln!(sql, "PARTITIONED BY ({})", parts.join(", "));
    if spec.parquet {
        sql.push_str("STORED AS PARQUET\n");
    } else {
        sql.push_str("ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\n");
    }
    let _ = writeln!(sql, "LOCATION '{location}/'");
    let mut props: Vec<(String, String)> = Vec::new();
    if !spec.parquet {
        props.push(("skip.header.line.count".into(), "1".into()));
    }
    props.push(("projection.enabled".into(), "true".into()));
    if by_values {
        props.push(("projection.aws_account_id.type".into(), "enum".into()));
        props.push((
            "projection.aws_account_id.values".into(),
            spec.accounts.join(","),
        ));
        props.push(("projection.aws_region.type".into(), "enum".into()));
        props.push((
            "projection.aws_region.values".into(),
            spec.regions.join(","),
        ));
    }
    let mut template = location.to_string();
    if spec.hive {
        if by_values {
            template.push_str(
                "/aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}",
            );
        }
        for (p, lo, hi, digits) in [
            ("year", 2015, 2100, 4),
            ("month", 1, 12, 2),
            ("day", 1, 31, 2),
        ] {
            props.push((format!("projection.{p}.type"), "integer".into()));
            props.push((format!("projection.{p}.range"), format!("{lo},{hi}")));
            props.push((format!("projection.{p}.digits"), digits.to_string()));
        }
        template.push_str("/year=${year}/month=${month}/day=${day}");
        if spec.hourly {
            template.push_str("/hour=${hour}");
        }
    } else {
        if by_values {
            template.push_str("/${aws_account_id}/vpcflowlogs/${aws_region}");
        }
        props.push(("projection.day.type".into(), "date".into()));
        props.push(("projection.day.format".into(), "yyyy/MM/dd".into()));
        props.push(("projection.day.range".into(), "2015/01/01,NOW".into()));
        props.push(("projection.day.interval".into(), "1".into()));
        props.push(("projection.day.interval.unit".into(), "DAYS".into()));
        template.push_str("/${day}");
        if spec.hourly {
            template.push_str("/${hour}");
        }
    }
    if spec.hourly {
        props.push(("projection.hour.type".into(), "integer".into()));
        props.push(("projection.hour.range".into(), "0,23".into()));
        props.push(("projection.hour.digits".into(), "2".into()));
    }
    template.push('/');
    props.push(("storage.location.template".into(), template));
    sql.push_str("TBLPROPERTIES (\n");
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("  '{k}' = '{v}'"))
        .collect();
    sql.push_str(&props.join(",\n"));
    sql.push_str("\n)\n");
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TableSpec {
        TableSpec {
            name: "vpc_flow_logs".into(),
            schema: Schema::default_v2(),
            location: "s3://logs/AWSLogs/".into(),
            parquet: false,
            hive: false,
            hourly: false,
            accounts: vec!["123456789012".into()],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        }
    }

    #[test]
    fn the_default_layout_is_projected_by_account_region_and_day() {
        let sql = create_table(&spec()).unwrap();
        for want in [
            "  `account_id` string,",
            "  `protocol` bigint,",
            "  `end` bigint,",
            "  `srcport` int,",
            "PARTITIONED BY (`aws_account_id` string, `aws_region` string, `day` string)",
            "FIELDS TERMINATED BY ' '",
            "'skip.header.line.count' = '1'",
            "'projection.aws_region.values' = 'us-east-1,eu-west-1'",
            "'storage.location.template' = 's3://logs/AWSLogs/${aws_account_id}/vpcflowlogs/${aws_region}/${day}/'",
        ] {
            assert!(sql.contains(want), "{want}\n in\n{sql}");
        }
    }

    #[test]
    fn hive_parquet_hourly_and_a_location_holding_the_region() {
        let sql = create_table(&TableSpec {
            parquet: true,
            hive: true,
            hourly: true,
            ..spec()
        })
        .unwrap();
        assert!(sql.contains("STORED AS PARQUET"), "{sql}");
        assert!(!sql.contains("skip.header"), "{sql}");
        assert!(
            sql.contains(
                "aws-region=${aws_region}/year=${year}/month=${month}/day=${day}/hour=${hour}/'"
            ),
            "{sql}"
        );
        let sql = create_table(&TableSpec {
            location: "s3://logs/AWSLogs/123456789012/vpcflowlogs/us-east-1".into(),
            accounts: vec![],
            regions: vec![],
            ..spec()
        })
        .unwrap();
        assert!(sql.contains("PARTITIONED BY (`day` string)"), "{sql}");
        let e = create_table(&TableSpec {
            regions: vec![],
            ..spec()
        });
        assert_eq!(e, Err(DdlError::AccountAndRegion));
        let e = create_table(&TableSpec {
            accounts: vec!["1' or '1".into()],
            ..spec()
        });
        assert!(matches!(e, Err(DdlError::BadValue(_))));
    }
}
