//! Snapshots as project data: `{% snapshot name %}…{% endsnapshot %}` blocks of the files under
//! `snapshot-paths`, YAML snapshots (`snapshots:` entries with `relation:`, dbt 1.9+), and the checked
//! snapshot config (`Spec`: strategy, unique key, meta column names, hard deletes) as dbt validates it.
//! Building the SCD2 table from a spec is `execute::snapshot`.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value as Json};

use super::config::Config;
use super::dbt_project::{DbtProject, Tree};
use super::files::{discover, read, under};
use super::nodes::{Project, Resource, SqlBlock};
use crate::error::{Error, Result};

/// How a snapshot decides that a row changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// `updated_at` (an expression of the query) moved past the current version's `dbt_valid_from`.
    Timestamp { updated_at: String },
    /// One of these columns differs (`None`: all the query's columns, `check_cols: all`).
    Check { cols: Option<Vec<String>>, updated_at: Option<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardDeletes {
    Ignore,
    Invalidate,
    NewRecord,
}

/// The names of the columns a snapshot adds (`snapshot_meta_column_names`).
#[derive(Debug, Clone)]
pub struct MetaColumns {
    pub valid_from: String,
    pub valid_to: String,
    pub scd_id: String,
    pub updated_at: String,
    pub is_deleted: String,
}

/// A snapshot's checked config.
#[derive(Debug, Clone)]
pub struct Spec {
    pub strategy: Strategy,
    /// Key expressions; `key_is_list` when written as a list (dbt then names them `dbt_unique_key_<i>`).
    pub unique_key: Vec<String>,
    pub key_is_list: bool,
    pub hard_deletes: HardDeletes,
    pub columns: MetaColumns,
    /// `dbt_valid_to_current`: the SQL expression current rows carry instead of NULL.
    pub valid_to_current: Option<String>,
}

fn bad(file: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::project(file, msg)
}

fn str_or_list(v: &Json) -> Option<Vec<String>> {
    match v {
        Json::String(s) => Some(vec![s.clone()]),
        Json::Array(a) => a.iter().map(|x| x.as_str().map(String::from)).collect(),
        _ => None,
    }
}

impl Spec {
    /// dbt's `SnapshotConfig.final_validate` and `get_hard_deletes_behavior`, with its messages.
    pub fn from_config(cfg: &Config, file: &str) -> Result<Spec> {
        let strategy = cfg.str("strategy");
        let key = cfg.get("unique_key");
        let (Some(strategy), Some(key)) = (strategy, key) else {
            return Err(bad(file, "Snapshots must be configured with a 'strategy' and 'unique_key'."));
        };
        let unique_key = str_or_list(key).filter(|k| !k.is_empty()).ok_or_else(|| bad(file, "unique_key must be a column or a list of columns"))?;
        if cfg.str("materialized").is_some_and(|m| m != "snapshot") {
            return Err(bad(file, "A snapshot must have a materialized value of 'snapshot'"));
        }
        let strategy = match strategy {
            "timestamp" => {
                let updated_at = cfg.str("updated_at").ok_or_else(|| {
                    bad(file, "A snapshot configured with the timestamp strategy must specify an updated_at configuration.")
                })?;
                if cfg.get("check_cols").is_some() {
                    return Err(bad(file, "A 'timestamp' snapshot should not have 'check_cols'"));
                }
                Strategy::Timestamp { updated_at: updated_at.to_string() }
            }
            "check" => Strategy::Check { cols: check_cols(cfg, file)?, updated_at: cfg.str("updated_at").map(String::from) },
            other => {
                return Err(bad(file, format!("snapshot strategy `{other}`: custom strategies (macro snapshot_{other}_strategy) are not supported; use timestamp or check")))
            }
        };
        Ok(Spec {
            strategy,
            key_is_list: key.is_array(),
            unique_key,
            hard_deletes: hard_deletes(cfg, file)?,
            columns: meta_columns(cfg, file)?,
            valid_to_current: cfg.str("dbt_valid_to_current").map(String::from),
        })
    }
}

fn check_cols(cfg: &Config, file: &str) -> Result<Option<Vec<String>>> {
    match cfg.get("check_cols") {
        None => Err(bad(file, "A snapshot configured with the check strategy must specify a check_cols configuration.")),
        Some(Json::String(s)) if s == "all" => Ok(None),
        Some(Json::Array(a)) if !a.is_empty() => {
            a.iter().map(|c| c.as_str().map(String::from)).collect::<Option<Vec<_>>>().map(Some).ok_or_else(|| bad(file, "check_cols must be a list of column names"))
        }
        Some(other) => Err(bad(file, format!("Invalid value for 'check_cols': {other}. Expected 'all' or a list of strings."))),
    }
}

fn hard_deletes(cfg: &Config, file: &str) -> Result<HardDeletes> {
    let legacy = cfg.get("invalidate_hard_deletes").and_then(Json::as_bool);
    let mode = cfg.str("hard_deletes");
    if cfg.get("invalidate_hard_deletes").is_some() && mode.is_some() {
        return Err(bad(file, "You cannot set both the invalidate_hard_deletes and hard_deletes config properties on the same snapshot."));
    }
    match (legacy, mode) {
        (Some(true), _) | (_, Some("invalidate")) => Ok(HardDeletes::Invalidate),
        (_, Some("new_record")) => Ok(HardDeletes::NewRecord),
        (_, None | Some("ignore")) => Ok(HardDeletes::Ignore),
        (_, Some(other)) => Err(bad(file, format!("Invalid setting for property hard_deletes: `{other}` (ignore, invalidate, new_record)"))),
    }
}

fn meta_columns(cfg: &Config, file: &str) -> Result<MetaColumns> {
    let names = cfg.get("snapshot_meta_column_names").and_then(Json::as_object).cloned().unwrap_or_default();
    const KEYS: [&str; 5] = ["dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_updated_at", "dbt_is_deleted"];
    if let Some(k) = names.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(bad(file, format!("snapshot_meta_column_names: unknown key `{k}` (expected one of {})", KEYS.join(", "))));
    }
    let name = |k: &str| names.get(k).and_then(Json::as_str).unwrap_or(k).to_string();
    Ok(MetaColumns {
        valid_from: name("dbt_valid_from"),
        valid_to: name("dbt_valid_to"),
        scd_id: name("dbt_scd_id"),
        updated_at: name("dbt_updated_at"),
        is_deleted: name("dbt_is_deleted"),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
}

/// The `{% snapshot %}` blocks of one file: (name, first line of the body, body).
pub fn blocks(rel: &str, text: &str) -> Result<Vec<(String, usize, String)>> {
    static OPEN: OnceLock<Regex> = OnceLock::new();
    static CLOSE: OnceLock<Regex> = OnceLock::new();
    let open = OPEN.get_or_init(|| Regex::new(r"\{%-?\s*snapshot\s+(\w+)\s*-?%\}").expect("static regex compiles"));
    let close = CLOSE.get_or_init(|| Regex::new(r"\{%-?\s*endsnapshot\s*-?%\}").expect("static regex compiles"));
    let mut out = vec![];
    let mut pos = 0;
    while let Some(m) = open.captures_at(text, pos) {
        let whole = m.get(0).map(|g| (g.start(), g.end())).unwrap_or((0, 0));
        let end = close.find_at(text, whole.1).ok_or_else(|| {
            bad(format!("{rel}:{}", line_of(text, whole.0)), "Reached EOF without finding a close tag for snapshot")
        })?;
        let body = &text[whole.1..end.start()];
        if let Some(nested) = open.find(body) {
            return Err(bad(format!("{rel}:{}", line_of(text, whole.1 + nested.start())), "a snapshot block cannot contain another"));
        }
        out.push((m[1].to_string(), line_of(text, whole.1), body.to_string()));
        pos = end.end();
    }
    if out.is_empty() && close.is_match(text) {
        return Err(bad(rel, "`{% endsnapshot %}` without a `{% snapshot %}`"));
    }
    Ok(out)
}

impl Project {
    /// Snapshot nodes from the `{% snapshot %}` blocks under the `snapshot-paths` of one project
    /// (the root, or a package installed at `rel`).
    pub(super) fn load_snapshots(&mut self, cfg: &DbtProject, rel: &str) -> Result<()> {
        for dir in &cfg.snapshot_paths {
            let dir = under(rel, dir);
            for file in discover(&self.root, &dir, "sql")? {
                let text = read(&self.root, &file)?;
                let found = blocks(&file, &text)?;
                let inner = file.strip_prefix(&dir).unwrap_or(&file).trim_start_matches('/').to_string();
                let stem = inner.rsplit_once('.').map_or(inner.as_str(), |(s, _)| s);
                for (name, line, body) in &found {
                    let mut fqn = vec![cfg.name.clone()];
                    fqn.extend(stem.split('/').map(String::from));
                    fqn.push(name.clone());
                    let config = self.tree_config(&cfg.name, Tree::Snapshots, &fqn)?;
                    let mut node = self.new_node(&cfg.name, Resource::Snapshot, name, &file, inner.clone(), fqn, body.clone(), config);
                    let template = if found.len() == 1 { file.clone() } else { format!("{file} ({name})") };
                    node.block = Some(SqlBlock { template, source: format!("{}{body}", "\n".repeat(line - 1)) });
                    self.insert(node)?;
                }
            }
        }
        Ok(())
    }

    /// A YAML snapshot (`relation: ref('x')` or `source('s', 't')`): a node selecting everything from it.
    pub(super) fn add_yaml_snapshot(&mut self, package: &str, entry: &Map<String, Json>, file: &str, dir: &str) -> Result<String> {
        let name = entry.get("name").and_then(Json::as_str).ok_or_else(|| bad(file, "A snapshot must define the 'name' property."))?;
        let relation = entry.get("relation").and_then(Json::as_str).unwrap_or_default().trim();
        if !(relation.starts_with("ref(") || relation.starts_with("source(")) || !relation.ends_with(')') {
            return Err(bad(file, format!("snapshot {name}: `relation:` must be a ref() or source() call, got `{relation}`")));
        }
        let inner = file.strip_prefix(dir).unwrap_or(file).trim_start_matches('/');
        let mut fqn = vec![package.to_string()];
        fqn.extend(inner.split('/').map(String::from));
        fqn.pop();
        fqn.push(name.to_string());
        let config = self.tree_config(package, Tree::Snapshots, &fqn)?;
        let raw = format!("select * from {{{{ {relation} }}}}");
        let path = format!("{inner}/{name}.sql");
        let mut node = self.new_node(package, Resource::Snapshot, name, file, path, fqn, raw.clone(), config);
        // Its own template name: one per snapshot, and not `.yml` (which minijinja would JSON-escape).
        node.block = Some(SqlBlock { template: format!("{file} ({name})"), source: raw });
        let uid = node.unique_id.clone();
        self.insert(node)?;
        Ok(uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(v: Json) -> Config {
        Config(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn blocks_keep_their_lines_and_unclosed_blocks_are_named() {
        let text = "{# c #}\n{% snapshot a %}\nselect 1\n{% endsnapshot %}\n\n{%- snapshot b -%}select 2{% endsnapshot %}";
        let b = blocks("snapshots/s.sql", text).unwrap();
        assert_eq!(b.iter().map(|(n, l, _)| (n.as_str(), *l)).collect::<Vec<_>>(), vec![("a", 2), ("b", 6)]);
        let err = blocks("snapshots/s.sql", "\n{% snapshot a %}\nselect 1").unwrap_err().to_string();
        assert!(err.contains("snapshots/s.sql:2") && err.contains("close tag"), "{err}");
    }

    #[test]
    fn specs_are_validated_as_dbt_does() {
        let s = Spec::from_config(&cfg(json!({"strategy": "check", "unique_key": ["id", "kind"], "check_cols": "all", "invalidate_hard_deletes": true})), "f").unwrap();
        assert_eq!((s.key_is_list, s.hard_deletes, s.strategy), (true, HardDeletes::Invalidate, Strategy::Check { cols: None, updated_at: None }));
        let s = Spec::from_config(&cfg(json!({"strategy": "timestamp", "unique_key": "id", "updated_at": "u", "snapshot_meta_column_names": {"dbt_valid_to": "valid_to"}})), "f").unwrap();
        assert_eq!((s.columns.valid_to.as_str(), s.columns.valid_from.as_str()), ("valid_to", "dbt_valid_from"));
        let errors = [
            (json!({"strategy": "timestamp"}), "'strategy' and 'unique_key'"),
            (json!({"strategy": "timestamp", "unique_key": "id"}), "updated_at"),
            (json!({"strategy": "check", "unique_key": "id"}), "check_cols"),
            (json!({"strategy": "check", "unique_key": "id", "check_cols": "some"}), "Invalid value for 'check_cols'"),
            (json!({"strategy": "custom", "unique_key": "id"}), "custom strategies"),
            (json!({"strategy": "check", "unique_key": "id", "check_cols": "all", "hard_deletes": "x"}), "hard_deletes"),
            (json!({"strategy": "check", "unique_key": "id", "check_cols": "all", "hard_deletes": "ignore", "invalidate_hard_deletes": false}), "both"),
        ];
        for (c, want) in errors {
            let err = Spec::from_config(&cfg(c.clone()), "f").unwrap_err().to_string();
            assert!(err.contains(want), "{c}: {err}");
        }
    }
}
