//! Which materialization a node's `materialized:` names, found as dbt's
//! `find_materialization_macro_by_name` finds it: `materialization_<name>_<adapter>` before
//! `materialization_<name>_default`, and for the same one the root project over dbt's own (the adapter
//! package and the global project, which transform builds in Rust) over other packages — a package
//! overrides a built-in only where dbt's `require_explicit_package_overrides_for_builtin_materializations`
//! flag is off.

use super::macros::MacroCaller;
use super::namespace::{Namespaces, INTERNAL};
use crate::project::materializations::macro_name;

/// The materializations of dbt's global project (`materialization_<name>_default` in dbt-core).
pub const CORE_DEFAULTS: &[&str] = &["table", "view", "incremental", "snapshot", "seed", "test", "unit", "clone", "materialized_view", "function"];

/// What builds a node.
#[derive(Debug, Clone)]
pub enum Chosen {
    /// dbt's own materialization (the adapter's or the global project's): transform's Rust code.
    Builtin,
    /// A `{% materialization %}` block of the root project or a package.
    Macro { package: String, caller: MacroCaller },
}

/// Whether dbt builds `name` itself on an adapter whose package defines `adapter_builtins`.
pub fn is_builtin(name: &str, adapter_builtins: &[&str]) -> bool {
    CORE_DEFAULTS.contains(&name) || adapter_builtins.contains(&name)
}

/// dbt's Locality: where a candidate is defined (higher wins among equal specificity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Locality {
    Core = 1,
    Imported = 2,
    Root = 3,
}

struct Candidate {
    /// 0 for the adapter's own type, 1 for `default` (lower wins).
    specificity: usize,
    locality: Locality,
    chosen: Chosen,
}

/// The materialization `name` for `adapter` (`adapter_builtins`: the adapter package's own ones);
/// `package_overrides` is dbt's flag `require_explicit_package_overrides_for_builtin_materializations` negated.
/// Errs with dbt's MissingMaterializationError text when there is none.
pub fn find(ns: &Namespaces, name: &str, adapter: &str, adapter_builtins: &[&str], package_overrides: bool) -> Result<Chosen, String> {
    let mut candidates = vec![];
    for (specificity, atype) in [(0, adapter), (1, "default")] {
        let builtin = if specificity == 0 { adapter_builtins.contains(&name) } else { CORE_DEFAULTS.contains(&name) };
        if builtin {
            candidates.push(Candidate { specificity, locality: Locality::Core, chosen: Chosen::Builtin });
        }
        let wanted = macro_name(name, atype);
        let mut packages: Vec<&String> = ns.by_package.keys().collect();
        packages.sort();
        for package in packages {
            if let Some(caller) = ns.get(package, &wanted) {
                let locality = match package.as_str() {
                    p if p == ns.root => Locality::Root,
                    INTERNAL => Locality::Core,
                    _ => Locality::Imported,
                };
                candidates.push(Candidate { specificity, locality, chosen: Chosen::Macro { package: package.clone(), caller: caller.clone() } });
            }
        }
    }
    // dbt's order: the more specific first, then the higher locality.
    let rank = |c: &&Candidate| (c.specificity, std::cmp::Reverse(c.locality));
    let core_exists = candidates.iter().any(|c| c.locality == Locality::Core);
    let winner = match candidates.iter().min_by_key(rank) {
        // A package may not replace dbt's own: the best of the root's and dbt's then.
        Some(w) if w.locality == Locality::Imported && core_exists && !package_overrides => {
            candidates.iter().filter(|c| c.locality != Locality::Imported).min_by_key(rank)
        }
        other => other,
    };
    winner.map(|c| c.chosen.clone()).ok_or_else(|| missing(name, adapter))
}

/// dbt's MissingMaterializationError.
fn missing(name: &str, adapter: &str) -> String {
    let searched = if adapter == "default" { "'default'".to_string() } else { format!("'default' and '{adapter}'") };
    format!("No materialization '{name}' was found for adapter {adapter}! (searched types {searched})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str, file: &str) -> MacroCaller {
        MacroCaller { name: name.into(), package: "p".into(), file: file.into(), catch_all: None }
    }

    fn table() -> Namespaces {
        let mut n = Namespaces::new("app", "duckdb", &[]);
        n.add("app", caller("materialization_table_default", "app_table.sql"));
        n.add("app", caller("materialization_view_default", "app_view.sql"));
        n.add("app", caller("materialization_audited_default", "app_audited.sql"));
        n.add("pkg", caller("materialization_audited_duckdb", "pkg_audited.sql"));
        n.add("pkg", caller("materialization_incremental_default", "pkg_incr.sql"));
        n.add("pkg", caller("materialization_fancy_default", "pkg_fancy.sql"));
        n
    }

    fn file(c: Result<Chosen, String>) -> String {
        match c {
            Ok(Chosen::Builtin) => "builtin".into(),
            Ok(Chosen::Macro { caller, .. }) => caller.file,
            Err(e) => e,
        }
    }

    #[test]
    fn adapter_specific_beats_default_then_root_beats_core_beats_packages() {
        let n = table();
        let duckdb = &["table", "incremental", "external", "table_function"];
        // dbt-duckdb's `table, adapter='duckdb'` is more specific than the project's `table, default`.
        assert_eq!(file(find(&n, "table", "duckdb", duckdb, false)), "builtin");
        // `view` exists only as a default: the project's wins over dbt's.
        assert_eq!(file(find(&n, "view", "duckdb", duckdb, false)), "app_view.sql");
        // A package's `audited, adapter='duckdb'` beats the root's `audited, default`.
        assert_eq!(file(find(&n, "audited", "duckdb", duckdb, false)), "pkg_audited.sql");
        assert_eq!(file(find(&n, "fancy", "duckdb", duckdb, false)), "pkg_fancy.sql");
        // A package may not replace a built-in unless the flag allows it.
        assert_eq!(file(find(&n, "incremental", "bigquery", &[], false)), "builtin");
        assert_eq!(file(find(&n, "incremental", "bigquery", &[], true)), "pkg_incr.sql");
    }

    #[test]
    fn a_missing_materialization_has_dbts_message() {
        assert_eq!(
            file(find(&table(), "nope", "duckdb", &[], false)),
            "No materialization 'nope' was found for adapter duckdb! (searched types 'default' and 'duckdb')"
        );
    }
}
