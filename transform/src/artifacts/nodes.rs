//! dbt's JSON of one resource, as manifest.json holds it and `ls --output json` prints it: the keys in
//! dbt's order, `config` with dbt-core 1.10's defaults under the project's values, `unrendered_config`
//! (what the project wrote), sha256 `checksum`s, and macros with their `macro_sql`.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::compile::Manifest;
use crate::project::{constraints, Column, Config, MacroFile, Node, Resource, Source};

/// dbt's defaults of a model's or seed's config (a test's and a source's are below).
fn node_defaults(materialized: &str) -> Map<String, Json> {
    object(json!({
        "enabled": true, "alias": null, "schema": null, "database": null, "tags": [], "meta": {}, "group": null,
        "materialized": materialized, "incremental_strategy": null, "batch_size": null, "lookback": 1, "begin": null,
        "persist_docs": {}, "post-hook": [], "pre-hook": [], "quoting": {}, "column_types": {}, "full_refresh": null,
        "unique_key": null, "on_schema_change": "ignore", "on_configuration_change": "apply", "grants": {},
        "packages": [], "docs": {"show": true, "node_color": null}, "contract": {"enforced": false, "alias_types": true},
        "event_time": null, "concurrent_batches": null,
    }))
}

fn object(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(o) => o,
        _ => Map::new(),
    }
}

static TEST_DEFAULTS: LazyLock<Map<String, Json>> = LazyLock::new(|| {
    object(json!({
        "enabled": true, "alias": null, "schema": "dbt_test__audit", "database": null, "tags": [], "meta": {},
        "group": null, "materialized": "test", "severity": "ERROR", "store_failures": null, "store_failures_as": null,
        "where": null, "limit": null, "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0",
    }))
});

static SEED_DEFAULTS: LazyLock<Map<String, Json>> = LazyLock::new(|| {
    let mut d = node_defaults("seed");
    d.insert("delimiter".into(), json!(","));
    d.insert("quote_columns".into(), Json::Null);
    d
});

static MODEL_DEFAULTS: LazyLock<Map<String, Json>> = LazyLock::new(|| {
    let mut d = node_defaults("view");
    d.insert("access".into(), json!("protected"));
    d.insert("freshness".into(), Json::Null);
    d
});

static EMPTY_OBJECT: LazyLock<Json> = LazyLock::new(|| json!({}));
static DOCS_DEFAULT: LazyLock<Json> = LazyLock::new(|| json!({"show": true, "node_color": null}));

/// `[]` in a serialized entry.
const NO_ITEMS: [(); 0] = [];

/// `{}` in a serialized entry.
struct EmptyMap;

impl Serialize for EmptyMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

fn hooks(cfg: &Config, which: &str) -> Json {
    let list: Vec<Json> = cfg.hooks(which).into_iter().enumerate().map(|(i, sql)| json!({"sql": sql, "transaction": true, "index": i})).collect();
    Json::Array(list)
}

fn is_hook(key: &str) -> bool {
    matches!(key, "pre_hook" | "pre-hook" | "post_hook" | "post-hook")
}

/// The `config` of a node: dbt's defaults in dbt's order, each replaced where the project set it, then
/// the project's other keys in its order (hooks in dbt's shape; no hooks on tests).
struct ConfigJson<'a>(&'a Node);

impl Serialize for ConfigJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let defaults: &Map<String, Json> = match n.resource {
            Resource::Test => &TEST_DEFAULTS,
            Resource::Seed => &SEED_DEFAULTS,
            _ => &MODEL_DEFAULTS,
        };
        let mut o = s.serialize_map(None)?;
        for (k, default) in defaults {
            match config_default_key(n, k) {
                Some(v) => o.serialize_entry(k, &v)?,
                None => o.serialize_entry(k, default)?,
            }
        }
        for (k, v) in n.config.0.iter().filter(|(k, _)| !defaults.contains_key(*k) && !is_hook(k)) {
            o.serialize_entry(k, &config_value(n, k, v))?;
        }
        o.end()
    }
}

