//! dbt's JSON of one resource, as manifest.json holds it and `ls --output json` prints it: the keys in
//! dbt's order, `config` with dbt-core 1.10's defaults under the project's values, `unrendered_config`
//! (what the project wrote), sha256 `checksum`s, and macros with their `macro_sql`.

use serde_json::{json, Map, Value as Json};

use crate::compile::Manifest;
use crate::project::{constraints, Config, MacroFile, Node, Resource, Source};

/// dbt's defaults of a model's or seed's config (a test's and a source's are below).
fn node_defaults(materialized: &str) -> Json {
    json!({
        "enabled": true, "alias": null, "schema": null, "database": null, "tags": [], "meta": {}, "group": null,
        "materialized": materialized, "incremental_strategy": null, "batch_size": null, "lookback": 1, "begin": null,
        "persist_docs": {}, "post-hook": [], "pre-hook": [], "quoting": {}, "column_types": {}, "full_refresh": null,
        "unique_key": null, "on_schema_change": "ignore", "on_configuration_change": "apply", "grants": {},
        "packages": [], "docs": {"show": true, "node_color": null}, "contract": {"enforced": false, "alias_types": true},
        "event_time": null, "concurrent_batches": null,
    })
}

fn test_defaults() -> Json {
    json!({
        "enabled": true, "alias": null, "schema": "dbt_test__audit", "database": null, "tags": [], "meta": {},
        "group": null, "materialized": "test", "severity": "ERROR", "store_failures": null, "store_failures_as": null,
        "where": null, "limit": null, "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0",
    })
}

fn hooks(cfg: &Config, which: &str) -> Json {
    let list: Vec<Json> = cfg.hooks(which).into_iter().enumerate().map(|(i, sql)| json!({"sql": sql, "transaction": true, "index": i})).collect();
    Json::Array(list)
}

