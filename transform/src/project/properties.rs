//! YAML property files (`models:`, `sources:`, `seeds:`): descriptions, columns, configs and the
//! generic data tests declared on models, seeds, sources and their columns. Every key is checked;
//! a property entry naming a model that does not exist is an error, not a silent no-op.

use serde_json::{Map, Value as Json};

use super::constraints;
use super::time_spine;
use super::config::{validate_keys, validate_values, MODEL_KEYS, SEED_KEYS, SNAPSHOT_KEYS};
use super::dbt_project::read_yaml;
use super::generic_tests::{generic_test_node, Target};
use super::versions;
use super::files::discover;
use super::nodes::{Column, Project, RelationName, Resource, Source};
use crate::error::{suggest, Error, Result};

const FILE_KEYS: &[&str] = &[
    "version", "models", "sources", "seeds", "snapshots", "data_tests", "macros", "unit_tests", "semantic_models", "metrics",
    "saved_queries", "exposures", "groups",
];
const SEED_ENTRY: &[&str] =
    &["name", "description", "columns", "data_tests", "tests", "config", "meta", "docs", "tags", "constraints", "access", "group", "time_spine"];
/// A model entry: a seed's keys and model versions (`versions`).
const MODEL_ENTRY: &[&str] = &[
    "name", "description", "columns", "data_tests", "tests", "config", "meta", "docs", "tags", "constraints", "access", "group", "time_spine",
    "versions", "latest_version", "deprecation_date",
];
/// A YAML snapshot's own keys besides a model entry's.
const SNAPSHOT_ENTRY: &[&str] = &["name", "description", "columns", "data_tests", "tests", "config", "meta", "docs", "tags", "relation"];
const COLUMN_ENTRY: &[&str] =
    &["name", "description", "data_type", "data_tests", "tests", "meta", "tags", "quote", "constraints", "granularity"];
const SOURCE_ENTRY: &[&str] = &[
    "name", "description", "database", "schema", "loader", "loaded_at_field", "freshness", "tables", "meta", "tags",
    "config",
];
const TABLE_ENTRY: &[&str] =
    &["name", "description", "identifier", "loaded_at_field", "freshness", "columns", "data_tests", "tests", "meta", "tags", "config"];

fn check(obj: &Map<String, Json>, known: &[&str], file: &str, at: &str) -> Result<()> {
    for key in ["columns", "data_tests", "tests", "tables"] {
        if obj.get(key).is_some_and(|v| !v.is_array() && !v.is_null()) {
            return Err(Error::project(file, format!("{at}: `{key}:` must be a list")));
        }
    }
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            return Err(Error::UnknownKey {
                file: file.into(),
                what: "property",
                key: key.clone(),
                at: at.into(),
                suggestion: suggest(key, known.iter().copied()),
            });
        }
    }
    Ok(())
}

fn entries<'a>(doc: &'a Json, key: &str, file: &str) -> Result<Vec<&'a Map<String, Json>>> {
    match doc.get(key) {
        None | Some(Json::Null) => Ok(vec![]),
        Some(Json::Array(a)) => a
            .iter()
            .map(|e| e.as_object().ok_or_else(|| Error::project(file, format!("each entry of `{key}:` must be a mapping"))))
            .collect(),
        Some(_) => Err(Error::project(file, format!("`{key}:` must be a list"))),
    }
}

fn text(obj: &Map<String, Json>, key: &str) -> String {
    obj.get(key).and_then(Json::as_str).unwrap_or_default().to_string()
}

fn name_of(obj: &Map<String, Json>, file: &str, what: &str) -> Result<String> {
    obj.get("name").and_then(Json::as_str).map(String::from).ok_or_else(|| Error::project(file, format!("a {what} entry has no `name`")))
}