/// A node's `config` as a JSON value (the project hooks' entries start from it).
pub fn config_json(n: &Node) -> Json {
    // Cannot fail: every key is a string.
    serde_json::to_value(ConfigJson(n)).unwrap_or(Json::Null)
}

/// The value of one of dbt's default config keys, when the node's kind or its project decides it.
fn config_default_key<'a>(n: &'a Node, key: &str) -> Option<Cow<'a, Json>> {
    match key {
        "materialized" if n.resource == Resource::Model => Some(Cow::Owned(json!(n.materialized()))),
        "store_failures" if n.resource == Resource::Test => n.config.store_failures().map(|b| Cow::Owned(json!(b))),
        "store_failures_as" if n.resource == Resource::Test => n.config.store_failures_as().map(|k| Cow::Owned(json!(k))),
        "pre-hook" => Some(Cow::Owned(hooks(&n.config, "pre"))),
        "post-hook" => Some(Cow::Owned(hooks(&n.config, "post"))),
        _ => n.config.0.get(key).map(|v| config_value(n, key, v)),
    }
}

/// A value the project set, in the shape dbt writes it.
fn config_value<'a>(n: &'a Node, key: &str, v: &'a Json) -> Cow<'a, Json> {
    match key {
        "tags" => Cow::Owned(json!(n.config.tags())),
        "grants" => Cow::Owned(n.config.grants()),
        "contract" => {
            let (enforced, alias_types) = contract_flags(n);
            Cow::Owned(json!({"enforced": enforced, "alias_types": alias_types}))
        }
        _ => Cow::Borrowed(v),
    }
}

/// `contract.enforced` and `contract.alias_types` of a node's config (validated when it was parsed).
fn contract_flags(n: &Node) -> (bool, bool) {
    constraints::contract_of(n.config.get("contract"), &n.original_file_path).unwrap_or((false, true))
}

/// The node's `contract`: with `checksum` when enforced (dbt's `build_contract_checksum`).
#[derive(Serialize)]
struct Contract {
    enforced: bool,
    alias_types: bool,
    checksum: Option<String>,
}

fn contract(n: &Node) -> Contract {
    let (enforced, alias_types) = contract_flags(n);
    let checksum = enforced.then(|| {
        let cols: Vec<_> = n.columns.iter().map(|c| (c.name.clone(), c.data_type.clone(), c.constraints.clone())).collect();
        constraints::checksum(&cols, n.materialized(), &n.constraints)
    });
    Contract { enforced, alias_types, checksum }
}

/// `columns`: name → entry; a name given twice keeps its first place and its last entry (as a JSON map does).
/// `compiled`: the node was compiled in this run (a foreign key's `to` is then its relation, as dbt writes it).
struct Columns<'a>(&'a [Column], bool);

impl Serialize for Columns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (cols, compiled) = (self.0, self.1);
        let first = |i: usize, c: &Column| !cols[..i].iter().any(|d| d.name == c.name);
        let last = |c: &Column| cols.iter().rposition(|d| d.name == c.name).unwrap_or_default();
        s.collect_map(cols.iter().enumerate().filter(|(i, c)| first(*i, c)).map(|(_, c)| (&c.name, ColumnJson::of(&cols[last(c)], compiled))))
    }
}

#[derive(Serialize)]
struct ColumnJson<'a> {
    name: &'a str,
    description: &'a str,
    meta: EmptyMap,
    data_type: &'a Option<String>,
    constraints: Json,
    quote: Option<bool>,
    config: ColumnConfig,
    tags: [(); 0],
    granularity: &'a Option<String>,
    doc_blocks: &'a [String],
}

#[derive(Serialize)]
struct ColumnConfig {
    meta: EmptyMap,
    tags: [(); 0],
}

