//! Model contracts as data: the `constraints:` of a model and of its columns (dbt's
//! `ColumnLevelConstraint` / `ModelLevelConstraint`), checked as dbt's parser checks them, rendered
//! as dbt's base adapter renders DDL, and `contract.checksum` (sha256 of the contract's state, with
//! the Python `repr` dbt hashes). Which constraints a warehouse enforces is its `Dialect`'s.

use serde_json::{json, Value as Json};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Check,
    NotNull,
    Unique,
    PrimaryKey,
    ForeignKey,
    Custom,
}

pub const KINDS: &[&str] = &["check", "not_null", "unique", "primary_key", "foreign_key", "custom"];

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "check" => Kind::Check,
            "not_null" => Kind::NotNull,
            "unique" => Kind::Unique,
            "primary_key" => Kind::PrimaryKey,
            "foreign_key" => Kind::ForeignKey,
            "custom" => Kind::Custom,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        KINDS[self as usize]
    }
}

/// How a warehouse treats a constraint type (dbt's `ConstraintSupport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Enforced,
    NotEnforced,
    NotSupported,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Constraint {
    pub kind: Kind,
    pub name: Option<String>,
    pub expression: Option<String>,
    pub warn_unenforced: bool,
    pub warn_unsupported: bool,
    /// `to: ref('x')` / `source('s', 't')` as written (the manifest's and the checksum's value).
    pub to: Option<String>,
    pub to_columns: Vec<String>,
    /// The relation `to` names, rendered: set once relations are known (`foreign_keys::resolve`).
    pub to_relation: Option<String>,
    /// Model-level constraints only: the columns they apply to.
    pub columns: Option<Vec<String>>,
}

const KEYS: &[&str] = &["type", "name", "expression", "warn_unenforced", "warn_unsupported", "to", "to_columns", "columns"];

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