fn doc_call() -> &'static regex::Regex {
    static DOC: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    DOC.get_or_init(|| regex::Regex::new(r#"\{\{\s*doc\(\s*['"]([\w.]+)['"]\s*\)\s*\}\}"#).expect("static regex compiles"))
}

/// dbt's `doc_blocks`: the unique ids of the `{{ doc('name') }}` blocks a description renders.
fn doc_blocks(project: &Project, s: &str) -> Vec<String> {
    if !s.contains("doc(") {
        return vec![];
    }
    let found = doc_call().captures_iter(s).filter(|c| project.docs.contains_key(&c[1]));
    found.map(|c| format!("doc.{}.{}", project.cfg.name, &c[1])).collect()
}

/// Replaces `{{ doc('name') }}` with the docs block's text.
fn render_docs(project: &Project, s: &str, file: &str) -> Result<String> {
    if !s.contains("doc(") {
        return Ok(s.to_string());
    }
    let re = doc_call();
    let mut missing = None;
    let out = re.replace_all(s, |c: &regex::Captures| match project.docs.get(&c[1]) {
        Some(d) => d.clone(),
        None => {
            missing = Some(c[1].to_string());
            String::new()
        }
    });
    match missing {
        Some(m) => Err(Error::MissingRef {
            file: file.into(),
            node: "a description".into(),
            what: "docs block",
            suggestion: suggest(&m, project.docs.keys().map(String::as_str)),
            name: m,
        }),
        None => Ok(out.into_owned()),
    }
}

struct Pending {
    package: String,
    file: String,
    attached_to: String,
    target_name: String,
    version: Option<Json>,
    column: Option<String>,
    spec: Json,
}

/// A property file: its package, the resource folder it is under, and its path relative to the root.
struct PropertyFile {
    package: String,
    dir: String,
    file: String,
}

/// The YAML property files of every project (root and packages), under every resource path.
fn property_files(project: &Project) -> Result<Vec<PropertyFile>> {
    let mut out = vec![];
    for (cfg, rel) in project.projects() {
        for dir in cfg.source_paths() {
            let dir = super::files::under(rel, &dir);
            for ext in ["yml", "yaml"] {
                for file in discover(&project.root, &dir, ext)? {
                    out.push(PropertyFile { package: cfg.name.clone(), dir: dir.clone(), file });
                }
            }
        }
    }
    Ok(out)
}

pub fn apply_property_files(project: &mut Project) -> Result<()> {
    let mut pending = vec![];
    // Unit tests name their model: added once every file's models are known.
    let mut units = vec![];
    // Reading and parsing the YAML is independent per file: on all cores; applied in file order.
    let files = property_files(project)?;
    let docs = crate::parallel::map(&files, |f| read_yaml(&project.root.join(&f.file), &f.file));
    for (PropertyFile { package, dir, file: rel }, doc) in files.into_iter().zip(docs) {
        let doc = doc?;
        if let Some(obj) = doc.as_object() {
            check(obj, FILE_KEYS, &rel, "the top level")?;
        }
        for e in entries(&doc, "models", &rel)? {
            patch_node(project, &package, e, &rel, Resource::Model, &mut pending)?;
        }
        for e in entries(&doc, "seeds", &rel)? {
            patch_node(project, &package, e, &rel, Resource::Seed, &mut pending)?;
        }
        for e in entries(&doc, "sources", &rel)? {
            add_source(project, &package, e, &rel, &mut pending)?;
        }
        for e in entries(&doc, "snapshots", &rel)? {
            if e.contains_key("relation") {
                project.add_yaml_snapshot(&package, e, &rel, &dir)?;
            }
            patch_node(project, &package, e, &rel, Resource::Snapshot, &mut pending)?;
        }
        project.add_semantic_entries(&doc, &package, &rel)?;
        units.extend(entries(&doc, "unit_tests", &rel)?.into_iter().map(|e| (package.clone(), e.clone(), rel.clone(), dir.clone())));
    }
    // Building test nodes (names, md5 ids, configs) is independent: on all cores; inserted in order.
    let tests = crate::parallel::map(&pending, |p| {
        let target = Target { attached_to: &p.attached_to, name: &p.target_name, version: p.version.as_ref() };
        generic_test_node(project, &p.package, &p.file, &target, p.column.as_deref(), &p.spec)
    });
    for node in tests {
        project.insert(node?)?;
    }
    for (package, e, file, dir) in units {
        project.add_unit_test(&package, &e, &file, &dir)?;
    }
    Ok(())
}

fn test_specs(obj: &Map<String, Json>) -> impl Iterator<Item = &Json> {
    ["data_tests", "tests"].into_iter().filter_map(|k| obj.get(k).and_then(Json::as_array)).flatten()
}

fn columns(project: &Project, obj: &Map<String, Json>, file: &str, at: &str) -> Result<Vec<(Column, &'static str)>> {
    let mut out = vec![];
    for c in obj.get("columns").and_then(Json::as_array).into_iter().flatten() {
        let c = c.as_object().ok_or_else(|| Error::project(file, format!("{at}: each column must be a mapping")))?;
        let name = name_of(c, file, "column")?;
        check(c, COLUMN_ENTRY, file, &format!("{at}.columns.{name}"))?;
        let description = render_docs(project, &text(c, "description"), file)?;
        let doc_blocks = doc_blocks(project, &text(c, "description"));
        let data_type = c.get("data_type").and_then(Json::as_str).map(String::from);
        let quote = c.get("quote").and_then(Json::as_bool);
        let constraints = constraints::parse_list(c.get("constraints"), false, file, &format!("{at}.columns.{name}"))?;
        let granularity = time_spine::granularity(c, file, &format!("{at}.columns.{name}"))?;
        out.push((Column { name, description, doc_blocks, data_type, quote, constraints, granularity }, ""));
    }
    Ok(out)
}

fn patch_node(project: &mut Project, package: &str, e: &Map<String, Json>, file: &str, resource: Resource, pending: &mut Vec<Pending>) -> Result<()> {
    let name = name_of(e, file, resource.as_str())?;
    let entry_keys = match resource {
        Resource::Snapshot => SNAPSHOT_ENTRY,
        Resource::Model => MODEL_ENTRY,
        _ => SEED_ENTRY,
    };
    check(e, entry_keys, file, &format!("{}s.{name}", resource.as_str()))?;
    if resource == Resource::Model {
        if let Some(vs) = versions::parse(e, &name, file)? {
            return patch_versions(project, package, e, &vs, file, pending);
        }
    }
    let uid = format!("{}.{}.{}", resource.as_str(), package, name);
    if !project.nodes.contains_key(&uid) {
        let names: Vec<&str> =
            project.nodes.values().filter(|n| n.resource == resource && n.package_name == package).map(|n| n.name.as_str()).collect();
        return Err(Error::MissingRef {
            file: file.into(),
            node: "a property entry".into(),
            what: resource.as_str(),
            suggestion: suggest(&name, names),
            name,
        });
    }
    apply_patch(project, package, e, file, &Target { attached_to: &uid, name: &name, version: None }, pending)
}

/// Each version of a versioned model: its file's node becomes `model.<pkg>.<name>.v<v>`, patched with
/// the version's effective entry; its tests are named after `<name>_v<v>`.
fn patch_versions(project: &mut Project, package: &str, e: &Map<String, Json>, vs: &versions::Versions, file: &str, pending: &mut Vec<Pending>) -> Result<()> {
    let name = name_of(e, file, "model")?;
    for v in &vs.list {
        let uid = project.claim_version(package, &name, v, &vs.latest, file)?;
        let entry = v.entry(e, &name, file)?;
        check(&entry, MODEL_ENTRY, file, &format!("models.{name}.versions.v{}", versions::text(&v.v)))?;
        let target_name = match versions::given(Some(&v.v)) {
            Some(x) => format!("{name}_v{}", versions::text(x)),
            None => name.clone(),
        };
        apply_patch(project, package, &entry, file, &Target { attached_to: &uid, name: &target_name, version: Some(&v.v) }, pending)?;
    }
    Ok(())
}

/// Applies one property entry to the node `target.attached_to` and queues its tests.
fn apply_patch(project: &mut Project, package: &str, e: &Map<String, Json>, file: &str, target: &Target, pending: &mut Vec<Pending>) -> Result<()> {
    let name = name_of(e, file, "model")?;
    let uid = target.attached_to;
    let resource = project.nodes.get(uid).map(|n| n.resource).ok_or_else(|| Error::Usage(uid.to_string()))?;
    let cols = columns(project, e, file, &name)?;
    let description = render_docs(project, &text(e, "description"), file)?;
    let doc_blocks = doc_blocks(project, &text(e, "description"));
    let cfg = e.get("config").and_then(Json::as_object).cloned().unwrap_or_default();
    let known = match resource {
        Resource::Seed => SEED_KEYS,
        Resource::Snapshot => SNAPSHOT_KEYS,
        _ => MODEL_KEYS,
    };
    validate_keys(&cfg, known, file, &format!("{name}.config"))?;
    let deprecation = versions::deprecation_date(e.get("deprecation_date"), file, &format!("models.{name}"))?;
    let node = project.nodes.get_mut(uid).ok_or_else(|| Error::Usage(uid.to_string()))?;
    node.config.merge(&cfg);
    // `tags:`, `access:` and `group:` may sit on the entry itself; dbt keeps them as configs.
    for key in ["tags", "access", "group"] {
        if let Some(v) = e.get(key) {
            node.config.merge(&Map::from_iter([(key.to_string(), v.clone())]));
        }
    }
    if resource == Resource::Model {
        validate_values(&node.config, file)?;
        node.deprecation_date = deprecation.as_ref().map(versions::isoformat);
    }
    node.description = description;
    node.doc_blocks = doc_blocks;
    node.columns = cols.into_iter().map(|(c, _)| c).collect();
    let grains: Vec<(&str, Option<&str>)> = node.columns.iter().map(|c| (c.name.as_str(), c.granularity.as_deref())).collect();
    node.time_spine = time_spine::parse(e, &grains, &name, file)?;
    node.constraints = constraints::parse_list(e.get("constraints"), true, file, &format!("models.{name}"))?;
    let by_column: Vec<(String, Vec<constraints::Constraint>)> = node.columns.iter().map(|c| (c.name.clone(), c.constraints.clone())).collect();
    constraints::check_primary_keys(&node.constraints, &by_column, file)?;
    super::foreign_keys::check(node, file)?;
    node.patch_path = Some(file.to_string());
    queue_tests(package, e, file, target, pending);
    Ok(())
}

fn queue_tests(package: &str, e: &Map<String, Json>, file: &str, target: &Target, pending: &mut Vec<Pending>) {
    let pending_for = |column: Option<String>, spec: &Json| Pending {
        package: package.into(),
        file: file.into(),
        attached_to: target.attached_to.into(),
        target_name: target.name.into(),
        version: target.version.cloned(),
        column,
        spec: spec.clone(),
    };
    for spec in test_specs(e) {
        pending.push(pending_for(None, spec));
    }
    for c in e.get("columns").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_object) {
        for spec in test_specs(c) {
            pending.push(pending_for(Some(text(c, "name")), spec));
        }
    }
}

