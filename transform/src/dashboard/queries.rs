//! Panel SQL: each panel's `sql:` (or the query its `model:` stands for) rendered once with the
//! project's Jinja (ref, var, macros), checked to read models of the allowed layers only (never a
//! source), and the SQL that runs now — with the panel's `window:` as a constant date filter so a
//! partitioned warehouse scans only the partitions in range.

use serde::Serialize;

use super::spec::{Dashboard, Kind, Panel};
use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::project::{RelationName, Resource};

/// A model a panel reads (shown with the panel's SQL).
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub name: String,
    pub unique_id: String,
    pub path: String,
    pub description: String,
    #[serde(skip)]
    pub relation: RelationName,
}

#[derive(Debug, Clone)]
enum Body {
    /// A rendered `sql:`; a window wraps it.
    Sql(String),
    /// `select … from <relation>` parts of a `model:` panel, each already rendered.
    Model { select: String, relation: String, filter: Option<String>, order_by: Option<String>, limit: Option<u64> },
    Builtin,
}

#[derive(Debug, Clone)]
pub struct PanelQuery {
    pub panel: Panel,
    pub models: Vec<ModelInfo>,
    body: Body,
}

/// A rendered panel text: its SQL, the `ref()`s and the `source()`s it read.
type Rendered = (String, Vec<crate::project::RefCall>, Vec<(String, String)>);

fn render(m: &Manifest, d: &Dashboard, p: &Panel, text: &str) -> Result<Rendered> {
    let label = format!("dashboard panel {}", p.name);
    let r = m.engine.render_inline(&label, &d.file, text).map_err(|e| Error::project(d.file.clone(), format!("panel `{}`: {e}", p.name)))?;
    Ok((r.sql, r.captures.refs, r.captures.sources))
}

/// Compiles every panel of `d`; errors name the file, the panel and the culprit.
pub fn compile(m: &Manifest, d: &Dashboard) -> Result<Vec<PanelQuery>> {
    d.spec.panels.iter().map(|p| compile_panel(m, d, p)).collect()
}

fn compile_panel(m: &Manifest, d: &Dashboard, p: &Panel) -> Result<PanelQuery> {
    let mut refs = vec![];
    let mut sources = vec![];
    let mut take = |text: &str| -> Result<String> {
        let (sql, r, s) = render(m, d, p, text)?;
        refs.extend(r);
        sources.extend(s);
        Ok(sql)
    };
    let body = match (p.kind, &p.sql, &p.model) {
        (Kind::Health, _, _) => Body::Builtin,
        (_, Some(sql), _) => Body::Sql(take(sql)?),
        (_, None, Some(model)) => Body::Model {
            select: if p.select.is_empty() { "*".into() } else { p.select.join(", ") },
            relation: take(&format!("{{{{ ref('{model}') }}}}"))?,
            filter: p.filter.as_deref().map(&mut take).transpose()?,
            order_by: p.order_by.as_deref().map(&mut take).transpose()?,
            limit: p.limit,
        },
        (_, None, None) => return Err(Error::project(d.file.clone(), format!("panel `{}`: needs `sql` or `model`", p.name))),
    };
    if let Some((src, table)) = sources.first() {
        return Err(Error::project(
            d.file.clone(),
            format!("panel `{}` reads source('{src}', '{table}'): panels read models (layers {}), never raw tables", p.name, d.spec.layers.join(", ")),
        ));
    }
    let models = refs.iter().map(|r| model_info(m, d, p, r)).collect::<Result<Vec<_>>>()?;
    Ok(PanelQuery { panel: p.clone(), models: dedup(models), body })
}

fn dedup(mut v: Vec<ModelInfo>) -> Vec<ModelInfo> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|mi| seen.insert(mi.unique_id.clone()));
    v
}

fn model_info(m: &Manifest, d: &Dashboard, p: &Panel, r: &crate::project::RefCall) -> Result<ModelInfo> {
    let name = r.key();
    // `ref('m')` of a versioned model reads its latest version; `ref('m', v=1)` that version.
    let named = |n: &crate::project::Node| n.search_name() == name || (n.name == name && n.is_latest_version());
    let node = m
        .project
        .nodes
        .values()
        .find(|n| named(n) && matches!(n.resource, Resource::Model | Resource::Seed))
        .ok_or_else(|| Error::project(d.file.clone(), format!("panel `{}`: no model `{name}`", p.name)))?;
    // fqn = [project, folder…, name]: the first folder is the layer.
    let layer = if node.fqn.len() > 2 { node.fqn[1].as_str() } else { "" };
    if !d.spec.layers.iter().any(|l| l == layer) {
        return Err(Error::project(
            d.file.clone(),
            format!("panel `{}` reads `{name}` ({}), outside the dashboard's layers ({}); add the layer to `layers:` or read a mart", p.name, node.original_file_path, d.spec.layers.join(", ")),
        ));
    }
    Ok(ModelInfo { name, unique_id: node.unique_id.clone(), path: node.original_file_path.clone(), description: node.description.clone(), relation: node.relation.clone() })
}

impl PanelQuery {
    pub fn is_builtin(&self) -> bool {
        matches!(self.body, Body::Builtin)
    }

    /// The SQL that runs on `today` (the window's cutoff is a constant, so partitions are pruned).
    pub fn sql(&self, today: chrono::NaiveDate) -> Option<String> {
        let window = self.panel.window.as_ref().map(|w| format!("{} >= DATE '{}'", w.column, today - chrono::Days::new(u64::from(w.days))));
        match &self.body {
            Body::Builtin => None,
            Body::Sql(sql) => Some(match window {
                None => sql.clone(),
                Some(cond) => {
                    let order = match (self.panel.kind, &self.panel.x) {
                        (Kind::Timeseries, Some(x)) => format!("\norder by {x}"),
                        _ => String::new(),
                    };
                    format!("select * from (\n{}\n) as panel\nwhere {cond}{order}", sql.trim_end().trim_end_matches(';'))
                }
            }),
            Body::Model { select, relation, filter, order_by, limit } => {
                let conds: Vec<String> = filter.iter().map(|f| format!("({f})")).chain(window).collect();
                let mut sql = format!("select {select}\nfrom {relation}");
                if !conds.is_empty() {
                    sql.push_str(&format!("\nwhere {}", conds.join(" and ")));
                }
                if let Some(o) = order_by {
                    sql.push_str(&format!("\norder by {o}"));
                }
                if let Some(l) = limit {
                    sql.push_str(&format!("\nlimit {l}"));
                }
                Some(sql)
            }
        }
    }
}