impl<'a> ColumnJson<'a> {
    fn of(c: &'a Column, compiled: bool) -> Self {
        let constraints = constraints::manifest_list(&c.constraints, compiled);
        let config = ColumnConfig { meta: EmptyMap, tags: NO_ITEMS };
        ColumnJson { name: &c.name, description: &c.description, meta: EmptyMap, data_type: &c.data_type, constraints, quote: c.quote, config, tags: NO_ITEMS, granularity: &c.granularity, doc_blocks: &c.doc_blocks }
    }
}

#[derive(Serialize)]
struct Checksum<'a> {
    name: &'a str,
    checksum: &'a str,
}

#[derive(Serialize)]
struct RefJson<'a> {
    name: &'a str,
    package: Option<&'a String>,
    version: Option<&'a Json>,
}

#[derive(Serialize)]
struct DependsOn<'a> {
    macros: &'a [String],
    /// Seeds have no `nodes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<&'a [String]>,
}

#[derive(Serialize)]
struct TestMetadata<'a> {
    name: &'a str,
    kwargs: &'a Map<String, Json>,
    namespace: Option<&'a str>,
}

/// One manifest node, keys in dbt's order, serialized straight from the node.
pub struct NodeJson<'a> {
    pub m: &'a Manifest,
    pub n: &'a Node,
}

