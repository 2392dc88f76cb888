//! The nested values of metrics and measures as dbt's `MetricParser` and `SemanticModelParser`
//! normalise them: inputs with their defaults, `where` filters, `<count> <grain>` windows,
//! conversion and cumulative type params, `agg_params` and `non_additive_dimension`. Errors are
//! plain messages; `semantic` puts the file and entry in front.

use serde_json::{json, Map, Value as Json};

use super::time_spine::GRANULARITIES;

pub type Msg<T> = std::result::Result<T, String>;

pub const MEASURE_INPUT: &[&str] = &["filter", "alias", "join_to_timespine", "fill_nulls_with"];
pub const METRIC_INPUT: &[&str] = &["filter", "alias", "offset_window", "offset_to_grain"];

/// dbt's `parse_where_filter`: a string or a list of strings → `{"where_filters": [...]}`.
pub fn where_filter(v: Option<&Json>) -> Msg<Json> {
    let one = |s: &Json| match s {
        Json::String(_) => Ok(json!({"where_sql_template": s})),
        other => Err(format!("a filter must be a string or a list of strings, got {other}")),
    };
    match v {
        None | Some(Json::Null) => Ok(Json::Null),
        Some(Json::Array(a)) => Ok(json!({"where_filters": a.iter().map(one).collect::<Msg<Vec<_>>>()?})),
        Some(s) => Ok(json!({"where_filters": [one(s)?]})),
    }
}

/// dbt's `_get_optional_time_window`: `7 days` → `{"count": 7, "granularity": "day"}`.
pub fn time_window(v: Option<&Json>) -> Msg<Json> {
    let s = match v {
        None | Some(Json::Null) => return Ok(Json::Null),
        Some(Json::String(s)) => s,
        Some(other) => return Err(format!("a window must be a string like `28 days`, got {other}")),
    };
    let lower = s.to_lowercase();
    let parts: Vec<&str> = lower.split(' ').collect();
    let [count, grain] = parts[..] else {
        return Err(format!("Invalid window ({s}) in cumulative/conversion metric. Should be of the form `<count> <granularity>`, e.g., `28 days`"));
    };
    // Only a standard grain loses its plural `s` (months → month); a custom grain stays as written.
    let grain = grain.strip_suffix('s').filter(|g| GRANULARITIES.contains(g)).unwrap_or(grain);
    if count.is_empty() || !count.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("Invalid count ({count}) in cumulative/conversion metric window string: ({s})"));
    }
    let count: u64 = count.parse().map_err(|_| format!("Invalid count ({count}) in cumulative/conversion metric window string: ({s})"))?;
    Ok(json!({"count": count, "granularity": grain}))
}

/// A metric input (`measure: x`, `numerator: {name: x, filter: ...}`, an item of `metrics:`) as dbt shows it.
pub fn metric_input(v: &Json, keys: &[&str]) -> Msg<(String, Json)> {
    let empty = Map::new();
    let (name, o) = match v {
        Json::String(s) => (s.clone(), &empty),
        Json::Object(o) => {
            if let Some(k) = o.keys().find(|k| *k != "name" && !keys.contains(&k.as_str())) {
                return Err(format!("unknown key `{k}` (expected name, {})", keys.join(", ")));
            }
            (o.get("name").and_then(Json::as_str).map(String::from).ok_or("an input has no `name`")?, o)
        }
        _ => return Err(format!("expected a name or a mapping, got {v}")),
    };
    let mut entry = Map::from_iter([("name".to_string(), json!(name))]);
    for k in keys {
        let value = match *k {
            "filter" => where_filter(o.get(*k))?,
            "offset_window" => time_window(o.get(*k))?,
            "join_to_timespine" => o.get(*k).filter(|v| !v.is_null()).cloned().unwrap_or(json!(false)),
            _ => o.get(*k).cloned().unwrap_or(Json::Null),
        };
        entry.insert(k.to_string(), value);
    }
    Ok((name, Json::Object(entry)))
}

