//! The settings a reading command runs on, validated: inputs expanded, format and filter
//! parsed, the pipeline laid out. A mistake is explained on stderr once, where it is found.

use std::sync::Arc;

use super::InputArgs;
use crate::filter::Filter;
use crate::pipeline::IngestConfig;
use crate::schema::FormatError;
use crate::source::{FileSelector, InputSpec, expand_paths};

/// Everything a reading command needs, validated.
#[derive(Debug)]
pub struct Settings {
    /// The inputs, directories expanded.
    pub inputs: Vec<InputSpec>,
    /// How the pipeline reads them (batch mode; commands that follow or replay change it).
    pub config: IngestConfig,
    /// `--filter`, parsed.
    pub filter: Option<Arc<Filter>>,
    /// Some path could not be listed (already said on stderr).
    pub failed: bool,
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
}

impl Settings {
    /// Validates the format and filter, expands paths and lays out the pipeline; names
    /// unlistable paths on stderr. `ordered` reads one input at a time, so chunks come in
    /// input order (`records`).
    pub fn new(input: &InputArgs, ordered: bool) -> Result<Settings, UsageError> {
        let schema = input.schema().map_err(UsageError::Format)?;
        let filter = match input.filter.as_deref() {
            Some(text) => Some(Arc::new(parse_filter_flag("--filter", text)?)),
            None => None,
        };
        let select = FileSelector::new(input.glob.clone());
        let (inputs, errors) = expand_paths(&input.paths, &select);
        for e in &errors {
            eprintln!("vpctop: {e}");
        }
        let mut config = IngestConfig::new(Arc::new(schema));
        if let Some(n) = input.threads {
            config.workers = n.max(1);
        }
        if ordered {
            config.readers = 1;
        }
        config.select = select;
        Ok(Settings {
            inputs,
            config,
            filter,
            failed: !errors.is_empty(),
        })
    }

    /// The inputs' names as the user gave them.
    pub fn names(&self) -> Vec<String> {
        self.inputs.iter().map(InputSpec::display_name).collect()
    }
}

/// Parses a filter given on the command line; on error, points at the column (like a
/// compiler would) and fails with a usage error.
pub fn parse_filter_flag(flag: &str, text: &str) -> Result<Filter, UsageError> {
    Filter::parse(text).map_err(|e| {
        eprintln!("vpctop: invalid {flag}: {e}");
        eprintln!("  {}", crate::sanitize::escape(text.as_bytes()));
        eprintln!("  {}^", " ".repeat(e.column.saturating_sub(1)));
        UsageError::Explained
    })
}
