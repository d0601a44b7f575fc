//! `report --emit athena|insights` (the report's top lists as queries for months of history)
//! and `athena-ddl` (the table those queries read).

use std::io::{BufRead, BufReader, Read};

use anyhow::{Result, bail};

use crate::cli::{self, AthenaDdlArgs, EmitArg, MetricArg, ReportArgs, view_of};
use crate::core::Dimension;
use crate::query::{View, athena, ddl, insights};
use crate::schema::Schema;

/// Prints the queries of `report --emit`; reads nothing but the first line of the first
/// input file (its header, when `--format` is not given).
pub fn report(args: &ReportArgs, engine: EmitArg) -> Result<i32> {
    if args.output.by == MetricArg::Cost {
        bail!("--emit: --by cost needs vpctop's price table and inventory; emit --by bytes");
    }
    let (_, filter) = view_of(&args.input)?;
    let schema = match &args.input.format {
        Some(_) => args.input.schema()?,
        None => args
            .input
            .paths
            .first()
            .and_then(|p| header_of(p))
            .unwrap_or_else(Schema::default_v2),
    };
    let groups: Vec<Dimension> = match args.group {
        Some(g) => vec![g.into()],
        None => Dimension::ALL.to_vec(),
    };
    let table = athena::Table {
        name: args.table.clone(),
        partitions: args.partitions.into(),
    };
    let mut out = Vec::new();
    for group in groups {
        let view = View {
            filter: filter.as_ref(),
            group,
            metric: args.output.by.into(),
            top: args.output.top,
            window: args.input.window(),
        };
        let q = match engine {
            EmitArg::Athena => athena::query(&view, &table, &schema),
            EmitArg::Insights => insights::query(&view, &schema),
        };
        match q {
            Ok(q) => out.push(q),
            Err(e) => {
                eprintln!("vpctop: --emit: {e}");
                return Ok(cli::EXIT_USAGE);
            }
        }
    }
    let sep = match engine {
        EmitArg::Athena => ";\n\n",
        EmitArg::Insights => "\n",
    };
    let mut text = out.join(sep);
    if engine == EmitArg::Athena {
        // Each statement ends with `;` so the lot can be pasted into a SQL client.
        text = format!("{};\n", text.trim_end());
    }
    print!("{text}");
    Ok(cli::EXIT_OK)
}

/// The format named by the header line of a local file (gzip or not), if it has one.
fn header_of(path: &std::path::Path) -> Option<Schema> {
    let file = std::fs::File::open(path).ok()?;
    let mut head = BufReader::new(file);
    let gz = head.fill_buf().ok()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = match gz {
        true => Box::new(flate2::read::MultiGzDecoder::new(head)),
        false => Box::new(head),
    };
    let mut line = Vec::new();
    BufReader::new(reader.take(64 * 1024))
        .read_until(b'\n', &mut line)
        .ok()?;
    let line = line.strip_suffix(b"\n").unwrap_or(&line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Schema::from_header_line(line)
}

/// Runs `athena-ddl`.
pub fn athena_ddl(args: &AthenaDdlArgs) -> Result<i32> {
    let schema = cli::format_schema(args.format.as_deref(), false)?;
    let spec = ddl::TableSpec {
        name: args.table.clone(),
        schema,
        location: args.location.clone(),
        parquet: args.parquet,
        hive: args.hive,
        hourly: args.hourly,
        accounts: args.account.clone(),
        regions: args.region.clone(),
    };
    match ddl::create_table(&spec) {
        Ok(sql) => {
            print!("{}", sql.trim_end());
            println!(";");
            Ok(cli::EXIT_OK)
        }
        Err(e) => {
            eprintln!("vpctop: athena-ddl: {e}");
            Ok(cli::EXIT_USAGE)
        }
    }
}