impl Serialize for NodeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (m, n) = (self.m, self.n);
        // A package's node: its own package name and paths within the package, as dbt writes them.
        let project = &n.package_name;
        let own_path = m.project.in_package(project, &n.original_file_path);
        let relation_name = match n.materialized() {
            // A test has a relation when it stores its failures (dbt's `is_relational`).
            "test" if matches!(n.config.store_failures_as(), Some("table" | "view")) => Some(m.dialect.render_relation(&n.relation)),
            "ephemeral" | "test" => None,
            _ => Some(m.dialect.render_relation(&n.relation)),
        };
        let folder = match n.resource {
            Resource::Test if n.generic.is_some() => format!("{own_path}/{}", n.path),
            _ => own_path.to_string(),
        };
        let target = &m.project.cfg.target_path;
        let mut o = s.serialize_map(None)?;
        o.serialize_entry("database", &n.relation.database)?;
        o.serialize_entry("schema", &n.relation.schema)?;
        o.serialize_entry("name", &n.name)?;
        o.serialize_entry("resource_type", n.resource.as_str())?;
        o.serialize_entry("package_name", project)?;
        o.serialize_entry("path", &n.path)?;
        o.serialize_entry("original_file_path", own_path)?;
        o.serialize_entry("unique_id", &n.unique_id)?;
        o.serialize_entry("fqn", &n.fqn)?;
        o.serialize_entry("alias", &n.relation.identifier)?;
        o.serialize_entry("checksum", &Checksum { name: &n.checksum.0, checksum: &n.checksum.1 })?;
        o.serialize_entry("config", &ConfigJson(n))?;
        o.serialize_entry("tags", &n.config.tags())?;
        o.serialize_entry("description", &n.description)?;
        let compiled = m.was_compiled(&n.unique_id);
        o.serialize_entry("columns", &Columns(&n.columns, compiled))?;
        o.serialize_entry("meta", n.config.get("meta").unwrap_or(&EMPTY_OBJECT))?;
        o.serialize_entry("group", n.group().unwrap_or(&Json::Null))?;
        o.serialize_entry("docs", n.config.get("docs").unwrap_or(&DOCS_DEFAULT))?;
        o.serialize_entry("patch_path", &n.patch_path.as_ref().map(|p| format!("{project}://{}", m.project.in_package(project, p))))?;
        o.serialize_entry("build_path", &format!("{target}/run/{project}/{folder}"))?;
        o.serialize_entry("unrendered_config", &n.config.0)?;
        o.serialize_entry("created_at", &m.created_at)?;
        o.serialize_entry("relation_name", &relation_name)?;
        o.serialize_entry("raw_code", &n.raw_code)?;
        o.serialize_entry("doc_blocks", &n.doc_blocks)?;
        if n.resource == Resource::Seed {
            // A seed is data, not code: no refs, sources, compiled path or contract.
            o.serialize_entry("root_path", &m.project.package_root(project))?;
            o.serialize_entry("depends_on", &DependsOn { macros: &n.depends_on_macros, nodes: None })?;
            return o.end();
        }
        o.serialize_entry("language", "sql")?;
        let refs: Vec<RefJson> = n.refs.iter().map(|r| RefJson { name: &r.name, package: r.package.as_ref(), version: r.version.as_ref() }).collect();
        o.serialize_entry("refs", &refs)?;
        o.serialize_entry("sources", &n.sources.iter().map(|(s, t)| [s, t]).collect::<Vec<_>>())?;
        o.serialize_entry("metrics", &NO_ITEMS)?;
        o.serialize_entry("depends_on", &DependsOn { macros: &n.depends_on_macros, nodes: Some(&n.depends_on) })?;
        o.serialize_entry("compiled_path", &format!("{target}/compiled/{project}/{folder}"))?;
        o.serialize_entry("contract", &contract(n))?;
        if n.resource == Resource::Model {
            match n.config.get("access") {
                Some(access) => o.serialize_entry("access", access)?,
                None => o.serialize_entry("access", "protected")?,
            }
            o.serialize_entry("constraints", &constraints::manifest_list(&n.constraints, compiled))?;
            o.serialize_entry("version", &n.version)?;
            o.serialize_entry("latest_version", &n.latest_version)?;
            o.serialize_entry("deprecation_date", &n.deprecation_date)?;
            o.serialize_entry("primary_key", &m.primary_key(&n.unique_id))?;
            o.serialize_entry("time_spine", &n.time_spine.as_ref().map(|t| t.manifest_json()))?;
        }
        if let Some(g) = &n.generic {
            o.serialize_entry("column_name", &g.column_name.as_ref().filter(|_| g.column_argument_at.is_none()))?;
            // A model version's id ends in `.v<version>`: the YAML key is the model's name before it.
            let target = if g.version.is_some() { g.attached_to.rsplit_once('.').map_or("", |x| x.0) } else { g.attached_to.as_str() };
            o.serialize_entry("file_key_name", &file_key_name(target))?;
            // dbt attaches tests to models, seeds and snapshots, not to sources.
            o.serialize_entry("attached_node", &Some(&g.attached_to).filter(|a| !a.starts_with("source.")))?;
            let (namespace, name) = match g.test_name.split_once('.') {
                Some((ns, name)) => (Some(ns), name),
                None => (g.namespace.as_deref(), g.test_name.as_str()),
            };
            o.serialize_entry("test_metadata", &TestMetadata { name, kwargs: &crate::project::generic_tests::metadata_kwargs(g), namespace })?;
        }
        o.end()
    }
}

/// dbt's `file_key_name` of a generic test: the YAML list its target is under, and the target's name
/// (`models.orders`, `seeds.raw_orders`, `sources.raw` for a source table).
fn file_key_name(attached_to: &str) -> String {
    match attached_to.splitn(4, '.').collect::<Vec<_>>().as_slice() {
        ["source", _, source, _] => format!("sources.{source}"),
        [kind, _, name, ..] => format!("{kind}s.{name}"),
        _ => format!("models.{attached_to}"),
    }
}

/// One manifest node as a JSON value (`ls --output json`).
pub fn node_json(m: &Manifest, n: &Node) -> Json {
    // Cannot fail: every key is a string.
    serde_json::to_value(NodeJson { m, n }).unwrap_or(Json::Null)
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
        "description": s.description, "columns": Columns(&s.columns, false), "meta": s_meta, "source_meta": {},
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
                "patch_path": null, "arguments": [],
                // dbt records a materialization's languages; plain macros have none.
                "supported_languages": file.materialization(name).map(|m| m.languages.clone()),
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