const CONVERSION: &[&str] = &["base_measure", "conversion_measure", "entity", "calculation", "window", "constant_properties"];
const CALCULATIONS: &[&str] = &["conversion_rate", "conversions"];

/// `conversion_type_params` and the two measures it reads (base, conversion).
pub fn conversion(v: Option<&Json>) -> Msg<(Json, Vec<String>)> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok((Json::Null, vec![])) };
    let o = v.as_object().ok_or("`conversion_type_params` must be a mapping")?;
    if let Some(k) = o.keys().find(|k| !CONVERSION.contains(&k.as_str())) {
        return Err(format!("conversion_type_params: unknown key `{k}` (expected {})", CONVERSION.join(", ")));
    }
    let measure = |k: &str| o.get(k).ok_or(format!("conversion_type_params needs `{k}`")).and_then(|m| metric_input(m, MEASURE_INPUT));
    let (base, base_json) = measure("base_measure")?;
    let (conv, conv_json) = measure("conversion_measure")?;
    let entity = o.get("entity").and_then(Json::as_str).ok_or("conversion_type_params needs `entity`")?;
    let calculation = match o.get("calculation") {
        None | Some(Json::Null) => "conversion_rate".to_string(),
        Some(Json::String(c)) if CALCULATIONS.contains(&c.to_lowercase().as_str()) => c.to_lowercase(),
        Some(other) => return Err(format!("conversion_type_params: `calculation` must be one of {} (got {other})", CALCULATIONS.join(", "))),
    };
    let params = json!({
        "base_measure": base_json, "conversion_measure": conv_json, "entity": entity, "calculation": calculation,
        "window": time_window(o.get("window"))?, "constant_properties": constant_properties(o.get("constant_properties"))?,
    });
    Ok((params, vec![base, conv]))
}

fn constant_properties(v: Option<&Json>) -> Msg<Json> {
    let Some(Json::Array(items)) = v else {
        return match v {
            None | Some(Json::Null) => Ok(Json::Null),
            Some(other) => Err(format!("`constant_properties` must be a list, got {other}")),
        };
    };
    let pair = |p: &Json| -> Msg<Json> {
        let get = |k: &str| p.get(k).and_then(Json::as_str).ok_or(format!("each of `constant_properties` needs `base_property` and `conversion_property`, got {p}"));
        Ok(json!({"base_property": get("base_property")?, "conversion_property": get("conversion_property")?}))
    };
    Ok(Json::Array(items.iter().map(pair).collect::<Msg<_>>()?))
}

const PERIOD_AGGS: &[&str] = &["first", "last", "average"];

/// `cumulative_type_params` of a cumulative metric (always present, with the legacy top-level
/// `window`/`grain_to_date` as fallbacks); null for other metric types.
pub fn cumulative(kind: &str, tp: &Map<String, Json>) -> Msg<Json> {
    if kind != "cumulative" {
        return Ok(Json::Null);
    }
    let own = match tp.get("cumulative_type_params") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(o)) => o.clone(),
        Some(other) => return Err(format!("`cumulative_type_params` must be a mapping, got {other}")),
    };
    if let Some(k) = own.keys().find(|k| !["window", "grain_to_date", "period_agg"].contains(&k.as_str())) {
        return Err(format!("cumulative_type_params: unknown key `{k}` (expected window, grain_to_date, period_agg)"));
    }
    let pick = |k: &str| own.get(k).filter(|v| !v.is_null()).or_else(|| tp.get(k).filter(|v| !v.is_null())).cloned();
    let period_agg = match own.get("period_agg") {
        None | Some(Json::Null) => "first".to_string(),
        Some(Json::String(p)) if PERIOD_AGGS.contains(&p.to_lowercase().as_str()) => p.to_lowercase(),
        Some(other) => return Err(format!("cumulative_type_params: `period_agg` must be one of {} (got {other})", PERIOD_AGGS.join(", "))),
    };
    // `metric` is dbt-core's own field (unset by the parser); the semantic manifest leaves it out.
    Ok(json!({"window": time_window(pick("window").as_ref())?, "grain_to_date": pick("grain_to_date"), "period_agg": period_agg, "metric": null}))
}

