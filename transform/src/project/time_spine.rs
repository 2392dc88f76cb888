//! MetricFlow's time spines: a column's `granularity:` and a model's `time_spine:`, checked as dbt's
//! `UnparsedModelUpdate` checks them (`spine_check` holds the project-wide rule).

use serde_json::{json, Map, Value as Json};

use crate::error::{Error, Result};

/// dsi's `TimeGranularity`, finest first (its `to_int` order).
pub const GRANULARITIES: &[&str] =
    &["nanosecond", "microsecond", "millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"];

/// The model dbt treats as a day-grain time spine without YAML configuration.
pub const LEGACY_MODEL: &str = "metricflow_time_spine";

/// A model's `time_spine:`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimeSpine {
    pub standard_granularity_column: String,
    /// `custom_granularities:` as (name, column_name).
    pub custom_granularities: Vec<(String, Option<String>)>,
}

impl TimeSpine {
    /// manifest.json's `time_spine` of a model node.
    pub fn manifest_json(&self) -> Json {
        let custom: Vec<Json> = self.custom_granularities.iter().map(|(n, c)| json!({"name": n, "column_name": c})).collect();
        json!({"standard_granularity_column": self.standard_granularity_column, "custom_granularities": custom})
    }
}

/// A column's `granularity:`, lower-cased as dsi's case-insensitive enum stores it.
pub fn granularity(c: &Map<String, Json>, file: &str, at: &str) -> Result<Option<String>> {
    match c.get("granularity") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if GRANULARITIES.contains(&s.to_lowercase().as_str()) => Ok(Some(s.to_lowercase())),
        Some(other) => Err(Error::project(
            file,
            format!("{at}: Invalid enum value: `{}` in enum TimeGranularity (one of {})", plain(other), GRANULARITIES.join(", ")),
        )),
    }
}

fn plain(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// A model entry's `time_spine:`, checked against its columns (name, granularity) with dbt's messages.
pub fn parse(e: &Map<String, Json>, columns: &[(&str, Option<&str>)], model: &str, file: &str) -> Result<Option<TimeSpine>> {
    let Some(spec) = e.get("time_spine").filter(|v| !v.is_null()) else { return Ok(None) };
    let at = format!("models.{model}.time_spine");
    let spec = spec.as_object().ok_or_else(|| Error::project(file, format!("{at}: must be a mapping")))?;
    if let Some(k) = spec.keys().find(|k| !["standard_granularity_column", "custom_granularities"].contains(&k.as_str())) {
        return Err(Error::project(file, format!("{at}: unknown key `{k}` (expected standard_granularity_column, custom_granularities)")));
    }
    let standard = spec
        .get("standard_granularity_column")
        .and_then(Json::as_str)
        .ok_or_else(|| Error::project(file, format!("{at}: `standard_granularity_column` is required")))?;
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let valid = format!("[{}]", names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", "));
    let Some((_, grain)) = columns.iter().find(|(n, _)| *n == standard) else {
        return Err(Error::project(file, format!(
            "Time spine standard granularity column must be defined on the model. Got invalid column name '{standard}' for model '{model}'. Valid names: {valid}."
        )));
    };
    if grain.is_none() {
        return Err(Error::project(file, format!(
            "Time spine standard granularity column must have a granularity defined. Please add one for column '{standard}' in model '{model}'."
        )));
    }
    let custom = custom_granularities(spec.get("custom_granularities"), file, &at)?;
    let missing: Vec<String> = custom.iter().map(|(n, c)| c.as_ref().unwrap_or(n)).filter(|c| !names.contains(&c.as_str())).map(|c| format!("'{c}'")).collect();
    if !missing.is_empty() {
        return Err(Error::project(file, format!(
            "Time spine custom granularity columns do not exist in the model. Columns not found: [{}]; Available columns: {valid}",
            missing.join(", ")
        )));
    }
    Ok(Some(TimeSpine { standard_granularity_column: standard.to_string(), custom_granularities: custom }))
}

fn custom_granularities(v: Option<&Json>, file: &str, at: &str) -> Result<Vec<(String, Option<String>)>> {
    let bad = |m: &str| Error::project(file, format!("{at}.custom_granularities: {m}"));
    let mut out = vec![];
    for c in v.and_then(Json::as_array).into_iter().flatten() {
        let c = c.as_object().ok_or_else(|| bad("each entry must be a mapping with a `name`"))?;
        if let Some(k) = c.keys().find(|k| !["name", "column_name"].contains(&k.as_str())) {
            return Err(bad(&format!("unknown key `{k}` (expected name, column_name)")));
        }
        let name = c.get("name").and_then(Json::as_str).ok_or_else(|| bad("each entry needs a `name`"))?;
        out.push((name.to_string(), c.get("column_name").and_then(Json::as_str).map(String::from)));
    }
    if v.is_some_and(|v| !v.is_array() && !v.is_null()) {
        return Err(bad("must be a list"));
    }
    Ok(out)
}