fn add_source(project: &mut Project, package: &str, e: &Map<String, Json>, file: &str, pending: &mut Vec<Pending>) -> Result<()> {
    let src = name_of(e, file, "source")?;
    check(e, SOURCE_ENTRY, file, &format!("sources.{src}"))?;
    for t in e.get("tables").and_then(Json::as_array).into_iter().flatten() {
        let t = t.as_object().ok_or_else(|| Error::project(file, format!("sources.{src}: each table must be a mapping")))?;
        let name = name_of(t, file, "source table")?;
        check(t, TABLE_ENTRY, file, &format!("sources.{src}.tables.{name}"))?;
        let uid = format!("source.{package}.{src}.{name}");
        let identifier = t.get("identifier").and_then(Json::as_str).unwrap_or(&name).to_string();
        let cols = columns(project, t, file, &name)?;
        let freshness = t.get("freshness").or_else(|| e.get("freshness")).cloned().unwrap_or(Json::Null);
        let loaded_at = t.get("loaded_at_field").or_else(|| e.get("loaded_at_field")).and_then(Json::as_str);
        let tags: Vec<String> = [e.get("tags"), t.get("tags")]
            .into_iter()
            .flatten()
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        let source = Source {
            unique_id: uid.clone(),
            package_name: package.to_string(),
            source_name: src.clone(),
            name: name.clone(),
            original_file_path: file.into(),
            fqn: source_fqn(package, project.in_package(package, file), &src, &name),
            description: render_docs(project, &text(t, "description"), file)?,
            columns: cols.into_iter().map(|(c, _)| c).collect(),
            loaded_at_field: loaded_at.map(String::from),
            freshness,
            relation: RelationName { identifier, ..Default::default() },
            database: e.get("database").and_then(Json::as_str).map(String::from),
            schema: e.get("schema").and_then(Json::as_str).unwrap_or(&src).to_string(),
            tags,
            meta: t.get("meta").cloned().unwrap_or(Json::Null),
            adapter_fields: adapter_fields(e, t),
        };
        project.sources.insert(uid.clone(), source);
        let target_name = format!("{src}_{name}");
        queue_tests(package, t, file, &Target { attached_to: &uid, name: &target_name, version: None }, pending);
    }
    Ok(())
}

/// dbt-duckdb's view of a source table's settings: `meta`, then `config`, the table's over the source's.
fn adapter_fields(source: &Map<String, Json>, table: &Map<String, Json>) -> Map<String, Json> {
    let mut out = Map::new();
    for key in ["meta", "config"] {
        for level in [source, table] {
            if let Some(m) = level.get(key).and_then(Json::as_object) {
                out.extend(m.iter().filter(|(k, _)| key == "meta" || *k != "meta").map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    out
}

/// dbt's fqn of a source table: the project, the folders of its YAML file under the model path, the
/// source and the table (`[jaffle, staging, raw, orders]` for models/staging/_sources.yml).
fn source_fqn(project: &str, file: &str, source: &str, table: &str) -> Vec<String> {
    let mut fqn = vec![project.to_string()];
    let dirs: Vec<&str> = file.split('/').collect();
    fqn.extend(dirs.iter().skip(1).take(dirs.len().saturating_sub(2)).map(|d| d.to_string()));
    fqn.extend([source.to_string(), table.to_string()]);
    fqn
}

