//! The settings a reading command runs on, validated: inputs expanded, format and filter
//! parsed, the pipeline laid out. A mistake is explained on stderr once, where it is found.

use std::sync::Arc;

use super::InputArgs;
use crate::filter::Filter;
use crate::inventory::Inventory;
use crate::pipeline::IngestConfig;
use crate::schema::FormatError;
use crate::source::input::RemoteListing;
use crate::source::{FileSelector, InputSpec, expand_paths};

/// Everything a reading command needs, validated.
#[derive(Debug)]
pub struct Settings {
    /// The inputs, directories expanded.
    pub inputs: Vec<InputSpec>,
    /// How the pipeline reads them (batch mode; commands that follow or replay change it).
    pub config: IngestConfig,
    /// `--filter`, parsed, and the time window of `--since`/`--from`/`--to`.
    pub filter: Option<Arc<Filter>>,
    /// Some path could not be listed (already said on stderr).
    pub failed: bool,
    /// Remote locations (S3 prefixes) to list again while following.
    pub listings: Vec<Arc<dyn RemoteListing>>,
    /// The account's inventory (`--inventory`), when given.
    pub inventory: Option<Arc<Inventory>>,
    /// The prices of the cost estimate (`--prices`, else the us-east-1 list prices).
    pub prices: crate::inventory::prices::Prices,
}

/// Why the arguments cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// `--format` does not parse.
    #[error("--format: {0}")]
    Format(FormatError),
    /// Already explained on stderr (with a caret under the column, or a hint).
    #[error("invalid arguments")]
    Explained,
    /// `--inventory` cannot be read.
    #[error("--inventory: {0}")]
    Inventory(crate::inventory::InventoryError),
    /// `--ip-ranges` cannot be read.
    #[error("--ip-ranges: {0}")]
    IpRanges(crate::inventory::InventoryError),
}

impl Settings {
    /// Validates the format and filter, expands paths and lays out the pipeline; names
    /// unlistable paths on stderr. `ordered` reads one input at a time, so chunks come in
    /// input order (`records`).
    pub fn new(input: &InputArgs, ordered: bool) -> Result<Settings, UsageError> {
        let schema = input.schema().map_err(UsageError::Format)?;
        let (inventory, filter) = view_of(input)?;
        let (from, to) = input.window();
        let filter = filter.map(Arc::new);
        let select = FileSelector::new(input.glob.clone());
        let mut inputs = Vec::new();
        let mut failed = false;
        let mut remote = false;
        let mut listings = Vec::new();
        // One AWS context (runtime, configuration) for every AWS input of the run.
        let mut aws = None;
        for path in &input.paths {
            if let Some(text) = path
                .to_str()
                .filter(|t| t.starts_with("s3://") || t.starts_with("cwl://"))
            {
                remote = true;
                match remote_inputs(text, &input.aws, &mut aws, (from, to), &select) {
                    Ok((found, listing)) if found.is_empty() => {
                        listings.extend(listing);
                        let window = if from.is_some() || to.is_some() {
                            " in the time window"
                        } else {
                            ""
                        };
                        eprintln!("vpctop: {}: no objects{window}", escape(text));
                    }
                    Ok((found, listing)) => {
                        listings.extend(listing);
                        inputs.extend(found);
                    }
                    Err(why) => {
                        eprintln!("vpctop: {}: {why}", escape(text));
                        failed = true;
                    }
                }
                continue;
            }
            let (found, errors) = expand_paths(std::slice::from_ref(path), &select);
            for e in &errors {
                eprintln!("vpctop: {e}");
            }
            failed |= !errors.is_empty();
            inputs.extend(found);
        }
        let mut config = IngestConfig::new(Arc::new(schema));
        if let Some(n) = input.threads {
            config.workers = n.max(1);
        }
        if remote {
            // Objects wait on the network, not on a core: many in flight at once.
            config.readers = input.aws.s3_concurrency.max(1);
        }
        if ordered {
            config.readers = 1;
        }
        config.select = select;
        Ok(Settings {
            inputs,
            config,
            filter,
            failed,
            listings,
            inventory,
            prices: input.prices.unwrap_or_default(),
        })
    }

    /// The inputs' names as the user gave them.
    pub fn names(&self) -> Vec<String> {
        self.inputs.iter().map(InputSpec::display_name).collect()
    }
}