impl Constraint {
    /// One `constraints:` entry; `model_level` allows `columns:`. `at` names it in errors.
    pub fn parse(v: &Json, model_level: bool, file: &str, at: &str) -> Result<Constraint> {
        let bad = |why: String| Error::project(file, format!("{at}: {why}"));
        let obj = v.as_object().ok_or_else(|| bad(format!("Could not parse constraint: {v}")))?;
        let ty = obj.get("type").and_then(Json::as_str).unwrap_or_default();
        let kind = Kind::parse(ty).ok_or_else(|| bad(format!("Invalid constraint type `{ty}`: Type must be one of {KINDS:?}")))?;
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str()) || (!model_level && *k == "columns")) {
            return Err(bad(format!("Could not parse constraint: unknown key `{k}`")));
        }
        let text = |k: &str| match obj.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            // dbt's expression is a string; YAML numbers and booleans are written as text.
            Some(other) if k == "expression" => Ok(Some(other.to_string())),
            Some(other) => Err(bad(format!("Could not parse constraint: `{k}` must be a string, not {other}"))),
        };
        Ok(Constraint {
            kind,
            name: text("name")?,
            expression: text("expression")?,
            warn_unenforced: obj.get("warn_unenforced").and_then(Json::as_bool).unwrap_or(true),
            warn_unsupported: obj.get("warn_unsupported").and_then(Json::as_bool).unwrap_or(true),
            to: text("to")?,
            to_columns: strings(obj.get("to_columns")),
            to_relation: None,
            columns: model_level.then(|| strings(obj.get("columns"))),
        })
    }

    /// The manifest's shape (column-level entries have no `columns`); once the model is compiled,
    /// `to` is the relation it names, as dbt compiles it.
    pub fn manifest(&self, compiled: bool) -> Json {
        let to = match (&self.to, &self.to_relation) {
            (Some(_), Some(relation)) if compiled => Some(relation),
            _ => self.to.as_ref(),
        };
        let mut m = json!({
            "type": self.kind.as_str(), "name": self.name, "expression": self.expression,
            "warn_unenforced": self.warn_unenforced, "warn_unsupported": self.warn_unsupported,
            "to": to, "to_columns": self.to_columns,
        });
        if let (Some(cols), Some(obj)) = (&self.columns, m.as_object_mut()) {
            obj.insert("columns".into(), json!(cols));
        }
        m
    }

    /// Python's `repr` of the dataclass, as `build_contract_checksum` hashes it.
    fn py_repr(&self) -> String {
        let class = if self.columns.is_some() { "ModelLevelConstraint" } else { "ColumnLevelConstraint" };
        let opt = |s: &Option<String>| s.as_deref().map_or("None".to_string(), py_str);
        let b = |v: bool| if v { "True" } else { "False" };
        let mut out = format!(
            "{class}(type=<ConstraintType.{k}: '{k}'>, name={}, expression={}, warn_unenforced={}, warn_unsupported={}, to={}, to_columns={}",
            opt(&self.name),
            opt(&self.expression),
            b(self.warn_unenforced),
            b(self.warn_unsupported),
            opt(&self.to),
            py_list(&self.to_columns),
            k = self.kind.as_str(),
        );
        if let Some(cols) = &self.columns {
            out.push_str(&format!(", columns={}", py_list(cols)));
        }
        out + ")"
    }

    /// `references <to> (<to_columns>)` when `to` and `to_columns` are set, the relation as given.
    fn references_to(&self, relation: Option<&str>) -> Option<String> {
        let to = relation.filter(|_| self.to.is_some() && !self.to_columns.is_empty())?;
        Some(format!("references {to} ({})", self.to_columns.join(", ")))
    }

    /// dbt's `render_column_constraint` (before an adapter's suffix); `to` is the referenced relation
    /// as the adapter writes it at column level (dbt-duckdb drops its database).
    pub fn render_column(&self, to: Option<&str>) -> Option<String> {
        let expr = self.expression.as_deref().unwrap_or_default();
        if let Some(refs) = self.references_to(to).filter(|_| self.kind == Kind::ForeignKey) {
            return Some(refs);
        }
        let out = match self.kind {
            Kind::Check if !expr.is_empty() => format!("check ({expr})"),
            Kind::NotNull => format!("not null {expr}"),
            Kind::Unique => format!("unique {expr}"),
            Kind::PrimaryKey => format!("primary key {expr}"),
            Kind::ForeignKey if !expr.is_empty() => format!("references {expr}"),
            Kind::Custom if !expr.is_empty() => expr.to_string(),
            _ => return None,
        };
        Some(out.trim().to_string())
    }

    /// dbt's `render_model_constraint`; `to` is the referenced relation.
    pub fn render_model(&self, to: Option<&str>) -> Option<String> {
        let prefix = self.name.as_deref().map(|n| format!("constraint {n} ")).unwrap_or_default();
        let cols = self.columns.as_deref().unwrap_or_default().join(", ");
        let expr = self.expression.as_deref().map(|e| format!(" {e}")).unwrap_or_default();
        Some(match self.kind {
            Kind::Check => format!("{prefix}check ({})", self.expression.as_deref().filter(|e| !e.is_empty())?),
            Kind::Unique => format!("{prefix}unique{expr} ({cols})"),
            Kind::PrimaryKey => format!("{prefix}primary key{expr} ({cols})"),
            Kind::ForeignKey => match self.references_to(to) {
                Some(refs) => format!("{prefix}foreign key ({cols}) {refs}"),
                None => format!("{prefix}foreign key ({cols}) references {}", self.expression.as_deref().filter(|e| !e.is_empty())?),
            },
            Kind::Custom => format!("{prefix}{}", self.expression.as_deref().filter(|e| !e.is_empty())?),
            Kind::NotNull => return None,
        })
    }
}

/// A list of constraints from YAML (`constraints:` of a model or a column).
pub fn parse_list(v: Option<&Json>, model_level: bool, file: &str, at: &str) -> Result<Vec<Constraint>> {
    match v {
        None | Some(Json::Null) => Ok(vec![]),
        Some(Json::Array(a)) => a.iter().map(|c| Constraint::parse(c, model_level, file, at)).collect(),
        Some(_) => Err(Error::project(file, format!("{at}: `constraints:` must be a list"))),
    }
}

