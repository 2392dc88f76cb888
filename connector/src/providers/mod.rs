//! Every provider, one folder each, holding all that the connector knows of it: its config section (the
//! fields `spec` shows and their checks), its [`Api`](crate::api::Api) (headers, error codes, credits, the
//! probe `check` sends) and its streams. [`ALL`] is the registry, in catalog order.
use crate::api::Entry;

pub mod blockchain_com;
pub mod coingecko;
pub mod coinmarketcap;
pub mod github;
pub mod mempool_space;
pub mod reddit;

pub const ALL: [&Entry; 6] = [
    &coingecko::ENTRY,
    &blockchain_com::ENTRY,
    &mempool_space::ENTRY,
    &coinmarketcap::ENTRY,
    &github::ENTRY,
    &reddit::ENTRY,
];
