//! The dbt project as files and as data. `nodes`: the loaded project's types; `load`: files →
//! `Project`; `files`: listing and reading them; `dbt_project`: dbt_project.yml and its config
//! trees; `config`: node config keys and values; `constraints`: contracts' constraints (`foreign_keys`: their `to: ref(...)`); `properties`: YAML property files;
//! `generic_tests`: test nodes from YAML; `preprocess`: macro and docs file rewrites (`materializations`: `{% materialization %}` blocks); `profiles`:
//! profiles.yml → target; `snapshots`: snapshot blocks and their checked config; `unit_tests`:
//! unit tests from YAML (`unit_spec`: their data); `semantic`: semantic models, metrics, saved
//! queries, exposures and groups; `versions`: model versions (`versions:`, `latest_version`); `primary_key`: dbt's inferred primary keys; `time_spine`, `spine_check`: MetricFlow time spines. The Jinja pass (`compile`) then fills each node's refs and config.

pub mod config;
pub mod constraints;
pub mod contract_checks;
pub mod dbt_project;
pub mod digest;
pub mod files;
pub mod foreign_keys;
pub mod generic_tests;
pub mod load;
pub mod materializations;
pub mod metric_params;
pub mod nodes;
pub mod preprocess;
pub mod primary_key;
pub mod profiles;
pub mod properties;
pub mod render;
pub mod selectors;
pub mod semantic;
pub mod test_names;
pub mod time_spine;
pub mod snapshots;
pub mod spine_check;
pub mod unit_spec;
pub mod unit_tests;
pub mod version_nodes;
pub mod versions;

pub use config::Config;
pub use contract_checks::contract_checks;
pub use files::{discover, read};
pub use nodes::{pick_ref, Column, RefCall, GenericTest, MacroFile, Node, Package, Project, RelationName, Resource, SemanticNode, Source, SqlBlock};