/// dbt's `_validate_pk_constraints`: one primary key, at one level.
pub fn check_primary_keys(model: &[Constraint], columns: &[(String, Vec<Constraint>)], file: &str) -> Result<()> {
    let pk_cols: Vec<&str> =
        columns.iter().filter(|(_, cs)| cs.iter().any(|c| c.kind == Kind::PrimaryKey)).map(|(n, _)| n.as_str()).collect();
    let mut errors = vec![];
    if pk_cols.len() > 1 {
        errors.push(format!(
            "Found {} columns ({}) with primary key constraints defined. Primary keys for multiple columns must be defined as a model level constraint.",
            pk_cols.len(),
            py_list(&pk_cols.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ));
    }
    if !pk_cols.is_empty() && model.iter().any(|c| c.kind == Kind::PrimaryKey) {
        errors.push(
            "Primary key constraints defined at the model level and the columns level. Primary keys can be defined at the model level or the column level, not both."
                .into(),
        );
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(Error::project(file, format!("Primary key constraint error: ({file})\n{}", errors.join("\n")))),
    }
}

/// `contract.checksum`: sha256 over the sorted columns' names, types and constraints, plus the
/// materialization and model constraints where it enforces them (dbt's `build_contract_checksum`).
pub fn checksum(columns: &[(String, Option<String>, Vec<Constraint>)], materialized: &str, model: &[Constraint]) -> String {
    let mut sorted: Vec<&(String, Option<String>, Vec<Constraint>)> = columns.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut state = String::new();
    for (name, data_type, cs) in sorted {
        state.push('|');
        state.push_str(name);
        state.push_str(data_type.as_deref().unwrap_or("None"));
        state.push_str(&repr_list(cs));
    }
    if matches!(materialized, "table" | "incremental") {
        state.push_str(materialized);
        state.push_str(&repr_list(model));
    }
    use sha2::Digest;
    sha2::Sha256::digest(state.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn repr_list(cs: &[Constraint]) -> String {
    format!("[{}]", cs.iter().map(Constraint::py_repr).collect::<Vec<_>>().join(", "))
}

/// Python's `repr` of a str (dbt's test names use the same).
pub use super::test_names::py_repr_str as py_str;

fn py_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| py_str(s)).collect::<Vec<_>>().join(", "))
}

/// A list of constraints as the manifest writes it (`compiled`: the model was compiled in this run).
pub fn manifest_list(cs: &[Constraint], compiled: bool) -> Json {
    Json::Array(cs.iter().map(|c| c.manifest(compiled)).collect())
}

