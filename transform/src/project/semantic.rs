//! The resources of property files that describe rather than build: `semantic_models:`, `metrics:`,
//! `saved_queries:`, `exposures:` and `groups:`. Each entry's keys and enums are checked as dbt's
//! parser checks them, then kept normalised with dbt's defaults (what manifest.json shows) together
//! with the names it depends on; `compile` resolves those to unique ids. dbt Core builds none of them
//! (exposures and saved queries are no-ops in `build`), and neither does transform.

use serde_json::{json, Map, Value as Json};

use super::dbt_project::Tree;
use super::metric_params::{self as params, MEASURE_INPUT, METRIC_INPUT};
use super::nodes::{Group, Project, RefCall, Resource, SemanticNode, Wants};
use crate::error::{suggest, Error, Result};

/// The top-level keys of a property file this module owns.
pub const KEYS: &[&str] = &["semantic_models", "metrics", "saved_queries", "exposures", "groups"];

const SEMANTIC_MODEL: &[&str] =
    &["name", "description", "label", "model", "defaults", "entities", "measures", "dimensions", "primary_entity", "config", "meta", "tags"];
const ENTITY: &[&str] = &["name", "type", "description", "label", "role", "expr", "config"];
const MEASURE: &[&str] =
    &["name", "agg", "description", "label", "create_metric", "expr", "agg_params", "non_additive_dimension", "agg_time_dimension", "config"];
const DIMENSION: &[&str] = &["name", "type", "description", "label", "is_partition", "type_params", "expr", "config"];
const METRIC: &[&str] = &["name", "label", "type", "type_params", "description", "filter", "time_granularity", "meta", "tags", "config"];
const TYPE_PARAMS: &[&str] =
    &["measure", "numerator", "denominator", "expr", "window", "grain_to_date", "metrics", "conversion_type_params", "cumulative_type_params"];
const SAVED_QUERY: &[&str] = &["name", "description", "label", "query_params", "exports", "config", "meta", "tags"];
const QUERY_PARAMS: &[&str] = &["metrics", "group_by", "where", "order_by", "limit"];
const EXPOSURE: &[&str] = &["name", "type", "owner", "description", "label", "url", "maturity", "depends_on", "meta", "tags", "config"];
const GROUP: &[&str] = &["name", "owner", "description", "config"];

const ENTITY_TYPES: &[&str] = &["primary", "unique", "foreign", "natural"];
const AGGREGATIONS: &[&str] = &["sum", "min", "max", "count_distinct", "sum_boolean", "average", "percentile", "median", "count"];
const DIMENSION_TYPES: &[&str] = &["categorical", "time"];
const METRIC_TYPES: &[&str] = &["simple", "ratio", "cumulative", "derived", "conversion"];
const EXPOSURE_TYPES: &[&str] = &["dashboard", "notebook", "analysis", "ml", "application"];
const MATURITIES: &[&str] = &["low", "medium", "high"];

/// Where an entry is: its package and file, for errors and fqns.
pub struct At<'a> {
    pub package: &'a str,
    pub file: &'a str,
}

impl At<'_> {
    fn err(&self, at: &str, message: impl std::fmt::Display) -> Error {
        Error::project(self.file, format!("{at}: {message}"))
    }

    /// A `metric_params` result with the file and entry in front of its message.
    fn or_err<T>(&self, at: &str, r: params::Msg<T>) -> Result<T> {
        r.map_err(|m| self.err(at, m))
    }

    fn check(&self, obj: &Map<String, Json>, known: &[&str], at: &str) -> Result<()> {
        match obj.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => Err(Error::UnknownKey {
                file: self.file.into(),
                what: "property",
                key: key.clone(),
                at: at.into(),
                suggestion: suggest(key, known.iter().copied()),
            }),
        }
    }

    fn one_of(&self, obj: &Map<String, Json>, key: &str, allowed: &[&str], at: &str, required: bool) -> Result<Json> {
        match obj.get(key) {
            None | Some(Json::Null) if !required => Ok(Json::Null),
            Some(Json::String(s)) if allowed.contains(&s.to_lowercase().as_str()) => Ok(json!(s.to_lowercase())),
            other => Err(self.err(
                at,
                format!("`{key}` must be one of {} (got {})", allowed.join(", "), other.map_or("nothing".into(), |v| v.to_string())),
            )),
        }
    }
}

