//! `transform`: a dbt-compatible transformation CLI on embedded DuckDB (and, behind the same
//! warehouse trait, BigQuery). The pipeline: `project` (files) → `jinja` (render) → `compile`
//! (resolved manifest + DAG) → `select` → `execute` (thread pool; materialize, test) → `artifacts`
//! (manifest.json, run_results.json); `commands` has one file per subcommand, `cli` their flags.
//! Layers and data flow: docs/architecture.md.

pub mod artifacts;
pub mod cli;
pub mod commands;
pub mod compile;
pub mod dag;
pub mod dashboard;
pub mod docs;
pub mod error;
pub mod events;
pub mod execute;
pub mod fuzzing;
pub mod fault;
pub mod flags;
pub mod freshness;
pub mod jinja;
pub mod output;
pub mod packages;
pub mod parallel;
pub mod project;
pub mod select;
pub mod state;
pub mod sync;
pub mod warehouse;
pub mod web;

pub use error::{Error, Result};