/// `contract` of a config as dbt reads it: `{enforced, alias_types}` (a bool `contract` is refused).
pub fn contract_of(cfg: Option<&Json>, file: &str) -> Result<(bool, bool)> {
    match cfg {
        None | Some(Json::Null) => Ok((false, true)),
        Some(Json::Object(m)) => {
            let flag = |k: &str, default: bool| match m.get(k) {
                None | Some(Json::Null) => Ok(default),
                Some(Json::Bool(b)) => Ok(*b),
                Some(other) => Err(Error::project(file, format!("config `contract.{k}` must be true or false, not {other}"))),
            };
            if let Some(k) = m.keys().find(|k| !["enforced", "alias_types", "checksum"].contains(&k.as_str())) {
                return Err(Error::project(file, format!("config `contract` has an unknown key `{k}` (dbt knows `enforced` and `alias_types`)")));
            }
            Ok((flag("enforced", false)?, flag("alias_types", true)?))
        }
        Some(other) => Err(Error::project(file, format!("config `contract` must be a mapping like `{{enforced: true}}`, not {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: Json, model: bool) -> Constraint {
        Constraint::parse(&v, model, "models/s.yml", "models.m").unwrap()
    }

    #[test]
    fn renders_as_dbt_base_adapter() {
        assert_eq!(c(json!({"type": "not_null"}), false).render_column(None).as_deref(), Some("not null"));
        assert_eq!(c(json!({"type": "check", "expression": "x > 0"}), false).render_column(None).as_deref(), Some("check (x > 0)"));
        assert_eq!(c(json!({"type": "check"}), false).render_column(None), None);
        assert_eq!(c(json!({"type": "foreign_key", "expression": "o (id)"}), false).render_column(None).as_deref(), Some("references o (id)"));
        let fk = c(json!({"type": "foreign_key", "expression": "o (id)", "columns": ["oid"]}), true);
        assert_eq!(fk.render_model(None).as_deref(), Some("foreign key (oid) references o (id)"));
        let to = c(json!({"type": "foreign_key", "to": "ref('o')", "to_columns": ["id", "k"]}), false);
        assert_eq!(to.render_column(Some("\"main\".\"o\"")).as_deref(), Some("references \"main\".\"o\" (id, k)"));
        let to = c(json!({"type": "foreign_key", "name": "fk", "columns": ["a"], "to": "ref('o')", "to_columns": ["id"]}), true);
        assert_eq!(to.render_model(Some("\"db\".\"main\".\"o\"")).as_deref(), Some("constraint fk foreign key (a) references \"db\".\"main\".\"o\" (id)"));
        let pk = c(json!({"type": "primary_key", "columns": ["a", "b"], "name": "pk"}), true);
        assert_eq!(pk.render_model(None).as_deref(), Some("constraint pk primary key (a, b)"));
        assert_eq!(c(json!({"type": "not_null", "columns": ["a"]}), true).render_model(None), None);
    }

    #[test]
    fn bad_constraints_are_named() {
        let e = Constraint::parse(&json!({"type": "nope"}), false, "models/s.yml", "models.m.columns.id").unwrap_err().to_string();
        assert!(e.contains("models/s.yml") && e.contains("models.m.columns.id") && e.contains("nope"), "{e}");
        let e = Constraint::parse(&json!({"type": "unique", "columns": ["a"]}), false, "f", "at").unwrap_err().to_string();
        assert!(e.contains("columns"), "{e}");
        let cols = vec![("a".to_string(), vec![c(json!({"type": "primary_key"}), false)]), ("b".to_string(), vec![c(json!({"type": "primary_key"}), false)])];
        let e = check_primary_keys(&[], &cols, "models/s.yml").unwrap_err().to_string();
        assert!(e.contains("Found 2 columns (['a', 'b']) with primary key constraints defined"), "{e}");
    }

    /// The value dbt 1.10.23 wrote for the same contract (model `good` of the comparison fixture).
    #[test]
    fn checksum_matches_dbt() {
        let cols = vec![
            ("id".to_string(), Some("int".to_string()), vec![c(json!({"type": "not_null"}), false), c(json!({"type": "unique"}), false)]),
            ("name".to_string(), Some("text".to_string()), vec![c(json!({"type": "check", "expression": "length(name) > 0"}), false)]),
            (
                "amount".to_string(),
                Some("double".to_string()),
                vec![c(json!({"type": "foreign_key", "expression": "main.other (id)"}), false), c(json!({"type": "custom", "expression": "default 0"}), false)],
            ),
        ];
        let model = vec![
            c(json!({"type": "primary_key", "columns": ["id"]}), true),
            c(json!({"type": "check", "expression": "id > 0", "name": "positive_id"}), true),
        ];
        assert_eq!(checksum(&cols, "table", &model), "0e50a2a1dcae07fed8ca703ad558c62cd732d6145be1e31bd1fb91410ab8041c");
    }

    #[test]
    fn python_repr_of_strings() {
        assert_eq!(py_str("ref('x')"), "\"ref('x')\"");
        assert_eq!(py_str("a\\b"), "'a\\\\b'");
        assert_eq!(py_str("it's \"q\""), "'it\\'s \"q\"'");
    }
}