fn text(obj: &Map<String, Json>, key: &str) -> Json {
    obj.get(key).cloned().unwrap_or(Json::Null)
}

fn list<'a>(obj: &'a Map<String, Json>, key: &str, at: &At, ctx: &str) -> Result<Vec<&'a Map<String, Json>>> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(vec![]),
        Some(Json::Array(a)) => a.iter().map(|e| e.as_object().ok_or_else(|| at.err(ctx, format!("each of `{key}:` must be a mapping")))).collect(),
        Some(_) => Err(at.err(ctx, format!("`{key}:` must be a list"))),
    }
}

fn entry_name(obj: &Map<String, Json>, at: &At, what: &str) -> Result<String> {
    obj.get("name").and_then(Json::as_str).map(String::from).ok_or_else(|| at.err(what, "an entry has no `name`"))
}

/// dbt's fqn: the project, the YAML file's folders under its resource path, the name.
fn fqn(project: &Project, at: &At, name: &str) -> Vec<String> {
    let file = project.in_package(at.package, at.file);
    let dirs: Vec<&str> = file.split('/').collect();
    let mut out = vec![at.package.to_string()];
    out.extend(dirs.iter().skip(1).take(dirs.len().saturating_sub(2)).map(|d| d.to_string()));
    out.push(name.to_string());
    out
}

/// `ref('m')`, `ref('pkg', 'm')`, `ref('m', v=2)`, `source('s', 't')` or `metric('m')` as written in
/// YAML: the function, its positional arguments and the `v=`/`version=` keyword (a number, or a
/// quoted string, kept as written). Any other keyword argument: None.
pub fn parse_call(s: &str) -> Option<(&str, Vec<String>, Option<Json>)> {
    let s = s.trim();
    let open = s.find('(')?;
    let inner = s[open + 1..].strip_suffix(')')?;
    let unquote = |a: &str| a.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
    let mut args = vec![];
    let mut version = None;
    for a in inner.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        match a.split_once('=') {
            Some((k, v)) if matches!(k.trim(), "v" | "version") && version.is_none() => {
                let v = v.trim();
                let quoted = v.len() >= 2 && (v.starts_with('\'') || v.starts_with('"'));
                version = Some(if quoted { Json::String(unquote(v)) } else { serde_json::from_str::<Json>(v).ok().filter(Json::is_number)? });
            }
            Some(_) => return None,
            None => args.push(unquote(a)),
        }
    }
    Some((s[..open].trim(), args, version))
}

/// A `ref(...)` call's arguments as a `RefCall` (one or two names).
pub(super) fn ref_call(args: &[String], version: Option<&Json>) -> Option<RefCall> {
    match args {
        [m] => Some(RefCall::new(None, m, version)),
        [p, m] => Some(RefCall::new(Some(p), m, version)),
        _ => None,
    }
}

fn meta_config(obj: &Map<String, Json>) -> Json {
    let meta = obj.get("config").and_then(|c| c.get("meta")).cloned().unwrap_or_else(|| json!({}));
    json!({"meta": meta})
}

