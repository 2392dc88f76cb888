//! `source-bitcoin`: an Airbyte source for Bitcoin market and on-chain data. `spec`, `check`, `discover` and
//! `read` speak the Airbyte protocol on stdout (one JSON message per line); human logs go to stderr.
//! Exit status: 0 on success (and for `check`, whatever the verdict), 1 when a command or a stream failed.
//! The library exists for the binary (`cli::main`) and for the fuzz targets (`fuzzing`); nothing else is public.
#![recursion_limit = "256"]
mod api;
mod catalog;
pub mod cli;
mod config;
mod error;
pub mod fuzzing;
mod http;
mod protocol;
mod provider;
mod providers;
mod read;
mod record;
mod request;
mod rfc3339;
mod settings;
mod state;
mod stream;
