//! The panel files, `dashboards/*.yml` at the project root (format: docs/dashboards.md): their serde
//! shape and the checks that need no warehouse — unique names, one data source per panel, the fields
//! each kind needs and no fields of other kinds — each error naming the file and the panel.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardFile {
    pub version: u32,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default = "default_layers")]
    pub layers: Vec<String>,
    pub poll_seconds: Option<u64>,
    pub panels: Vec<Panel>,
}

fn default_layers() -> Vec<String> {
    vec!["marts".into(), "reporting".into()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Kpi,
    Timeseries,
    Bar,
    Table,
    Health,
}

/// One panel. Kind-specific fields are optional here and checked by `check`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Width>,
    #[serde(skip_serializing)]
    pub sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_after_hours: Option<f64>,
    // kpi
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Field>,
    // table
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Field>,
    // timeseries and bar
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<Series>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizontal: Option<bool>,
    // timeseries only
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candles: Option<Candles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<Chart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_toggle: Option<bool>,
    #[serde(default)]
    pub overlays: Vec<Overlay>,
    #[serde(default)]
    pub panes: Vec<Pane>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_range: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Width {
    Full,
    Half,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Linear,
    Log,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Chart {
    Candles,
    Line,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub column: String,
    pub days: u32,
}

/// A value shown by a KPI item or a table column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub column: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Companion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<Companion>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Companion {
    pub column: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Usd,
    UsdCompact,
    Pct,
    Number,
    Compact,
    Int,
    Date,
    Time,
    Text,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub column: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<SeriesKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pane: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub axis: Option<Axis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    Line,
    Bar,
    Area,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    Left,
    Right,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    pub column: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pane {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Candles {
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    pub at: String,
    pub label: String,
}

const RANGES: &[&str] = &["1W", "1M", "3M", "6M", "YTD", "1Y", "2Y", "5Y", "10Y", "ALL"];

/// A loaded dashboard file: its name (the file stem), path relative to the project, and contents.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub name: String,
    pub file: String,
    pub spec: DashboardFile,
}

/// The dashboard files of the project, sorted by name.
pub fn files(project_dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = project_dir.join("dashboards");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(vec![]) };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    out.sort();
    Ok(out)
}

/// Loads the dashboard `name`, or the only one when `name` is None.
pub fn load(project_dir: &Path, name: Option<&str>) -> Result<Dashboard> {
    let paths = files(project_dir)?;
    let stem = |p: &PathBuf| p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let names: Vec<String> = paths.iter().map(stem).collect();
    let path = match (name, paths.len()) {
        (_, 0) => return Err(Error::Usage(format!("no dashboards/*.yml in {}: define the panels first (docs/dashboards.md)", project_dir.display()))),
        (None, 1) => paths[0].clone(),
        (None, _) => return Err(Error::Usage(format!("several dashboards ({}): pick one with --dashboard NAME", names.join(", ")))),
        (Some(n), _) => match paths.iter().find(|p| stem(p) == n) {
            Some(p) => p.clone(),
            None => return Err(Error::Usage(format!("no dashboard `{n}` (have: {}){}", names.join(", "), crate::error::did_you_mean(&crate::error::suggest(n, names.iter().map(String::as_str)))))),
        },
    };
    let file = format!("dashboards/{}", path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let spec: DashboardFile = serde_yaml::from_str(&text).map_err(|e| Error::Yaml {
        file: file.clone(),
        line: e.location().map_or(0, |l| l.line()),
        message: e.to_string(),
    })?;
    let d = Dashboard { name: stem(&path), file, spec };
    check(&d)?;
    Ok(d)
}

fn bad(d: &Dashboard, panel: &str, msg: impl std::fmt::Display) -> Error {
    Error::project(d.file.clone(), format!("panel `{panel}`: {msg}"))
}

/// Everything about the file that can be checked without the project or the warehouse.
pub fn check(d: &Dashboard) -> Result<()> {
    if d.spec.version != 1 {
        return Err(Error::project(d.file.clone(), format!("`version: {}` is not supported (only 1)", d.spec.version)));
    }
    if d.spec.panels.is_empty() {
        return Err(Error::project(d.file.clone(), "no panels"));
    }
    let mut seen = std::collections::HashSet::new();
    for p in &d.spec.panels {
        let valid = !p.name.is_empty() && p.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(bad(d, &p.name, "names are lowercase letters, digits and _"));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(bad(d, &p.name, "a second panel has this name"));
        }
        check_source(d, p)?;
        check_kind(d, p)?;
    }
    Ok(())
}

fn check_source(d: &Dashboard, p: &Panel) -> Result<()> {
    let model_only = [("select", !p.select.is_empty()), ("where", p.filter.is_some()), ("order_by", p.order_by.is_some()), ("limit", p.limit.is_some())];
    match (p.kind, &p.sql, &p.model) {
        (Kind::Health, None, None) => Ok(()),
        (Kind::Health, _, _) => Err(bad(d, &p.name, "`health` panels are built in: no `sql` or `model`")),
        (_, Some(_), Some(_)) => Err(bad(d, &p.name, "give `sql` or `model`, not both")),
        (_, None, None) => Err(bad(d, &p.name, "needs `sql` or `model`")),
        (_, Some(_), None) => match model_only.iter().find(|(_, set)| *set) {
            Some((key, _)) => Err(bad(d, &p.name, format!("`{key}` goes with `model:`; write it into the `sql`"))),
            None => Ok(()),
        },
        (_, None, Some(_)) => Ok(()),
    }
}

fn check_kind(d: &Dashboard, p: &Panel) -> Result<()> {
    let ts_only = [
        ("candles", p.candles.is_some()),
        ("chart", p.chart.is_some()),
        ("log_toggle", p.log_toggle.is_some()),
        ("overlays", !p.overlays.is_empty()),
        ("panes", !p.panes.is_empty()),
        ("markers", !p.markers.is_empty()),
        ("ranges", !p.ranges.is_empty()),
        ("default_range", p.default_range.is_some()),
    ];
    let chart_only = [("x", p.x.is_some()), ("series", !p.series.is_empty()), ("height", p.height.is_some()), ("scale", p.scale.is_some())];
    let misplaced = |fields: &[(&str, bool)], kinds: &str| match fields.iter().find(|(_, set)| *set) {
        Some((key, _)) => Err(bad(d, &p.name, format!("`{key}` applies to {kinds} panels only"))),
        None => Ok(()),
    };
    if p.kind != Kind::Timeseries {
        misplaced(&ts_only, "timeseries")?;
    }
    if !matches!(p.kind, Kind::Timeseries | Kind::Bar) {
        misplaced(&chart_only, "timeseries and bar")?;
    }
    if p.kind != Kind::Kpi && !p.items.is_empty() {
        return Err(bad(d, &p.name, "`items` applies to kpi panels only"));
    }
    if p.kind != Kind::Table && !p.columns.is_empty() {
        return Err(bad(d, &p.name, "`columns` applies to table panels only (a model panel picks columns with `select`)"));
    }
    match p.kind {
        Kind::Kpi if p.items.is_empty() => Err(bad(d, &p.name, "a kpi panel needs `items`")),
        Kind::Timeseries => check_timeseries(d, p),
        Kind::Bar if p.x.is_none() || p.series.is_empty() => Err(bad(d, &p.name, "a bar panel needs `x` and `series`")),
        _ => Ok(()),
    }
}

fn check_timeseries(d: &Dashboard, p: &Panel) -> Result<()> {
    if p.x.is_none() {
        return Err(bad(d, &p.name, "a timeseries panel needs `x` (its time column)"));
    }
    if p.candles.is_none() && p.series.is_empty() {
        return Err(bad(d, &p.name, "a timeseries panel needs `candles` or at least one of `series`"));
    }
    for s in &p.series {
        if let Some(pane) = s.pane.as_deref().filter(|n| *n != "main") {
            if !p.panes.iter().any(|x| x.name == pane) {
                return Err(bad(d, &p.name, format!("series `{}` is on pane `{pane}`, which `panes` does not define", s.column)));
            }
        }
    }
    for r in p.ranges.iter().chain(&p.default_range) {
        if !RANGES.contains(&r.as_str()) {
            return Err(bad(d, &p.name, format!("range `{r}` is not one of {}", RANGES.join(", "))));
        }
    }
    for m in &p.markers {
        if chrono::NaiveDate::parse_from_str(&m.at, "%Y-%m-%d").is_err() {
            return Err(bad(d, &p.name, format!("marker `{}`: `at: {}` is not a YYYY-MM-DD date", m.label, m.at)));
        }
    }
    Ok(())
}

impl Panel {
    /// Every result column the panel's drawing names (checked against the query's columns).
    pub fn named_columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![];
        out.extend(self.x.as_deref());
        out.extend(self.freshness.as_deref());
        out.extend(self.series.iter().map(|s| s.column.as_str()));
        out.extend(self.overlays.iter().map(|o| o.column.as_str()));
        if let Some(c) = &self.candles {
            out.extend([c.open.as_str(), c.high.as_str(), c.low.as_str(), c.close.as_str()]);
        }
        for f in self.items.iter().chain(&self.columns) {
            out.push(&f.column);
            out.extend(f.change.iter().chain(&f.spread).map(|c| c.column.as_str()));
        }
        out
    }

    /// The column whose maximum is "data through": `freshness`, else a time series' x.
    pub fn freshness_column(&self) -> Option<&str> {
        self.freshness.as_deref().or(match self.kind {
            Kind::Timeseries => self.x.as_deref(),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<()> {
        let spec: DashboardFile = serde_yaml::from_str(yaml).map_err(|e| Error::Usage(e.to_string()))?;
        check(&Dashboard { name: "d".into(), file: "dashboards/d.yml".into(), spec })
    }

    #[test]
    fn the_repo_dashboard_is_valid() {
        let text = include_str!("../../../dashboards/bitcoin.yml");
        let spec: DashboardFile = serde_yaml::from_str(text).expect("bitcoin.yml parses");
        check(&Dashboard { name: "bitcoin".into(), file: "dashboards/bitcoin.yml".into(), spec }).expect("bitcoin.yml is valid");
    }

    #[test]
    fn errors_name_the_panel_and_the_field() {
        let e = parse("version: 1\npanels:\n  - {name: a, kind: bar, sql: 'select 1', x: c, series: [{column: v}], candles: {open: o, high: h, low: l, close: c}}").unwrap_err();
        assert_eq!(e.to_string(), "dashboards/d.yml: panel `a`: `candles` applies to timeseries panels only");
        let e = parse("version: 1\npanels:\n  - {name: a, kind: kpi, items: [{column: x}]}").unwrap_err();
        assert_eq!(e.to_string(), "dashboards/d.yml: panel `a`: needs `sql` or `model`");
        let e = parse("version: 1\npanels:\n  - {name: a, kind: timeseries, model: m, x: d, series: [{column: v, pane: rsi}]}").unwrap_err();
        assert!(e.to_string().contains("pane `rsi`, which `panes` does not define"), "{e}");
        let e = parse("version: 1\npanels:\n  - {name: a, kind: health}\n  - {name: a, kind: health}").unwrap_err();
        assert!(e.to_string().contains("a second panel has this name"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = parse("version: 1\npanels:\n  - {name: a, kind: health, colour: red}").unwrap_err();
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    }
}