/// A measure's `agg_params` with dbt's defaults.
pub fn agg_params(v: Option<&Json>) -> Msg<Json> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Json::Null) };
    let o = v.as_object().ok_or("`agg_params` must be a mapping")?;
    const KEYS: &[&str] = &["percentile", "use_discrete_percentile", "use_approximate_percentile"];
    if let Some(k) = o.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("agg_params: unknown key `{k}` (expected {})", KEYS.join(", ")));
    }
    let flag = |k: &str| o.get(k).cloned().filter(|v| !v.is_null()).unwrap_or(json!(false));
    Ok(json!({"percentile": o.get("percentile").cloned().unwrap_or(Json::Null),
              "use_discrete_percentile": flag("use_discrete_percentile"), "use_approximate_percentile": flag("use_approximate_percentile")}))
}

/// A measure's `non_additive_dimension` with dbt's defaults; `aggs` are the allowed `window_choice`s.
pub fn non_additive_dimension(v: Option<&Json>, aggs: &[&str]) -> Msg<Json> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Json::Null) };
    let o = v.as_object().ok_or("`non_additive_dimension` must be a mapping")?;
    const KEYS: &[&str] = &["name", "window_choice", "window_groupings"];
    if let Some(k) = o.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("non_additive_dimension: unknown key `{k}` (expected {})", KEYS.join(", ")));
    }
    let name = o.get("name").and_then(Json::as_str).ok_or("non_additive_dimension needs a `name`")?;
    let choice = match o.get("window_choice").and_then(Json::as_str) {
        Some(c) if aggs.contains(&c.to_lowercase().as_str()) => c.to_lowercase(),
        other => return Err(format!("non_additive_dimension: `window_choice` must be one of {} (got {other:?})", aggs.join(", "))),
    };
    Ok(json!({"name": name, "window_choice": choice, "window_groupings": o.get("window_groupings").cloned().unwrap_or(json!([]))}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_as_dbt_reads_them() {
        assert_eq!(time_window(Some(&json!("7 days"))).unwrap(), json!({"count": 7, "granularity": "day"}));
        assert_eq!(time_window(Some(&json!("1 Month"))).unwrap(), json!({"count": 1, "granularity": "month"}));
        assert_eq!(time_window(Some(&json!("2 fiscal_quarters"))).unwrap(), json!({"count": 2, "granularity": "fiscal_quarters"}));
        assert!(time_window(Some(&json!("seven days"))).unwrap_err().contains("Invalid count (seven)"));
        assert!(time_window(Some(&json!("7days"))).unwrap_err().contains("Should be of the form `<count> <granularity>`"));
    }

    #[test]
    fn inputs_take_dbt_defaults_and_parse_filters() {
        let (n, v) = metric_input(&json!("revenue"), MEASURE_INPUT).unwrap();
        assert_eq!(n, "revenue");
        assert_eq!(v, json!({"name": "revenue", "filter": null, "alias": null, "join_to_timespine": false, "fill_nulls_with": null}));
        let (_, v) = metric_input(&json!({"name": "m", "filter": "x = 1", "offset_window": "1 week"}), METRIC_INPUT).unwrap();
        assert_eq!(v["filter"], json!({"where_filters": [{"where_sql_template": "x = 1"}]}));
        assert_eq!(v["offset_window"], json!({"count": 1, "granularity": "week"}));
        assert!(metric_input(&json!({"name": "r", "bogus": 1}), METRIC_INPUT).unwrap_err().contains("bogus"));
    }

    #[test]
    fn cumulative_params_default_and_fall_back_to_the_legacy_window() {
        let tp = json!({"window": "3 days"});
        assert_eq!(cumulative("cumulative", tp.as_object().unwrap()).unwrap(), json!({"window": {"count": 3, "granularity": "day"}, "grain_to_date": null, "period_agg": "first", "metric": null}));
        assert_eq!(cumulative("simple", tp.as_object().unwrap()).unwrap(), Json::Null);
    }
}