/// A semantic model element's `config`: the model's meta under the element's own (dbt merges them).
fn element_config(model_config: &Map<String, Json>, obj: &Map<String, Json>) -> Json {
    let mut meta = model_config.get("meta").and_then(Json::as_object).cloned().unwrap_or_default();
    if let Some(Json::Object(own)) = obj.get("config").and_then(|c| c.get("meta")) {
        meta.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    json!({"meta": meta})
}

fn tags_of(obj: &Map<String, Json>, config: &Map<String, Json>) -> Vec<String> {
    let mut tags: Vec<String> = [obj.get("tags"), config.get("tags")]
        .into_iter()
        .flatten()
        .flat_map(|t| match t {
            Json::String(s) => vec![s.clone()],
            Json::Array(a) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            _ => vec![],
        })
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

impl Project {
    /// Adds one property file's semantic models, metrics, saved queries, exposures and groups.
    pub fn add_semantic_entries(&mut self, doc: &Json, package: &str, file: &str) -> Result<()> {
        let at = At { package, file };
        let Some(top) = doc.as_object() else { return Ok(()) };
        // dbt's order within a file (semantic_manifest.json's lists keep it).
        for e in list(top, "exposures", &at, "exposures")? {
            let node = exposure(self, e, &at)?;
            self.insert_semantic(node)?;
        }
        for e in list(top, "metrics", &at, "metrics")? {
            let node = metric(self, e, &at)?;
            self.insert_semantic(node)?;
        }
        for e in list(top, "groups", &at, "groups")? {
            self.add_group(e, &at)?;
        }
        for e in list(top, "semantic_models", &at, "semantic_models")? {
            let (node, metrics) = semantic_model(self, e, &at)?;
            self.insert_semantic(node)?;
            for m in metrics {
                self.insert_semantic(m)?;
            }
        }
        for e in list(top, "saved_queries", &at, "saved_queries")? {
            let node = saved_query(self, e, &at)?;
            self.insert_semantic(node)?;
        }
        Ok(())
    }

    fn insert_semantic(&mut self, mut node: SemanticNode) -> Result<()> {
        if !node.config.get("enabled").and_then(Json::as_bool).unwrap_or(true) {
            return Ok(());
        }
        if let Some(old) = self.semantic.get(&node.unique_id) {
            let kind = node.resource.as_str().replace('_', " ");
            return Err(Error::project(
                &node.original_file_path,
                format!("two {kind}s are named `{}` (the other is in {})", node.name, old.original_file_path),
            ));
        }
        node.seq = self.semantic.len();
        self.semantic.insert(node.unique_id.clone(), node);
        Ok(())
    }

    fn add_group(&mut self, e: &Map<String, Json>, at: &At) -> Result<()> {
        let name = entry_name(e, at, "groups")?;
        let ctx = format!("groups.{name}");
        at.check(e, GROUP, &ctx)?;
        let owner = e.get("owner").and_then(Json::as_object).ok_or_else(|| at.err(&ctx, "a group needs an `owner` with a `name` or an `email`"))?;
        if !owner.contains_key("name") && !owner.contains_key("email") {
            return Err(at.err(&ctx, "a group's `owner` needs a `name` or an `email`"));
        }
        let unique_id = format!("group.{}.{name}", at.package);
        let entry = json!({
            "name": name, "resource_type": "group", "package_name": at.package,
            "path": self.in_package(at.package, at.file).split_once('/').map_or(at.file, |(_, p)| p),
            "original_file_path": self.in_package(at.package, at.file), "unique_id": unique_id,
            "owner": owner, "description": text(e, "description"), "config": meta_config(e),
        });
        if self.groups.insert(unique_id.clone(), Group { unique_id, name: name.clone(), entry }).is_some() {
            return Err(at.err(&ctx, format!("two groups are named `{name}`")));
        }
        Ok(())
    }

    fn semantic_node(&self, resource: Resource, tree: &'static str, e: &Map<String, Json>, at: &At, name: &str) -> Result<SemanticNode> {
        let fqn = fqn(self, at, name);
        let mut config = self.tree_config(at.package, Tree::Other(tree), &fqn)?.0;
        if let Some(own) = e.get("config").and_then(Json::as_object) {
            config.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        // A top-level `meta:` joins config.meta, as dbt merges them.
        if let Some(Json::Object(meta)) = e.get("meta") {
            let merged = config.entry("meta").or_insert_with(|| json!({}));
            if let Json::Object(m) = merged {
                m.extend(meta.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        Ok(SemanticNode {
            unique_id: format!("{}.{}.{name}", resource.as_str(), at.package),
            resource,
            name: name.to_string(),
            package_name: at.package.to_string(),
            original_file_path: at.file.to_string(),
            tags: tags_of(e, &config),
            fqn,
            config,
            entry: Json::Null,
            wants: Wants::default(),
            depends_on: vec![],
            seq: 0,
        })
    }
}

/// What `compile` knows when resolving: model/seed/snapshot unique ids by name (with their packages)
/// and source unique ids by (source, table).
pub struct Lookup<'a> {
    pub names: &'a std::collections::HashMap<String, Vec<(String, String)>>,
    pub sources: &'a std::collections::HashMap<(String, String), String>,
}

impl Project {
    /// Resolves what each semantic node names to unique ids (`depends_on`, dbt's order) and checks
    /// `config.group` names a group; returns the graph edges (parent, child).
    pub fn resolve_semantic(&mut self, lookup: &Lookup) -> Result<Vec<(String, String)>> {
        let root = self.cfg.name.clone();
        let metric_ids: std::collections::HashMap<String, String> =
            self.semantic.values().filter(|n| n.resource == Resource::Metric).map(|n| (n.name.clone(), n.unique_id.clone())).collect();
        let mut measure_owner = std::collections::HashMap::new();
        for n in self.semantic.values().filter(|n| n.resource == Resource::SemanticModel) {
            for m in &n.wants.measures {
                measure_owner.insert(m.clone(), n.unique_id.clone());
            }
        }
        self.check_groups()?;
        self.inherit_groups();
        let mut edges = vec![];
        for node in self.semantic.values_mut() {
            let missing = |what: &'static str, name: &str, known: Vec<&str>| Error::MissingRef {
                file: node.original_file_path.clone(),
                node: format!("{} {}", node.resource.as_str().replace('_', " "), node.name),
                what,
                suggestion: suggest(name, known),
                name: name.to_string(),
            };
            let mut deps = vec![];
            for r in &node.wants.refs {
                let key = r.key();
                let candidates: Vec<(&str, &String)> =
                    lookup.names.get(&key).into_iter().flatten().map(|(p, u)| (p.as_str(), u)).collect();
                let uid = super::nodes::pick_ref(&candidates, &root, &node.package_name, r.package.as_deref())
                    .ok_or_else(|| missing("model", &key, lookup.names.keys().map(String::as_str).collect()))?;
                deps.push((*uid).clone());
            }
            for (src, table) in &node.wants.sources {
                let uid = lookup.sources.get(&(src.clone(), table.clone())).ok_or_else(|| missing("source", &format!("{src}.{table}"), vec![]))?;
                deps.push(uid.clone());
            }
            if node.resource == Resource::Metric && !node.wants.measures.is_empty() {
                for m in &node.wants.measures {
                    let uid = measure_owner.get(m).ok_or_else(|| missing("measure", m, measure_owner.keys().map(String::as_str).collect()))?;
                    deps.push(uid.clone());
                }
            }
            for m in &node.wants.metrics {
                let uid = metric_ids.get(m).ok_or_else(|| missing("metric", m, metric_ids.keys().map(String::as_str).collect()))?;
                deps.push(uid.clone());
            }
            let mut seen = std::collections::HashSet::new();
            deps.retain(|d| seen.insert(d.clone()));
            edges.extend(deps.iter().map(|d| (d.clone(), node.unique_id.clone())));
            node.depends_on = deps;
        }
        Ok(edges)
    }

    /// A generic test without a group of its own belongs to its model's group (dbt's rule).
    fn inherit_groups(&mut self) {
        let groups: std::collections::HashMap<String, Json> = self
            .nodes
            .values()
            .filter_map(|n| n.config.get("group").filter(|g| g.is_string()).map(|g| (n.unique_id.clone(), g.clone())))
            .collect();
        for n in self.nodes.values_mut().filter(|n| n.config.get("group").is_none_or(Json::is_null)) {
            if let Some(g) = n.generic.as_ref().and_then(|g| groups.get(&g.attached_to)) {
                n.inherited_group = Some(g.clone());
            }
        }
    }

    /// `config.group` of nodes and semantic nodes must name a group (dbt fails the parse otherwise).
    fn check_groups(&self) -> Result<()> {
        let known: Vec<&str> = self.groups.values().map(|g| g.name.as_str()).collect();
        let named = self.nodes.values().map(|n| (n.config.get("group"), &n.original_file_path, &n.unique_id));
        let semantic = self.semantic.values().map(|n| (n.config.get("group"), &n.original_file_path, &n.unique_id));
        for (group, file, uid) in named.chain(semantic) {
            match group {
                None | Some(Json::Null) => {}
                Some(Json::String(g)) if known.contains(&g.as_str()) => {}
                Some(g) => {
                    let shown = g.as_str().map_or(g.to_string(), String::from);
                    return Err(Error::project(
                        file.as_str(),
                        format!("{uid}: group `{shown}` is not defined (a `groups:` entry in a property file){}",
                            crate::error::did_you_mean(&suggest(&shown, known.iter().copied()))),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// dbt's access rule for `ref()`: a private model may only be referenced from its own group.
pub fn check_access(from: &super::nodes::Node, to: &super::nodes::Node) -> Result<()> {
    if to.resource != Resource::Model || to.config.str("access") != Some("private") {
        return Ok(());
    }
    // Tests belong to the node they test.
    if matches!(from.resource, Resource::Test | Resource::UnitTest) {
        return Ok(());
    }
    let group = to.config.str("group").unwrap_or_default();
    if from.config.str("group") == Some(group) && !group.is_empty() {
        return Ok(());
    }
    Err(Error::project(
        from.original_file_path.as_str(),
        format!(
            "Node {} attempted to reference node {}, which is not allowed because the referenced node is private to the '{group}' group.",
            from.unique_id, to.unique_id
        ),
    ))
}

fn semantic_model(project: &Project, e: &Map<String, Json>, at: &At) -> Result<(SemanticNode, Vec<SemanticNode>)> {
    let name = entry_name(e, at, "semantic_models")?;
    let ctx = format!("semantic_models.{name}");
    at.check(e, SEMANTIC_MODEL, &ctx)?;
    let mut node = project.semantic_node(Resource::SemanticModel, "semantic-models", e, at, &name)?;
    let model = e.get("model").and_then(Json::as_str).ok_or_else(|| at.err(&ctx, "a semantic model needs `model: ref('...')`"))?;
    match parse_call(model).and_then(|(f, args, v)| (f == "ref").then(|| ref_call(&args, v.as_ref())).flatten()) {
        Some(call) => node.wants.refs.push(call),
        None => return Err(at.err(&ctx, format!("`model: {model}` must be a ref('...') to a model (`ref('m')`, `ref('pkg', 'm')`, `ref('m', v=2)`)"))),
    }
    let mut entities = vec![];
    for ent in list(e, "entities", at, &ctx)? {
        let n = entry_name(ent, at, &ctx)?;
        let c = format!("{ctx}.entities.{n}");
        at.check(ent, ENTITY, &c)?;
        entities.push(json!({
            "name": n, "type": at.one_of(ent, "type", ENTITY_TYPES, &c, true)?, "description": text(ent, "description"),
            "label": text(ent, "label"), "role": text(ent, "role"), "expr": ent.get("expr").cloned().unwrap_or(json!(n)),
            "config": element_config(&node.config, ent),
        }));
    }
    let mut measures = vec![];
    let mut created = vec![];
    for me in list(e, "measures", at, &ctx)? {
        let n = entry_name(me, at, &ctx)?;
        let c = format!("{ctx}.measures.{n}");
        at.check(me, MEASURE, &c)?;
        let create_metric = me.get("create_metric").and_then(Json::as_bool).unwrap_or(false);
        measures.push(json!({
            "name": n, "agg": at.one_of(me, "agg", AGGREGATIONS, &c, true)?, "description": text(me, "description"),
            // dbt writes false here once it has made the metric.
            "label": text(me, "label"), "create_metric": false,
            "expr": me.get("expr").map(|v| match v { Json::String(_) => v.clone(), other => json!(other.to_string()) }).unwrap_or(json!(n)),
            "agg_params": at.or_err(&c, params::agg_params(me.get("agg_params")))?,
            "non_additive_dimension": at.or_err(&c, params::non_additive_dimension(me.get("non_additive_dimension"), AGGREGATIONS))?,
            "agg_time_dimension": text(me, "agg_time_dimension"), "config": element_config(&node.config, me),
        }));
        if create_metric {
            // dbt's metric for `create_metric: true`: the measure's label and description, else defaults.
            let description = me.get("description").cloned().unwrap_or_else(|| json!(format!("Metric created from measure {n}")));
            let spec = json!({"name": n, "label": me.get("label").cloned().unwrap_or(json!(n)), "type": "simple",
                "description": description, "type_params": {"measure": n, "expr": n}});
            let mut m = metric(project, spec.as_object().expect("built as an object"), at)?;
            let mut unrendered = m.config.clone();
            unrendered.insert("enabled".into(), json!(true));
            m.entry["unrendered_config"] = Json::Object(unrendered);
            created.push(m);
        }
    }
    let mut dimensions = vec![];
    for d in list(e, "dimensions", at, &ctx)? {
        let n = entry_name(d, at, &ctx)?;
        let c = format!("{ctx}.dimensions.{n}");
        at.check(d, DIMENSION, &c)?;
        let kind = at.one_of(d, "type", DIMENSION_TYPES, &c, true)?;
        let type_params = match d.get("type_params").and_then(Json::as_object) {
            Some(tp) => json!({"time_granularity": text(tp, "time_granularity"), "validity_params": text(tp, "validity_params")}),
            None if kind == "time" => return Err(at.err(&c, "a time dimension needs `type_params: {time_granularity: ...}`")),
            None => Json::Null,
        };
        dimensions.push(json!({
            "name": n, "type": kind, "description": text(d, "description"), "label": text(d, "label"),
            "is_partition": d.get("is_partition").and_then(Json::as_bool).unwrap_or(false), "type_params": type_params,
            "expr": text(d, "expr"), "metadata": null, "config": element_config(&node.config, d),
        }));
    }
    node.wants.measures = measures.iter().filter_map(|m| m["name"].as_str().map(String::from)).collect();
    node.entry = json!({
        "model": model, "description": text(e, "description"), "label": text(e, "label"),
        "defaults": text(e, "defaults"), "entities": entities, "measures": measures, "dimensions": dimensions,
        "metadata": null, "primary_entity": text(e, "primary_entity"), "refs": [],
    });
    Ok((node, created))
}

fn metric(project: &Project, e: &Map<String, Json>, at: &At) -> Result<SemanticNode> {
    let name = entry_name(e, at, "metrics")?;
    let ctx = format!("metrics.{name}");
    at.check(e, METRIC, &ctx)?;
    if !e.contains_key("label") {
        return Err(at.err(&ctx, "a metric needs a `label`"));
    }
    let kind = at.one_of(e, "type", METRIC_TYPES, &ctx, true)?;
    let tp = e.get("type_params").and_then(Json::as_object).cloned().unwrap_or_default();
    at.check(&tp, TYPE_PARAMS, &format!("{ctx}.type_params"))?;
    let mut node = project.semantic_node(Resource::Metric, "metrics", e, at, &name)?;
    let c = format!("{ctx}.type_params");
    let mut measure = Json::Null;
    if let Some(m) = tp.get("measure") {
        let (n, v) = at.or_err(&c, params::metric_input(m, MEASURE_INPUT))?;
        node.wants.measures.push(n);
        measure = v;
    }
    let mut ratio = |key: &str| -> Result<Json> {
        match tp.get(key) {
            None | Some(Json::Null) => Ok(Json::Null),
            Some(v) => {
                let (n, v) = at.or_err(&c, params::metric_input(v, METRIC_INPUT))?;
                node.wants.metrics.push(n);
                Ok(v)
            }
        }
    };
    let (numerator, denominator) = (ratio("numerator")?, ratio("denominator")?);
    let mut inputs = vec![];
    for m in tp.get("metrics").and_then(Json::as_array).into_iter().flatten() {
        let (n, v) = at.or_err(&c, params::metric_input(m, METRIC_INPUT))?;
        node.wants.metrics.push(n);
        inputs.push(v);
    }
    let (conversion, conversion_measures) = at.or_err(&c, params::conversion(tp.get("conversion_type_params")))?;
    node.wants.measures.extend(conversion_measures);
    let cumulative = at.or_err(&c, params::cumulative(kind.as_str().unwrap_or_default(), &tp))?;
    let grain_to_date = at.or_err(&c, grain(tp.get("grain_to_date")))?;
    let required = match kind.as_str() {
        Some("simple" | "cumulative") => (!measure.is_null() || kind == "cumulative", "`type_params.measure`"),
        Some("ratio") => (!numerator.is_null() && !denominator.is_null(), "`type_params.numerator` and `type_params.denominator`"),
        Some("derived") => (tp.contains_key("expr") && !inputs.is_empty(), "`type_params.expr` and `type_params.metrics`"),
        _ => (true, ""),
    };
    if !required.0 {
        return Err(at.err(&ctx, format!("a {} metric needs {}", kind.as_str().unwrap_or_default(), required.1)));
    }
    node.entry = json!({
        "description": e.get("description").cloned().unwrap_or(json!("")), "label": text(e, "label"), "type": kind,
        "type_params": {
            "measure": measure, "input_measures": [], "numerator": numerator, "denominator": denominator,
            "expr": tp.get("expr").map(|v| json!(v.to_string().trim_matches('"'))).unwrap_or(Json::Null),
            "window": at.or_err(&c, params::time_window(tp.get("window")))?, "grain_to_date": grain_to_date, "metrics": inputs,
            "conversion_type_params": conversion, "cumulative_type_params": cumulative,
            "metric_aggregation_params": null,
        },
        "filter": at.or_err(&ctx, params::where_filter(e.get("filter")))?,
        "metadata": null, "time_granularity": text(e, "time_granularity"), "sources": [], "refs": [], "metrics": [],
    });
    Ok(node)
}

/// The legacy `type_params.grain_to_date`: a standard grain (dbt reads it as `TimeGranularity`).
fn grain(v: Option<&Json>) -> params::Msg<Json> {
    match v {
        None | Some(Json::Null) => Ok(Json::Null),
        Some(Json::String(g)) if super::time_spine::GRANULARITIES.contains(&g.to_lowercase().as_str()) => Ok(json!(g.to_lowercase())),
        Some(other) => Err(format!("Invalid enum value: `{}` in enum TimeGranularity", other.as_str().unwrap_or(&other.to_string()))),
    }
}

fn saved_query(project: &Project, e: &Map<String, Json>, at: &At) -> Result<SemanticNode> {
    let name = entry_name(e, at, "saved_queries")?;
    let ctx = format!("saved_queries.{name}");
    at.check(e, SAVED_QUERY, &ctx)?;
    let qp = e.get("query_params").and_then(Json::as_object).ok_or_else(|| at.err(&ctx, "a saved query needs `query_params:`"))?;
    at.check(qp, QUERY_PARAMS, &format!("{ctx}.query_params"))?;
    let mut node = project.semantic_node(Resource::SavedQuery, "saved-queries", e, at, &name)?;
    let strings = |k: &str| -> Vec<String> { qp.get(k).and_then(Json::as_array).into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect() };
    node.wants.metrics = strings("metrics");
    if node.wants.metrics.is_empty() {
        return Err(at.err(&ctx, "a saved query needs at least one metric in `query_params.metrics`"));
    }
    let mut exports = vec![];
    for x in list(e, "exports", at, &ctx)? {
        let n = entry_name(x, at, &ctx)?;
        let cfg = x.get("config").and_then(Json::as_object).cloned().unwrap_or_default();
        let export_as = at.one_of(&cfg, "export_as", &["table", "view"], &format!("{ctx}.exports.{n}.config"), false)?;
        exports.push(json!({
            "name": n,
            "config": {"export_as": export_as, "schema_name": cfg.get("schema").cloned().unwrap_or(Json::Null),
                "alias": cfg.get("alias").cloned().unwrap_or(json!(n)), "database": null},
            "unrendered_config": cfg,
        }));
    }
    let where_ = match qp.get("where") {
        None | Some(Json::Null) => Json::Null,
        Some(Json::String(s)) => json!({"where_filters": [{"where_sql_template": s}]}),
        Some(Json::Array(a)) => json!({"where_filters": a.iter().map(|s| json!({"where_sql_template": s})).collect::<Vec<_>>()}),
        Some(other) => return Err(at.err(&ctx, format!("`query_params.where` must be a string or a list, got {other}"))),
    };
    let mut config = json!({"enabled": true, "group": null, "meta": {}, "export_as": null, "schema": null, "cache": {"enabled": false}});
    for (k, v) in &node.config {
        config[k] = v.clone();
    }
    node.entry = json!({
        "query_params": {"metrics": node.wants.metrics, "group_by": strings("group_by"), "where": where_,
            "order_by": strings("order_by"), "limit": text(qp, "limit")},
        "exports": exports, "description": text(e, "description"), "label": text(e, "label"), "metadata": null,
        "config": config, "refs": [],
    });
    Ok(node)
}

fn exposure(project: &Project, e: &Map<String, Json>, at: &At) -> Result<SemanticNode> {
    let name = entry_name(e, at, "exposures")?;
    let ctx = format!("exposures.{name}");
    at.check(e, EXPOSURE, &ctx)?;
    let kind = at.one_of(e, "type", EXPOSURE_TYPES, &ctx, true)?;
    let maturity = at.one_of(e, "maturity", MATURITIES, &ctx, false)?;
    let owner = e.get("owner").and_then(Json::as_object).ok_or_else(|| at.err(&ctx, "an exposure needs an `owner` with a `name` or an `email`"))?;
    let mut node = project.semantic_node(Resource::Exposure, "exposures", e, at, &name)?;
    let mut refs = vec![];
    let mut metrics = vec![];
    for d in e.get("depends_on").and_then(Json::as_array).into_iter().flatten() {
        let s = d.as_str().unwrap_or_default();
        let call = parse_call(s);
        match call.as_ref().map(|(f, a, v)| (*f, a, v)) {
            Some(("ref", a, v)) if ref_call(a, v.as_ref()).is_some() => {
                let Some(r) = ref_call(a, v.as_ref()) else { continue };
                refs.push(json!({"name": r.name, "package": r.package, "version": r.version}));
                node.wants.refs.push(r);
            }
            Some(("source", a, None)) if a.len() == 2 => node.wants.sources.push((a[0].clone(), a[1].clone())),
            Some(("metric", a, None)) if a.len() == 1 => {
                metrics.push(json!([a[0]]));
                node.wants.metrics.push(a[0].clone());
            }
            _ => return Err(at.err(&ctx, format!("`depends_on: {d}`: expected ref('...') (`v=` pins a model version), source('...', '...') or metric('...')"))),
        }
    }
    let mut config = json!({"enabled": true, "tags": node.tags, "meta": {}});
    for (k, v) in &node.config {
        config[k] = v.clone();
    }
    node.entry = json!({
        "type": kind, "owner": owner, "description": e.get("description").cloned().unwrap_or(json!("")), "label": text(e, "label"),
        "maturity": maturity, "tags": node.tags, "config": config, "url": text(e, "url"), "refs": refs,
        "sources": node.wants.sources.iter().map(|(s, t)| json!([s, t])).collect::<Vec<_>>(), "metrics": metrics,
    });
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_calls_parse() {
        assert_eq!(parse_call("ref('orders')"), Some(("ref", vec!["orders".to_string()], None)));
        assert_eq!(parse_call(" source(\"raw\", 'o') "), Some(("source", vec!["raw".to_string(), "o".to_string()], None)));
        assert_eq!(parse_call("orders"), None);
        assert_eq!(parse_call("ref('orders', v=2)"), Some(("ref", vec!["orders".to_string()], Some(json!(2)))), "a version, not a package");
        assert_eq!(parse_call("ref('p', 'orders', version='2')"), Some(("ref", vec!["p".to_string(), "orders".to_string()], Some(json!("2")))));
        assert_eq!(parse_call("ref('orders', v=two)"), None);
        assert_eq!(parse_call("ref('orders', w=2)"), None);
        assert_eq!(ref_call(&["orders".to_string()], Some(&json!(2))).map(|r| r.key()), Some("orders.v2".to_string()));
    }
}
