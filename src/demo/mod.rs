//! `vpctop demo`: a built-in, deterministic source of realistic flow-log traffic with a
//! scripted incident timeline (port scan, SSH brute force, a network ACL dropping return
//! traffic, an egress burst, NODATA/SKIPDATA gaps), so vpctop can be tried without AWS.
//!
//! ```text
//!  Generator (seed, record time) ──lines──▶ writer (pace: rate, speed) ──▶ growing file ─▶ dashboard
//!                                                                     └──▶ S3-style objects (--write DIR)
//! ```
//!
//! Never: talks to the dashboard directly. The demo writes files and vpctop reads them
//! through the same follower a user's files go through.

pub mod generator;
pub mod inventory;
pub mod samples;
pub mod writer;

pub use generator::{CYCLE, DemoFormat, DemoRecord, Generator, INCIDENTS, Incident};
pub use writer::{DemoPace, DemoSink, GrowingFile, ObjectDir, run};
