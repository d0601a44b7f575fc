//! vpctop: `htop` for a VPC.
//!
//! vpctop reads AWS VPC Flow Log records from files, directories, stdin or gzip objects,
//! aggregates them on every core, and shows who talks to whom: in a live terminal dashboard
//! and headless (`report`, `records`, `replay`). Every arrow between modules points down
//! (tests/layers.rs holds them to it):
//!
//! ```text
//!  commands ─▶ cli ─▶ manual ─▶ pipeline ─▶ ui ─▶ report ─▶ snapshot ─▶ diagnose ─▶ store
//!                                   │                                              │
//!                                   └───────────────▶ source          core ◀───────┘
//!                                                        └─▶ filter ─▶ parse ─▶ schema
//! ```
//!
//! `commands` runs one command; `pipeline` wires `source` (bytes → chunks) to `core`
//! (counting) and `store` (retaining) and publishes `snapshot`s; `ui` and `report` show
//! them. See `docs/ARCHITECTURE.md` for what each module owns and must never do.

pub mod alerts;
pub mod cli;
pub mod commands;
pub mod core;
pub mod demo;
pub mod diagnose;
pub mod filter;
pub mod inventory;
pub mod manual;
pub mod names;
pub mod os;
pub mod parse;
pub mod pipeline;
pub mod query;
pub mod report;
pub mod sanitize;
pub mod schema;
pub mod short_bytes;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod ui;
pub mod units;
