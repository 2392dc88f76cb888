//! From files to a resolved project: load the project and profile, render every node once without
//! executing (to record refs, sources and in-file config), resolve relation names (custom schemas
//! via `generate_schema_name`), build the DAG; then compile single nodes to SQL on demand, with
//! ephemeral models inlined as `__dbt__cte__<name>` CTEs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use minijinja::Value;
use serde_json::{Map, Value as Json};

use crate::dag::Dag;
use crate::error::{suggest, Error, Result};
use crate::jinja::context::{RefTarget, Shared};
use crate::jinja::{self, Engine};
use crate::project::config::validate_values;
use crate::project::dbt_project::DbtProject;
use crate::project::profiles::{self, Target};
use crate::project::render::YamlRenderer;
use crate::project::{pick_ref, Node, Project, RelationName, Resource};
use crate::warehouse::dialect::Dialect;
use crate::warehouse::{adapters, Warehouse};

/// Flags every command shares.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub project_dir: PathBuf,
    pub profiles_dir: Option<PathBuf>,
    pub target: Option<String>,
    pub vars: Option<String>,
    pub threads: Option<usize>,
    pub full_refresh: bool,
    pub command: String,
    /// `--empty`: refs and sources read no rows.
    pub empty: bool,
}

pub struct Manifest {
    pub project: Project,
    pub engine: Engine,
    pub dag: Dag,
    pub target: Target,
    /// The target's SQL dialect (known with or without a connection).
    pub dialect: &'static dyn Dialect,
    pub warehouse: Option<Arc<dyn Warehouse>>,
    /// Where profiles.yml was found, and the profile used (`--profile` or dbt_project.yml's).
    pub profiles_dir: PathBuf,
    pub profile_name: String,
    /// `--vars` as given (run_results.json's args, for `retry`).
    pub cli_vars: Json,
    /// Directories under target/compiled already created (saves a syscall pair per file).
    created_dirs: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    /// When the project was parsed (dbt's `created_at` of each node, seconds since the epoch).
    pub created_at: f64,
    /// dbt's inferred `primary_key` of each model, computed once when the manifest is written.
    primary_keys: std::sync::OnceLock<HashMap<String, Vec<String>>>,
    /// Nodes compiled in this invocation: as in dbt, their foreign keys' `to` is the compiled relation
    /// in the manifest written afterwards.
    compiled: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// `--vars` as a mapping.
pub fn cli_vars(cli: Option<&str>) -> Result<Map<String, Json>> {
    let Some(text) = cli else { return Ok(Map::new()) };
    let parsed = crate::project::dbt_project::parse_yaml(text, "--vars")?;
    parsed.as_object().cloned().ok_or_else(|| Error::Usage("--vars must be a YAML/JSON mapping, e.g. '{key: value}'".into()))
}

/// A project's vars as seen by nodes of `package`: global ones, then those scoped to `package`.
fn scoped_vars(vars: &Map<String, Json>, package: &str, into: &mut Map<String, Json>) {
    for (k, v) in vars {
        match (k == package, v) {
            (true, Json::Object(inner)) => into.extend(inner.clone()),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(Json::Object(inner)) = vars.get(package) {
        into.extend(inner.clone());
    }
}

/// Vars per package, as dbt scopes them: the package's own dbt_project.yml, then the root's (global,
/// then scoped to the package), then `--vars`.
fn parse_vars(project: &Project, cli: &Map<String, Json>) -> HashMap<String, Map<String, Json>> {
    let mut out = HashMap::new();
    for (cfg, _) in project.projects() {
        let mut vars = Map::new();
        if cfg.name != project.cfg.name {
            scoped_vars(&cfg.vars, &cfg.name, &mut vars);
        }
        scoped_vars(&project.cfg.vars, &cfg.name, &mut vars);
        vars.extend(cli.clone());
        out.insert(cfg.name.clone(), vars);
    }
    out
}

/// Loads, parses and resolves the project; connects to the warehouse when `connect` is set.
pub fn load(opts: &Options, connect: bool) -> Result<Manifest> {
    let t0 = Instant::now();
    let vars = cli_vars(opts.vars.as_deref())?;
    // Before connecting: a DuckDB file under target/ would otherwise fail first, less plainly.
    ensure_target_dir(&opts.project_dir, &DbtProject::target_path_of(&opts.project_dir, &YamlRenderer::new("dbt_project.yml", &vars, None, false))?)?;
    let (target, profiles, profile_name) = load_target(opts, &vars)?;
    let wh = if connect { Some(adapters::connect(&target, &opts.project_dir)?) } else { None };
    let (database, schema) = match &wh {
        Some(w) => (w.database().to_string(), w.schema().to_string()),
        None => adapters::target_location(&target),
    };
    let target_json = jinja::target_value(&target, &database, &schema);
    let renderer = YamlRenderer::new("dbt_project.yml", &vars, Some(&target_json), false);
    let mut project = Project::load_with(&opts.project_dir, &renderer)?;
    timing("load files", t0);
    let macros = jinja::macro_table(&project, &target.adapter_type)?;
    let mut shared = Shared {
        project_name: project.cfg.name.clone(),
        adapter_type: target.adapter_type.clone(),
        dialect: adapters::dialect(&target.adapter_type),
        vars: parse_vars(&project, &vars),
        target: target_json,
        target_database: database,
        target_schema: schema,
        full_refresh: opts.full_refresh,
        empty: opts.empty,
        command: opts.command.clone(),
        // One id for the invocation's log events and its artifacts.
        invocation_id: crate::output::printer().invocation_id().to_string(),
        run_started_at: chrono::Utc::now(),
        macros: Arc::new(macros),
        refs: HashMap::new(),
        sources: HashMap::new(),
        external_sources: HashMap::new(),
        graph: Value::from(()),
        selected: Default::default(),
    };
    resolve_sources(&mut project, &mut shared)?;
    let t0 = Instant::now();
    let mut engine = Engine::new(&project, shared)?;
    timing("engine", t0);
    let t0 = Instant::now();
    parse_nodes(&mut project, &engine)?;
    timing("parse render", t0);
    let t0 = Instant::now();
    resolve_relations(&mut project, &engine)?;
    unique_relations(&project, adapters::dialect(&target.adapter_type), &target.adapter_type)?;
    let dag = resolve_dependencies(&mut project)?;
    project.warn_deprecations()?;
    let dialect = adapters::dialect(&target.adapter_type);
    crate::project::foreign_keys::resolve(&mut project, |r| dialect.render_relation(r));
    timing("resolve", t0);
    let mut shared = Arc::try_unwrap(std::mem::replace(&mut engine.shared, Arc::new(empty_shared())))
        .map_err(|_| Error::Usage("internal: render context still in use".into()))?;
    shared.refs = ref_targets(&project);
    if graph_needed(&project, &vars, &opts.command) {
        shared.graph = jinja::to_value(graph(&project));
    }
    engine.shared = Arc::new(shared);
    let profiles_dir = profiles.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let cli_vars = Json::Object(vars); // parsed once, above
    Ok(Manifest { project, engine, dag, target, dialect, warehouse: wh, profiles_dir, profile_name, cli_vars,
        created_dirs: Default::default(),
        created_at: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
        primary_keys: Default::default(),
        compiled: Default::default(),
    })
}

/// `--profile` (or DBT_PROFILE) over dbt_project.yml's `profile:`.
fn profile_name(from_project: &str) -> String {
    crate::flags::get().profile.clone().unwrap_or_else(|| from_project.to_string())
}

/// Creates `target-path` up front, so a file in its place is one error naming it before any node runs.
fn ensure_target_dir(root: &Path, target_path: &str) -> Result<()> {
    let dir = root.join(target_path);
    std::fs::create_dir_all(&dir).map_err(|e| {
        let why = if dir.is_file() { "it is a file, not a directory".to_string() } else { e.to_string() };
        Error::project(
            "dbt_project.yml",
            format!("target-path `{}` ({}) cannot be used: {why}; artifacts are written there (remove it or set another `target-path`)", target_path, dir.display()),
        )
    })
}

/// The profile target the project names (its `profile:` rendered without a target, as dbt does, unless
/// `--profile` names another), with the profiles.yml it came from and the profile's name.
pub fn load_target(opts: &Options, vars: &Map<String, Json>) -> Result<(Target, PathBuf, String)> {
    let from_project = DbtProject::profile_name(&opts.project_dir, &YamlRenderer::new("dbt_project.yml", vars, None, false))?;
    let profile = profile_name(&from_project);
    let path = profiles::profiles_path(opts.profiles_dir.as_deref(), &opts.project_dir)?;
    let target = profiles::load_target(&path, &profile, opts.target.as_deref(), opts.threads, vars)?;
    Ok((target, path, profile))
}

/// A connection to the profile's warehouse, without reading the project's files (`sync`, `show`).
pub fn connect(opts: &Options) -> Result<Arc<dyn Warehouse>> {
    let target = load_target(opts, &cli_vars(opts.vars.as_deref())?)?.0;
    adapters::connect(&target, &opts.project_dir)
}

/// Phase timings on stderr when TRANSFORM_TIMING is set (used by the benchmark notes).
pub fn timing(phase: &str, since: Instant) {
    if std::env::var_os("TRANSFORM_TIMING").is_some() {
        eprintln!("timing: {phase}: {:.3}s", since.elapsed().as_secs_f64());
    }
}

fn empty_shared() -> Shared {
    Shared {
        project_name: String::new(),
        adapter_type: String::new(),
        dialect: &crate::warehouse::dialect::Standard,
        vars: HashMap::new(),
        target: Json::Null,
        target_database: String::new(),
        target_schema: String::new(),
        full_refresh: false,
        empty: false,
        command: String::new(),
        invocation_id: String::new(),
        run_started_at: chrono::Utc::now(),
        macros: Default::default(),
        refs: HashMap::new(),
        sources: HashMap::new(),
        external_sources: HashMap::new(),
        graph: Value::from(()),
        selected: Default::default(),
    }
}

fn resolve_sources(project: &mut Project, shared: &mut Shared) -> Result<()> {
    for s in project.sources.values_mut() {
        s.relation.database = s.database.clone().unwrap_or_else(|| shared.target_database.clone());
        s.relation.schema = s.schema.clone();
        let key = (s.source_name.clone(), s.name.clone());
        if let Some(location) = external_location(s)? {
            shared.external_sources.insert(key.clone(), location);
        }
        shared.sources.insert(key, (s.unique_id.clone(), s.relation.clone()));
    }
    Ok(())
}

/// dbt-duckdb's `external_location` of a source table, formatted with its fields.
fn external_location(s: &crate::project::Source) -> Result<Option<String>> {
    let Some(template) = s.adapter_fields.get("external_location").and_then(Json::as_str) else { return Ok(None) };
    let mut fields = Map::new();
    fields.insert("name".into(), Json::String(s.name.clone()));
    fields.insert("identifier".into(), Json::String(s.relation.identifier.clone()));
    fields.insert("schema".into(), Json::String(s.relation.schema.clone()));
    fields.insert("database".into(), Json::String(s.relation.database.clone()));
    fields.insert("tags".into(), Json::from(s.tags.clone()));
    fields.extend(s.adapter_fields.clone());
    let formatter = s.adapter_fields.get("formatter").and_then(Json::as_str).unwrap_or("newstyle");
    crate::warehouse::external::source_location(template, formatter, &fields)
        .map(Some)
        .map_err(|message| Error::project(&s.original_file_path, format!("source {}.{}: {message}", s.source_name, s.name)))
}

/// The parse render: records refs, sources and `config()` of every model and test.
fn parse_nodes(project: &mut Project, engine: &Engine) -> Result<()> {
    // Renders are independent: run them on all cores, then apply the results in node order.
    let nodes: Vec<&Node> = project.nodes.values().filter(|n| !matches!(n.resource, Resource::Seed | Resource::UnitTest)).collect();
    // A template compiles on its first render: a syntax error anywhere still comes first, as it did
    // when every template was compiled before rendering any.
    let mut rendered: Vec<(Option<Error>, Result<crate::jinja::Rendered>)> =
        crate::parallel::map(&nodes, |n| match engine.template_error(n) {
            Some(e) => (Some(e), Err(Error::Usage(String::new()))),
            None => {
                // Before configs are known, `this` is the node in the target schema (as in dbt's parse).
                let this = RelationName {
                    database: engine.shared.target_database.clone(),
                    schema: engine.shared.target_schema.clone(),
                    identifier: n.name.clone(),
                };
                (None, engine.render(n, this, false, None))
            }
        });
    let ids: Vec<String> = nodes.iter().map(|n| n.unique_id.clone()).collect();
    if let Some(e) = rendered.iter_mut().find_map(|(syntax, _)| syntax.take()) {
        return Err(e);
    }
    for (id, (_, r)) in ids.into_iter().zip(rendered) {
        let r = r?;
        let Some(node) = project.nodes.get_mut(&id) else { continue };
        node.config = r.config;
        if node.resource == Resource::Snapshot {
            if node.config.enabled() {
                crate::project::snapshots::Spec::from_config(&node.config, &node.original_file_path)?;
            }
        } else if let Err(e) = validate_values(&node.config, &node.original_file_path) {
            return Err(with_line(e, node.template_source()));
        } else if node.resource == Resource::Model {
            crate::project::contract_checks(node)?;
        }
        node.refs = r.captures.refs;
        node.sources = r.captures.sources;
        node.depends_on_macros = r.captures.macros.take();
        crate::project::foreign_keys::add_refs(node)?;
    }
    project.nodes.retain(|_, n| n.config.enabled());
    // Like dbt, tests defined on a disabled model are disabled with it.
    let alive: std::collections::HashSet<String> = project.nodes.keys().chain(project.sources.keys()).cloned().collect();
    project.nodes.retain(|_, n| n.generic.as_ref().is_none_or(|g| alive.contains(&g.attached_to)));
    project.nodes.retain(|_, n| n.unit.as_ref().is_none_or(|u| alive.contains(&u.model)));
    crate::project::unit_tests::check_incremental_overrides(project)?;
    Ok(())
}

/// `file:line` of the first line of `raw` mentioning `needle` (refs and configs are recorded
/// during rendering without positions; the source text tells where they were written).
fn located(file: &str, raw: &str, needle: &str) -> String {
    let quoted = [format!("'{needle}'"), format!("\"{needle}\"")];
    match raw.lines().position(|l| quoted.iter().any(|q| l.contains(q.as_str()))) {
        Some(i) => format!("{file}:{}", i + 1),
        None => file.to_string(),
    }
}

fn with_line(e: Error, raw: &str) -> Error {
    match e {
        Error::UnknownKey { file, what, key, at, suggestion } => {
            Error::UnknownKey { file: located(&file, raw, &key), what, key, at, suggestion }
        }
        other => other,
    }
}

/// Whether the root project defines its own `generate_schema_name` (and the like).
fn user_overrides(engine: &Engine, name: &str) -> bool {
    engine.shared.macros.get(&engine.shared.project_name, name).is_some()
}

/// Database, schema and identifier of every node, following dbt's generate_*_name macros.
fn resolve_relations(project: &mut Project, engine: &Engine) -> Result<()> {
    let sh = &engine.shared;
    let custom = ["generate_schema_name", "generate_alias_name", "generate_database_name"].map(|m| user_overrides(engine, m));
    for node in project.nodes.values_mut().filter(|n| n.resource != Resource::UnitTest) {
        let cfg = &node.config;
        let node_value = || crate::jinja::to_value(serde_json::json!({
            "name": node.name, "unique_id": node.unique_id, "resource_type": node.resource.as_str(),
            "config": cfg.0, "fqn": node.fqn, "original_file_path": node.original_file_path, "tags": cfg.tags(),
            "version": node.version, "latest_version": node.latest_version,
        }));
        let arg = |k: &str| cfg.str(k).map(Value::from).unwrap_or(Value::from(()));
        let schema = if node.resource == Resource::Test {
            format!("{}_dbt_test__audit", sh.target_schema)
        } else if custom[0] {
            engine.call_macro(node, "generate_schema_name", &[arg("schema"), node_value()])?
        } else {
            cfg.str("schema").map(|s| format!("{}_{}", sh.target_schema, s.trim())).unwrap_or_else(|| sh.target_schema.clone())
        };
        let identifier = if custom[1] {
            engine.call_macro(node, "generate_alias_name", &[arg("alias"), node_value()])?
        } else {
            cfg.str("alias").filter(|s| !s.is_empty()).map(|s| s.trim().to_string()).unwrap_or_else(|| default_alias(node))
        };
        let mut database = if custom[2] {
            engine.call_macro(node, "generate_database_name", &[arg("database"), node_value()])?
        } else {
            cfg.str("database").map(String::from).unwrap_or_else(|| sh.target_database.clone())
        };
        let mut schema = schema;
        // Snapshots keep dbt's legacy `target_schema`/`target_database`: used as written.
        if node.resource == Resource::Snapshot {
            if let Some(s) = cfg.str("target_schema").filter(|s| !s.is_empty()) {
                schema = s.to_string();
            }
            if let Some(d) = cfg.str("target_database").filter(|d| !d.is_empty()) {
                database = d.to_string();
            }
        }
        node.relation = RelationName { database, schema, identifier };
    }
    // A unit test's scratch relations live beside its model (dbt gives it the model's schema).
    let models: HashMap<String, RelationName> =
        project.nodes.values().filter(|n| n.resource == Resource::Model).map(|n| (n.unique_id.clone(), n.relation.clone())).collect();
    for node in project.nodes.values_mut() {
        if let Some(rel) = node.unit.as_ref().and_then(|u| models.get(&u.model)) {
            node.relation = RelationName { identifier: node.name.clone(), ..rel.clone() };
        }
    }
    Ok(())
}

/// dbt's `default__generate_alias_name` without a custom alias: the name, `name_v<v>` for a version.
fn default_alias(node: &Node) -> String {
    match crate::project::versions::given(node.version.as_ref()) {
        Some(v) => format!("{}_v{}", node.name, crate::project::versions::text(v).replace('.', "_")),
        None => node.name.clone(),
    }
}

/// dbt's ambiguous-relation check: two enabled nodes that would build one relation (same alias, or
/// schema + alias, or — where the warehouse folds identifier case — names differing only in case).
fn unique_relations(project: &Project, dialect: &dyn Dialect, adapter: &str) -> Result<()> {
    let mut seen: HashMap<String, &Node> = HashMap::new();
    let relational = project.nodes.values().filter(|n| !matches!(n.resource, Resource::Test | Resource::Source) && n.config.enabled());
    for node in relational {
        let shown = dialect.render_relation(&node.relation);
        let key = if dialect.identifiers_fold_case() { shown.to_lowercase() } else { shown.clone() };
        let Some(first) = seen.insert(key, node) else { continue };
        let first_shown = dialect.render_relation(&first.relation);
        let also = if first_shown == shown {
            String::new()
        } else {
            format!(" and \"{first_shown}\", which {adapter} treats as one relation (its identifiers ignore case)")
        };
        return Err(Error::Usage(format!(
            "Compilation Error\n  dbt found two resources with the database representation \"{shown}\"{also}.\n  \
             dbt cannot create two resources with identical database representations. To fix this,\n  \
             change the configuration of one of these resources:\n  - {} ({})\n  - {} ({})",
            first.unique_id, first.original_file_path, node.unique_id, node.original_file_path
        )));
    }
    Ok(())
}

fn ref_targets(project: &Project) -> HashMap<String, Vec<(String, RefTarget)>> {
    use crate::project::versions::{compare, text};
    // The newest version of each versioned model, for the note on unpinned refs to an older latest.
    let mut newest: HashMap<(&str, &str), &Json> = HashMap::new();
    for n in project.nodes.values() {
        if let Some(v) = &n.version {
            let slot = newest.entry((n.package_name.as_str(), n.name.as_str())).or_insert(v);
            if compare(v, slot) == std::cmp::Ordering::Greater {
                *slot = v;
            }
        }
    }
    let newer = |n: &Node| {
        let (v, max) = (n.version.as_ref()?, newest.get(&(n.package_name.as_str(), n.name.as_str()))?);
        (n.is_latest_version() && compare(max, v) == std::cmp::Ordering::Greater).then(|| (n.name.clone(), n.package_name.clone(), text(v), text(max)))
    };
    let target = |n: &Node| RefTarget {
        unique_id: n.unique_id.clone(),
        relation: n.relation.clone(),
        ephemeral: n.materialized() == "ephemeral",
        cte_name: n.cte_name(),
        newer: newer(n),
    };
    project
        .by_name()
        .into_iter()
        .map(|(name, list)| (name.to_string(), list.into_iter().map(|(p, n)| (p.to_string(), target(n))).collect()))
        .collect()
}

/// dbt's `graph` context value: every node and source by unique id, with the fields macros read.
fn graph(project: &Project) -> Json {
    let nodes: Map<String, Json> = project
        .nodes
        .values()
        .map(|n| {
            let v = serde_json::json!({
                "unique_id": n.unique_id, "name": n.name, "resource_type": n.resource.as_str(), "package_name": n.package_name,
                "original_file_path": project.in_package(&n.package_name, &n.original_file_path), "path": n.path, "fqn": n.fqn,
                "database": n.relation.database, "schema": n.relation.schema, "alias": n.relation.identifier,
                "config": n.config.0, "tags": n.config.tags(), "depends_on": {"nodes": n.depends_on},
                "description": n.description,
            });
            (n.unique_id.clone(), v)
        })
        .collect();
    let sources: Map<String, Json> = project
        .sources
        .values()
        .map(|s| {
            let v = serde_json::json!({
                "unique_id": s.unique_id, "name": s.name, "source_name": s.source_name, "resource_type": "source",
                "package_name": s.package_name, "database": s.relation.database, "schema": s.relation.schema,
                "identifier": s.relation.identifier, "fqn": s.fqn, "tags": s.tags,
            });
            (s.unique_id.clone(), v)
        })
        .collect();
    serde_json::json!({"nodes": nodes, "sources": sources})
}

/// Whether a render could read `graph`: building it is a JSON document of every node (a seventh of a
/// large project's load), so it is skipped unless a template, hook, var or test argument of the project
/// or a package names it. Dashboards render panel SQL from outside the project's files: always built.
fn graph_needed(project: &Project, cli_vars: &Map<String, Json>, command: &str) -> bool {
    let named = |s: &str| s.contains("graph");
    let json_named = |v: &Json| v.to_string().contains("graph");
    let node_names = |n: &Node| {
        named(&n.raw_code)
            || ["pre", "post"].iter().any(|w| n.config.hooks(w).iter().any(|h| named(h)))
            || n.generic.as_ref().is_some_and(|g| g.kwargs.values().any(json_named))
            || n.unit.as_ref().is_some_and(|u| json_named(&Json::Object(u.manifest.clone())))
    };
    command.starts_with("dashboard")
        || project.macro_files.iter().any(|f| named(&f.source))
        || project.nodes.values().any(node_names)
        || project.projects().iter().any(|(c, _)| c.on_run_start.iter().chain(&c.on_run_end).any(|h| named(h)) || json_named(&Json::Object(c.vars.clone())))
        || json_named(&Json::Object(cli_vars.clone()))
}

/// Turns recorded refs/sources into unique ids (naming the culprit when missing) and builds the DAG.
fn resolve_dependencies(project: &mut Project) -> Result<Dag> {
    let root = project.cfg.name.clone();
    let names: HashMap<String, Vec<(String, String)>> = project
        .by_name()
        .into_iter()
        .map(|(k, list)| (k.to_string(), list.into_iter().map(|(p, n)| (p.to_string(), n.unique_id.clone())).collect()))
        .collect();
    let sources: HashMap<(String, String), String> =
        project.sources.values().map(|s| ((s.source_name.clone(), s.name.clone()), s.unique_id.clone())).collect();
    let uids: std::collections::HashSet<String> = names.values().flatten().map(|(_, u)| u.clone()).collect();
    let mut dag = Dag::default();
    for s in project.sources.keys() {
        dag.add_node(s);
    }
    for node in project.nodes.values_mut() {
        dag.add_node(&node.unique_id);
        // dbt's order: sources, then refs, each as first recorded; then the tested node.
        let mut deps: Vec<String> = vec![];
        let mut push = |uid: &String| {
            if !deps.contains(uid) {
                deps.push(uid.clone());
            }
        };
        if let Some(g) = &node.generic {
            if !project.sources.contains_key(&g.attached_to) && !uids.contains(g.attached_to.as_str()) {
                return Err(Error::project(&node.original_file_path, format!("test {} is attached to a disabled or missing node", node.name)));
            }
        }
        for (src, table) in &node.sources {
            let uid = sources.get(&(src.clone(), table.clone())).ok_or_else(|| {
                let known: Vec<String> = sources.keys().map(|(a, b)| format!("{a}.{b}")).collect();
                Error::MissingRef {
                    file: located(&node.original_file_path, node.template_source(), table),
                    node: node.name.clone(),
                    what: "source",
                    name: format!("{src}.{table}"),
                    suggestion: suggest(&format!("{src}.{table}"), known.iter().map(String::as_str)),
                }
            })?;
            push(uid);
        }
        for r in &node.refs {
            let found = names.get(&r.key()).and_then(|list| {
                let candidates: Vec<(&str, &String)> = list.iter().map(|(p, u)| (p.as_str(), u)).collect();
                pick_ref(&candidates, &root, &node.package_name, r.package.as_deref()).copied()
            });
            let uid = found.ok_or_else(|| missing_ref(node, r, &names))?;
            push(uid);
        }
        if let Some(g) = &node.generic {
            push(&g.attached_to);
        }
        if let Some(u) = &node.unit {
            push(&u.model);
        }
        for d in &deps {
            dag.add_edge(d, &node.unique_id);
        }
        node.depends_on = deps;
    }
    for node in project.nodes.values() {
        for target in node.depends_on.iter().filter_map(|d| project.nodes.get(d)) {
            crate::project::semantic::check_access(node, target)?;
        }
    }
    let lookup = crate::project::semantic::Lookup { names: &names, sources: &sources };
    for (parent, child) in project.resolve_semantic(&lookup)? {
        dag.add_edge(&parent, &child);
    }
    crate::project::spine_check::check_project(project)?;
    dag.topo_order()?;
    Ok(dag)
}

/// A `ref()` that names nothing: dbt's text for a missing version, else the culprit and a suggestion.
fn missing_ref(node: &Node, r: &crate::project::RefCall, names: &HashMap<String, Vec<(String, String)>>) -> Error {
    let file = located(&node.original_file_path, node.template_source(), &r.name);
    let Some(v) = &r.version else {
        return Error::MissingRef {
            file,
            node: node.name.clone(),
            what: "model",
            suggestion: suggest(&r.name, names.keys().map(String::as_str)),
            name: r.name.clone(),
        };
    };
    let kind = node.resource.as_str();
    let what = format!("{}{}", kind[..1].to_uppercase(), &kind[1..]);
    let in_package = r.package.as_ref().map(|p| format!(" in package or project '{p}'")).unwrap_or_default();
    Error::project(file, format!(
        "Compilation Error\n  {what} '{}' ({}) depends on a node named '{}' with version '{}'{in_package} which was not found",
        node.unique_id, node.original_file_path, r.name, crate::project::versions::text(v)
    ))
}

impl Manifest {
    /// dbt's inferred `primary_key` of model `unique_id` (`project::primary_key`).
    pub fn primary_key(&self, unique_id: &str) -> &[String] {
        let keys = self.primary_keys.get_or_init(|| crate::project::primary_key::infer_all(&self.project));
        keys.get(unique_id).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn node(&self, uid: &str) -> Result<&Node> {
        self.project.nodes.get(uid).ok_or_else(|| Error::Usage(format!("unknown node {uid}")))
    }

    fn compile_inner(&self, uid: &str, wh: Option<&Arc<dyn Warehouse>>, ctes: &mut Vec<(String, String)>) -> Result<String> {
        let node = self.node(uid)?;
        let rendered = self.engine.render(node, node.relation.clone(), true, wh)?;
        for eph in rendered.captures.ephemerals {
            let eph_node = self.node(&eph)?;
            let name = eph_node.cte_name();
            if !ctes.iter().any(|(n, _)| n == &name) {
                let mut own = vec![];
                let sql = self.compile_inner(&eph, wh, &mut own)?;
                // As dbt does, the ephemeral model's own compiled SQL is written once (with its CTEs).
                if !self.was_compiled(&eph) {
                    self.mark_compiled(&eph);
                    self.write_compiled(eph_node, &inject_ctes(&sql, &own))?;
                }
                for cte in own {
                    if !ctes.iter().any(|(n, _)| n == &cte.0) {
                        ctes.push(cte);
                    }
                }
                ctes.push((name, sql));
            }
        }
        Ok(rendered.sql)
    }

    /// The node's executable SQL: rendered with `execute = true`, ephemerals injected as CTEs.
    pub fn compile(&self, uid: &str) -> Result<String> {
        self.compile_on(uid, self.warehouse.as_ref())
    }

    /// `compile`, with the render's warehouse calls on `wh` (the node's own handle while executing).
    pub fn compile_on(&self, uid: &str, wh: Option<&Arc<dyn Warehouse>>) -> Result<String> {
        let mut ctes = vec![];
        let sql = self.compile_inner(uid, wh, &mut ctes)?;
        if let Ok(mut done) = self.compiled.lock() {
            done.insert(uid.to_string());
        }
        Ok(inject_ctes(&sql, &ctes))
    }

    /// Records a node compiled outside `compile_on` (a project hook, when it runs).
    pub fn mark_compiled(&self, uid: &str) {
        if let Ok(mut done) = self.compiled.lock() {
            done.insert(uid.to_string());
        }
    }

    /// Whether the node was compiled in this invocation (`compile_on` succeeded).
    pub fn was_compiled(&self, uid: &str) -> bool {
        self.compiled.lock().is_ok_and(|done| done.contains(uid))
    }

    /// Writes compiled SQL under target/compiled/<package>/ (dbt's layout).
    pub fn write_compiled(&self, node: &Node, sql: &str) -> Result<PathBuf> {
        // dbt's get_target_write_path, under target/compiled/<package>/: a node that is its whole
        // file goes at the file's path; one of a file's many (tests, unit tests, YAML snapshots) at
        // `<file>/<path>`, where a unit test's path is dbt's pseudo test path `<folder>/<name>.sql`.
        let own = self.project.in_package(&node.package_name, &node.original_file_path);
        let path = match node.resource {
            Resource::UnitTest => format!("{}{}.sql", own.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/")), node.name),
            _ => node.path.clone(),
        };
        let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
        let rel = match base(&path) == base(own) {
            true => own.to_string(),
            false => format!("{own}/{path}"),
        };
        let path = self.target_dir().join("compiled").join(&node.package_name).join(rel);
        if let Some(parent) = path.parent() {
            let known = self.created_dirs.lock().map(|d| d.contains(parent)).unwrap_or(false);
            if !known {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                if let Ok(mut d) = self.created_dirs.lock() {
                    d.insert(parent.to_path_buf());
                }
            }
        }
        std::fs::write(&path, sql).map_err(|e| Error::io(&path, e))?;
        Ok(path)
    }

    /// `--target-path` (or DBT_TARGET_PATH) over dbt_project.yml's `target-path`, under the project dir.
    pub fn target_dir(&self) -> PathBuf {
        match &crate::flags::get().target_path {
            Some(p) => self.project.root.join(p),
            None => self.project.root.join(&self.project.cfg.target_path),
        }
    }
}

/// Prepends ephemeral CTEs, merging with the model's own leading `with` when it has one.
pub fn inject_ctes(sql: &str, ctes: &[(String, String)]) -> String {
    if ctes.is_empty() {
        return sql.to_string();
    }
    let defs = ctes.iter().map(|(n, s)| format!("{n} as (\n{}\n)", s.trim())).collect::<Vec<_>>().join(", ");
    let trimmed = sql.trim_start();
    let starts_with_with = trimmed.get(..5).is_some_and(|w| w.eq_ignore_ascii_case("with ") || w.eq_ignore_ascii_case("with\n"));
    if starts_with_with {
        format!("with {defs},\n{}", &trimmed[5..])
    } else {
        format!("with {defs}\n{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::inject_ctes;

    #[test]
    fn ctes_merge_with_a_leading_with() {
        let ctes = vec![("__dbt__cte__a".to_string(), "select 1 as x".to_string())];
        assert_eq!(inject_ctes("select * from __dbt__cte__a", &ctes), "with __dbt__cte__a as (\nselect 1 as x\n)\nselect * from __dbt__cte__a");
        assert_eq!(inject_ctes("WITH b as (select 2) select 1", &ctes), "with __dbt__cte__a as (\nselect 1 as x\n),\nb as (select 2) select 1");
    }
}
