//! vpctop: `htop` for a VPC.
//!
//! vpctop reads AWS VPC Flow Log records from files, directories, stdin or gzip objects,
//! aggregates them on every core, and shows who talks to whom: headless (`report`, `records`)
//! and, as it grows, as a live terminal dashboard. Data flows one way:
//!
//! ```text
//!  source (open, gunzip, frame) ─▶ parse (line → record) ─▶ core (aggregate, merge) ─▶ report
//!         schema (formats, headers) ──┘
//! ```
//!
//! Each module owns one step; see `docs/ARCHITECTURE.md` for the whole design.

pub mod cli;
pub mod commands;
pub mod core;
pub mod demo;
pub mod diagnose;
pub mod filter;
pub mod manual;
pub mod names;
pub mod os;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod sanitize;
pub mod schema;
pub mod short_bytes;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod ui;
pub mod units;
