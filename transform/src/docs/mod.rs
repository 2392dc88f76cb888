//! The docs site of `transform docs generate|serve`: `catalog` builds target/catalog.json from the
//! warehouse's information schema; `site` serves the embedded page over manifest.json and catalog.json.

pub mod catalog;
pub mod site;