/// What an AWS location holds now, and the listing that finds what it holds later.
type RemoteFound = (Vec<InputSpec>, Option<Arc<dyn RemoteListing>>);

/// The AWS context of a run, made on the first AWS input.
#[cfg(feature = "aws")]
type AwsOnce = Option<Arc<crate::source::aws::AwsContext>>;
#[cfg(not(feature = "aws"))]
type AwsOnce = Option<()>;

/// The objects under an `s3://` location that can hold the window, each an input, or a
/// `cwl://` log group as one input; or why they cannot be listed (the caller names `text`).
#[cfg(feature = "aws")]
fn remote_inputs(
    text: &str,
    args: &super::AwsArgs,
    aws: &mut AwsOnce,
    (from, to): (Option<u64>, Option<u64>),
    select: &FileSelector,
) -> Result<RemoteFound, String> {
    use crate::source::aws::{AwsContext, AwsSettings, cloudwatch::LogGroup, s3};
    let context = match aws {
        Some(c) => Arc::clone(c),
        None => {
            let settings = AwsSettings {
                profile: args.profile.clone(),
                region: args.region.clone(),
                endpoint_url: args.endpoint_url.clone(),
            };
            let c = AwsContext::new(&settings).map_err(|e| e.to_string())?;
            aws.insert(c).clone()
        }
    };
    let window = s3::Window { from, to };
    if text.starts_with("cwl://") {
        let group = LogGroup::parse(text, args.log_stream_prefix.clone(), window, &context)
            .ok_or("not a log group (cwl://GROUP)")?;
        return Ok((vec![InputSpec::Remote(Arc::new(group))], None));
    }
    let location = s3::S3Location::parse(text).ok_or("not an S3 location (s3://bucket/prefix)")?;
    let listing = s3::S3Listing::new(&context, location, window, select.clone());
    let found = listing.list()?;
    Ok((found, Some(Arc::new(listing))))
}

/// Without AWS support built in, an `s3://` input is an error that says so.
#[cfg(not(feature = "aws"))]
fn remote_inputs(
    _: &str,
    _: &super::AwsArgs,
    _: &mut AwsOnce,
    _: (Option<u64>, Option<u64>),
    _: &FileSelector,
) -> Result<RemoteFound, String> {
    Err("this vpctop was built without the `aws` feature".to_string())
}

fn escape(text: &str) -> String {
    crate::sanitize::escape(text.as_bytes())
}

/// The inventory (`--inventory`, `--ip-ranges`) and the records the flags select:
/// `--filter` and the time window (`--since`/`--from`, `--to`) as one filter.
pub fn view_of(input: &InputArgs) -> Result<(Option<Arc<Inventory>>, Option<Filter>), UsageError> {
    let inventory = if input.inventory.is_empty() && input.ip_ranges.is_none() {
        None
    } else {
        let mut inv = Inventory::load(&input.inventory).map_err(UsageError::Inventory)?;
        if let Some(path) = &input.ip_ranges {
            inv.load_ip_ranges(path).map_err(UsageError::IpRanges)?;
        }
        Some(Arc::new(inv))
    };
    let (from, to) = input.window();
    let mut filter = match input.filter.as_deref() {
        Some(text) => Some(parse_filter_flag("--filter", text, inventory.as_ref())?),
        None => None,
    };
    let window = [from.map(Filter::ended_since), to.map(Filter::started_until)];
    for w in window.into_iter().flatten() {
        filter = Some(match filter {
            Some(f) => f.and(&w),
            None => w,
        });
    }
    Ok((inventory, filter))
}

/// Parses a filter given on the command line (its inventory fields answered by
/// `inventory`); on error, points at the column (like a
/// compiler would) and fails with a usage error.
pub fn parse_filter_flag(
    flag: &str,
    text: &str,
    inventory: Option<&Arc<Inventory>>,
) -> Result<Filter, UsageError> {
    Filter::parse_with(text, inventory).map_err(|e| {
        eprintln!("vpctop: invalid {flag}: {e}");
        eprintln!("  {}", crate::sanitize::escape(text.as_bytes()));
        eprintln!("  {}^", " ".repeat(e.column.saturating_sub(1)));
        UsageError::Explained
    })
}
