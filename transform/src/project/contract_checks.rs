//! The parse-time checks of a model's contract once its config is final (after its `config()`
//! call): dbt's `ModelConfig` validation and its I068 warning for constraints a view cannot enforce.

use super::nodes::Node;
use super::{config, constraints};
use crate::error::Result;

/// A model's contract once its config is final: dbt's parse errors, and its I068 warning.
pub fn contract_checks(node: &Node) -> Result<()> {
    config::validate_contract(&node.config, &node.original_file_path)?;
    if constraints::contract_of(node.config.get("contract"), &node.original_file_path)?.0 {
        warn_if_not_enforceable(node);
        if node.materialized() == "ephemeral" {
            // dbt accepts this and checks nothing; say so rather than stay silent.
            let msg = format!("model {} is ephemeral: its enforced contract is not checked (an ephemeral model is never built, as in dbt)", node.name);
            crate::output::printer().note(crate::events::Level::Warn, &msg);
        }
    }
    Ok(())
}

/// dbt's parse-time warning (I068) for a contracted model's constraints on a materialization that
/// cannot enforce them (views, ephemerals).
fn warn_if_not_enforceable(node: &Node) {
    let any = node.constraints.iter().chain(node.columns.iter().flat_map(|c| &c.constraints)).any(|c| c.warn_unsupported);
    let materialized = node.materialized();
    if any && !matches!(materialized, "table" | "incremental") {
        crate::output::printer().emit(crate::events::unsupported_constraint_materialization(materialized));
    }
}