/// The `config` of a node: dbt's defaults, then every value the project set (hooks in dbt's shape).
pub fn config_json(n: &Node) -> Json {
    let mut out = match n.resource {
        Resource::Test => test_defaults(),
        Resource::Seed => {
            let mut d = node_defaults("seed");
            if let Some(o) = d.as_object_mut() {
                o.insert("delimiter".into(), json!(","));
                o.insert("quote_columns".into(), Json::Null);
            }
            d
        }
        _ => {
            let mut d = node_defaults("view");
            if let Some(o) = d.as_object_mut() {
                o.insert("access".into(), json!("protected"));
                o.insert("freshness".into(), Json::Null);
            }
            d
        }
    };
    let Some(o) = out.as_object_mut() else { return out };
    for (k, v) in &n.config.0 {
        match k.as_str() {
            "pre_hook" | "pre-hook" | "post_hook" | "post-hook" => {}
            "severity" => {
                o.insert(k.clone(), json!(v.as_str().map(str::to_uppercase).unwrap_or_default()));
            }
            "tags" => {
                o.insert(k.clone(), json!(n.config.tags()));
            }
            "grants" => {
                o.insert(k.clone(), n.config.grants());
            }
            "contract" => {
                let (enforced, alias_types) = contract_flags(n);
                o.insert(k.clone(), json!({"enforced": enforced, "alias_types": alias_types}));
            }
            _ => {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    if n.resource == Resource::Model {
        o.insert("materialized".into(), json!(n.materialized()));
    }
    if n.resource != Resource::Test {
        o.insert("pre-hook".into(), hooks(&n.config, "pre"));
        o.insert("post-hook".into(), hooks(&n.config, "post"));
    }
    out
}

/// `contract.enforced` and `contract.alias_types` of a node's config (validated when it was parsed).
fn contract_flags(n: &Node) -> (bool, bool) {
    constraints::contract_of(n.config.get("contract"), &n.original_file_path).unwrap_or((false, true))
}

/// The node's `contract`: with `checksum` when enforced (dbt's `build_contract_checksum`).
fn contract_json(n: &Node) -> Json {
    let (enforced, alias_types) = contract_flags(n);
    let checksum = enforced.then(|| {
        let cols: Vec<_> = n.columns.iter().map(|c| (c.name.clone(), c.data_type.clone(), c.constraints.clone())).collect();
        constraints::checksum(&cols, n.materialized(), &n.constraints)
    });
    json!({"enforced": enforced, "alias_types": alias_types, "checksum": checksum})
}

fn columns_json(cols: &[crate::project::Column], compiled: bool) -> Json {
    let map: Map<String, Json> = cols
        .iter()
        .map(|c| {
            (c.name.clone(), json!({"name": c.name, "description": c.description, "meta": {}, "data_type": c.data_type,
                "constraints": constraints::manifest_list(&c.constraints, compiled), "quote": c.quote, "config": {"meta": {}, "tags": []}, "tags": [], "granularity": c.granularity,
                "doc_blocks": []}))
        })
        .collect();
    Json::Object(map)
}

/// One manifest node, keys in dbt's order.
pub fn node_json(m: &Manifest, n: &Node) -> Json {
    // A package's node: its own package name and paths within the package, as dbt writes them.
    let project = &n.package_name;
    let own_path = m.project.in_package(project, &n.original_file_path);
    let relation_name = match n.materialized() {
        "ephemeral" | "test" => Json::Null,
        _ => json!(m.dialect.render_relation(&n.relation)),
    };
    let folder = match n.resource {
        Resource::Test if n.generic.is_some() => format!("{own_path}/{}", n.path),
        _ => own_path.to_string(),
    };
    let mut o = Map::new();
    let mut put = |k: &str, v: Json| {
        o.insert(k.into(), v);
    };
    put("database", json!(n.relation.database));
    put("schema", json!(n.relation.schema));
    put("name", json!(n.name));
    put("resource_type", json!(n.resource.as_str()));
    put("package_name", json!(project));
    put("path", json!(n.path));
    put("original_file_path", json!(own_path));
    put("unique_id", json!(n.unique_id));
    put("fqn", json!(n.fqn));
    put("alias", json!(n.relation.identifier));
    put("checksum", json!({"name": n.checksum.0, "checksum": n.checksum.1}));
    put("config", config_json(n));
    put("tags", json!(n.config.tags()));
    put("description", json!(n.description));
    let compiled = m.was_compiled(&n.unique_id);
    put("columns", columns_json(&n.columns, compiled));
    put("meta", n.config.get("meta").cloned().unwrap_or(json!({})));
    put("group", n.config.get("group").cloned().unwrap_or(Json::Null));
    put("docs", n.config.get("docs").cloned().unwrap_or(json!({"show": true, "node_color": null})));
    put("patch_path", json!(n.patch_path.as_ref().map(|p| format!("{project}://{}", m.project.in_package(project, p)))));
    put("build_path", json!(format!("{}/run/{project}/{folder}", m.project.cfg.target_path)));
    put("unrendered_config", Json::Object(n.config.0.clone()));
    put("relation_name", relation_name);
    put("raw_code", json!(n.raw_code));
    put("doc_blocks", json!([]));
    put("language", json!("sql"));
    let refs: Vec<Json> = n.refs.iter().map(|r| json!({"name": r.name, "package": r.package, "version": r.version})).collect();
    put("refs", Json::Array(refs));
    put("sources", json!(n.sources.iter().map(|(s, t)| [s, t]).collect::<Vec<_>>()));
    put("metrics", json!([]));
    if n.resource == Resource::Seed {
        put("depends_on", json!({"macros": n.depends_on_macros}));
    } else {
        put("depends_on", json!({"macros": n.depends_on_macros, "nodes": n.depends_on}));
    }
    put("compiled_path", json!(format!("{}/compiled/{project}/{folder}", m.project.cfg.target_path)));
    put("contract", contract_json(n));
    if n.resource == Resource::Model {
        put("access", n.config.get("access").cloned().unwrap_or(json!("protected")));
        put("constraints", constraints::manifest_list(&n.constraints, compiled));
        put("version", json!(n.version));
        put("latest_version", json!(n.latest_version));
        put("deprecation_date", json!(n.deprecation_date));
        put("time_spine", n.time_spine.as_ref().map_or(Json::Null, |t| t.manifest_json()));
    }
    if let Some(g) = &n.generic {
        put("column_name", json!(g.column_name));
        // A model version's id ends in `.v<version>`: the YAML key is the model's name before it.
        let target = if g.version.is_some() { g.attached_to.rsplit_once('.').map_or("", |x| x.0) } else { g.attached_to.as_str() };
        put("file_key_name", json!(format!("models.{}", target.rsplit('.').next().unwrap_or_default())));
        put("attached_node", json!(g.attached_to));
        let (namespace, name) = match g.test_name.split_once('.') {
            Some((ns, name)) => (json!(ns), name.to_string()),
            None => (Json::Null, g.test_name.clone()),
        };
        put("test_metadata", json!({"name": name, "kwargs": g.kwargs, "namespace": namespace}));
    }
    Json::Object(o)
}

/// One manifest source, keys in dbt's order.
pub fn source_json(m: &Manifest, s: &Source) -> Json {
    let unset = json!({"count": null, "period": null});
    let freshness = match &s.freshness {
        Json::Object(f) => json!({"warn_after": f.get("warn_after").cloned().unwrap_or(unset.clone()),
                                  "error_after": f.get("error_after").cloned().unwrap_or(unset.clone()),
                                  "filter": f.get("filter").cloned().unwrap_or(Json::Null)}),
        _ => json!({"warn_after": unset, "error_after": unset, "filter": null}),
    };
    let meta = if s.meta.is_null() { json!({}) } else { s.meta.clone() };
    let (s_freshness, s_meta) = (&freshness, &meta);
    let config = json!({"enabled": true, "event_time": null, "freshness": s_freshness, "loaded_at_field": s.loaded_at_field,
                        "loaded_at_query": null, "meta": s_meta, "tags": s.tags});
    json!({
        "database": s.relation.database, "schema": s.relation.schema, "name": s.name, "resource_type": "source",
        "package_name": s.package_name, "path": m.project.in_package(&s.package_name, &s.original_file_path),
        "original_file_path": m.project.in_package(&s.package_name, &s.original_file_path),
        "unique_id": s.unique_id, "fqn": s.fqn, "source_name": s.source_name, "source_description": "", "loader": "",
        "identifier": s.relation.identifier,
        "quoting": {"database": null, "schema": null, "identifier": null, "column": null},
        "loaded_at_field": s.loaded_at_field, "loaded_at_query": null, "freshness": s_freshness, "external": null,
        "description": s.description, "columns": columns_json(&s.columns, false), "meta": s_meta, "source_meta": {},
        "tags": s.tags, "config": config, "patch_path": null,
        "unrendered_config": crate::state::source_unrendered(s),
        "relation_name": m.dialect.render_relation(&s.relation), "unrendered_database": s.database,
        "unrendered_schema": s.schema, "doc_blocks": [],
    })
}

/// The macros of one file, as manifest entries (`macro.<package>.<name>` → {name, macro_sql, …}).
pub fn macros_json(m: &Manifest, file: &MacroFile) -> Vec<(String, Json)> {
    let project = file.package.as_str();
    let path = m.project.in_package(project, &file.path);
    file.macros
        .iter()
        .map(|(name, _)| {
            let id = format!("macro.{project}.{name}");
            let entry = json!({
                "name": name, "resource_type": "macro", "package_name": project, "path": path,
                "original_file_path": path, "unique_id": id, "macro_sql": file.macro_sql(name).unwrap_or_default(),
                "depends_on": {"macros": []}, "description": "", "meta": {}, "docs": {"show": true, "node_color": null},
                "patch_path": null, "arguments": [], "supported_languages": null,
            });
            (id, entry)
        })
        .collect()
}

/// `entry` with only `keys` (dbt's `ls --output-keys`), in the entry's own order.
pub fn only_keys(entry: Json, keys: &[String]) -> Json {
    match entry {
        Json::Object(o) => Json::Object(o.into_iter().filter(|(k, _)| keys.iter().any(|w| w == k)).collect()),
        other => other,
    }
}

/// A unit test as dbt's manifest has it (under `unit_tests`, not `nodes`).
pub fn unit_test_json(m: &Manifest, n: &Node) -> Json {
    let mut out = n.unit.as_ref().map(|u| u.manifest.clone()).unwrap_or_default();
    let model = n.unit.as_ref().and_then(|u| m.project.nodes.get(&u.model));
    // A test of a model version keeps the test's own name and records the version (`…_v2` is its id's).
    let own = |k: &str| n.unit.as_ref().and_then(|u| u.manifest.get(k)).cloned();
    let fields = json!({
        "model": model.map(|t| t.name.as_str()), "name": own("name").unwrap_or(json!(n.name)), "resource_type": "unit_test",
        "package_name": n.package_name, "path": n.path, "original_file_path": m.project.in_package(&n.package_name, &n.original_file_path),
        "unique_id": n.unique_id, "fqn": n.fqn, "description": n.description,
        "depends_on": {"macros": n.depends_on_macros, "nodes": n.depends_on}, "config": n.config,
        "schema": n.relation.schema, "version": own("version").unwrap_or(Json::Null),
    });
    if let Json::Object(f) = fields {
        out.extend(f);
    }
    Json::Object(out)
}
