//! manifest.json's project hooks: each `on-run-start`/`on-run-end` entry of the root project and of
//! every package is an `operation` node (`operation.<project>.<project>-on-run-start-<i>`), as
//! dbt-core 1.10's `HookParser` makes them: the models config of its fqn, its project's
//! dbt_project.yml checksum, the hook type as its tag and its `index` (once run, as dbt's run sets it:
//! the hook's 1-based place among all hooks of its type, packages' first), in dbt's key order.

use serde_json::{json, Map, Value as Json};

use super::nodes::config_json;
use crate::compile::Manifest;
use crate::project::dbt_project::Tree;
use crate::project::digest::sha256_hex;
use crate::project::Resource;

/// (unique id, JSON) of every hook, each project's `on-run-start` hooks then its `on-run-end` ones.
pub fn hook_nodes(m: &Manifest) -> Vec<(String, Json)> {
    let root = &m.project.cfg.name;
    let mut out = vec![];
    let mut ran: Vec<(bool, String, &str, usize)> = vec![];
    for (cfg, _) in m.project.projects() {
        for (which, list) in [("on-run-start", &cfg.on_run_start), ("on-run-end", &cfg.on_run_end)] {
            ran.extend((0..list.len()).map(|i| (&cfg.name == root, cfg.name.clone(), which, i)));
        }
    }
    ran.sort();
    for (cfg, rel) in m.project.projects() {
        // dbt hashes the file's stripped text.
        let file = m.project.root.join(rel).join("dbt_project.yml");
        let checksum = std::fs::read_to_string(&file).map(|t| sha256_hex(t.trim().as_bytes())).unwrap_or_default();
        for (which, list) in [("on-run-start", &cfg.on_run_start), ("on-run-end", &cfg.on_run_end)] {
            for (index, sql) in list.iter().enumerate() {
                let name = format!("{}-{which}-{index}", cfg.name);
                let uid = format!("operation.{}.{name}", cfg.name);
                let place = ran.iter().filter(|r| r.2 == which).position(|r| r.1 == cfg.name && r.3 == index).map(|p| p + 1);
                let shown = if m.was_compiled(&uid) { place.unwrap_or(index) } else { index };
                let entry = hook_json(m, &cfg.name, &name, which, shown, sql, &checksum);
                out.push((uid, entry));
            }
        }
    }
    out
}

fn hook_json(m: &Manifest, project: &str, name: &str, which: &str, index: usize, sql: &str, checksum: &str) -> Json {
    let fqn = vec![project.to_string(), "hooks".into(), name.to_string()];
    let config = m.project.tree_config(project, Tree::Models, &fqn).unwrap_or_default();
    let node = m.project.new_node(project, Resource::Model, name, "./dbt_project.yml", format!("hooks/{name}.sql"), fqn.clone(), sql.into(), config);
    let mut config = config_json(&node);
    if let Some(o) = config.as_object_mut() {
        // A hook's config is a plain node config: no model `access`/`freshness`.
        o.remove("access");
        o.remove("freshness");
    }
    let unrendered = Json::Object(node.config.0.clone());
    let pairs = [
        ("database", json!(m.engine.shared.target_database)),
        ("schema", json!(m.engine.shared.target_schema)),
        ("name", json!(name)),
        ("resource_type", json!("operation")),
        ("package_name", json!(project)),
        ("path", json!(node.path)),
        ("original_file_path", json!("./dbt_project.yml")),
        ("unique_id", json!(format!("operation.{project}.{name}"))),
        ("fqn", json!(fqn)),
        ("alias", json!(name)),
        ("checksum", json!({"name": "sha256", "checksum": checksum})),
        ("config", config),
        ("tags", json!([which])),
        ("description", json!("")),
        ("columns", json!({})),
        ("meta", json!({})),
        ("group", Json::Null),
        ("docs", json!({"show": true, "node_color": null})),
        ("patch_path", Json::Null),
        ("build_path", Json::Null),
        ("unrendered_config", unrendered),
        ("created_at", json!(chrono::Utc::now().timestamp_micros() as f64 / 1e6)),
        ("relation_name", Json::Null),
        ("raw_code", json!(sql)),
        ("doc_blocks", json!([])),
        ("language", json!("sql")),
        ("refs", json!([])),
        ("sources", json!([])),
        ("metrics", json!([])),
        ("depends_on", json!({"macros": [], "nodes": []})),
        ("compiled_path", Json::Null),
        ("contract", json!({"enforced": false, "alias_types": true, "checksum": null})),
        ("index", json!(index)),
    ];
    Json::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())
}
