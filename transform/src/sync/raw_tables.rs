//! The raw-table layout of DESIGN.md (what Airbyte's BigQuery destination writes): `_airbyte_raw_id`,
//! `_airbyte_extracted_at`, `_airbyte_meta`, `_airbyte_generation_id`, then one typed column per
//! top-level schema property. Owns: schema → column types (named by the warehouse's dialect), creating/widening tables, and turning a
//! record into a row (a value that does not fit its column is nulled and noted in `_airbyte_meta`).

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value as Json};

use crate::error::Result;
use crate::project::RelationName;
use crate::warehouse::append::Cell;
use crate::warehouse::dialect::{ColumnType, Dialect};
use crate::warehouse::{Warehouse, WarehouseColumn};

pub const META_COLUMNS: [&str; 4] = ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id"];

/// The column type of one JSON Schema property (`type` may be a list with "null").
pub fn kind_of(prop: &Json) -> ColumnType {
    let types: Vec<&str> = match prop.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).filter(|t| *t != "null").collect(),
        _ => vec![],
    };
    match types.as_slice() {
        ["integer"] => ColumnType::Int,
        ["number"] | ["integer", "number"] | ["number", "integer"] => ColumnType::Float,
        ["boolean"] => ColumnType::Bool,
        ["string"] if prop.get("format").and_then(Json::as_str) == Some("date-time") => ColumnType::Timestamp,
        ["string"] => ColumnType::Text,
        _ => ColumnType::Json,
    }
}

/// One raw table being written: its relation, data columns (in schema order) and generation.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub rel: RelationName,
    pub properties: Vec<(String, ColumnType)>,
    pub generation: i64,
    /// Full refresh: each sync writes a new generation; older ones are deleted once it succeeds.
    pub overwrite: bool,
}

impl RawTable {
    pub fn new(rel: RelationName, schema: &Json) -> RawTable {
        let props = schema.get("properties").and_then(Json::as_object).cloned().unwrap_or_default();
        let properties = props.iter().map(|(name, p)| (name.clone(), kind_of(p))).collect();
        RawTable { rel, properties, generation: 0, overwrite: false }
    }

    /// All column names, meta columns first, in the order rows are built.
    pub fn column_names(&self) -> Vec<String> {
        META_COLUMNS.iter().map(|c| c.to_string()).chain(self.properties.iter().map(|(n, _)| n.clone())).collect()
    }

    fn all_columns(&self, dialect: &dyn Dialect) -> Vec<WarehouseColumn> {
        let meta = [ColumnType::Text, ColumnType::Timestamp, ColumnType::Json, ColumnType::Int];
        META_COLUMNS
            .iter()
            .zip(meta)
            .map(|(n, k)| (n.to_string(), k))
            .chain(self.properties.iter().cloned())
            .map(|(name, k)| WarehouseColumn { name, data_type: dialect.type_name(k).to_string() })
            .collect()
    }

    /// Creates the table, or adds the columns new schema properties need (never drops or retypes).
    pub fn ensure(&self, wh: &dyn Warehouse) -> Result<()> {
        let rel = wh.render_relation(&self.rel);
        let wanted = self.all_columns(wh.dialect());
        if wh.relation_kind(&self.rel)?.is_none() {
            let cols: Vec<String> = wanted.iter().map(|c| format!("{} {}", wh.quote(&c.name), c.data_type)).collect();
            wh.execute(&format!("create table if not exists {rel} (\n  {}\n)", cols.join(",\n  ")))?;
            return Ok(());
        }
        let have: HashSet<String> = wh.columns(&self.rel)?.into_iter().map(|c| c.name.to_lowercase()).collect();
        for col in wanted.iter().filter(|c| !have.contains(&c.name.to_lowercase())) {
            wh.execute(&wh.add_column_sql(&rel, col))?;
        }
        Ok(())
    }

    /// The `_airbyte_meta` of a record without changes (built once per sync).
    pub fn clean_meta(sync_id: i64) -> String {
        json!({"sync_id": sync_id, "changes": []}).to_string()
    }

    /// The row for one record's `data` fields (consumed: text moves into the row); `emitted_at_ms`
    /// is the record's milliseconds since the epoch. Fields outside the schema are dropped.
    pub fn row(&self, fields: Vec<(String, Json)>, emitted_at_ms: i64, sync_id: i64, clean_meta: &str) -> Vec<Cell> {
        let mut changes = vec![];
        let mut cells = vec![Cell::Null; self.properties.len() + 4];
        cells[0] = Cell::Text(uuid_v4());
        cells[1] = Cell::Timestamp(emitted_at_ms.saturating_mul(1000));
        cells[3] = Cell::Int(self.generation);
        let mut next = 0;
        for (name, v) in fields {
            // Sources usually emit fields in schema order: try the next column before searching.
            let idx = match self.properties.get(next) {
                Some((n, _)) if *n == name => next,
                _ => match self.properties.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => continue,
                },
            };
            next = idx + 1;
            let was_null = v.is_null();
            let cell = to_cell(v, self.properties[idx].1);
            if cell == Cell::Null && !was_null {
                changes.push(json!({"field": name, "change": "NULLED", "reason": "DESTINATION_SERIALIZATION_ERROR"}));
            }
            cells[idx + 4] = cell;
        }
        cells[2] = if changes.is_empty() {
            Cell::Json(clean_meta.to_string())
        } else {
            Cell::Json(json!({"sync_id": sync_id, "changes": changes}).to_string())
        };
        cells
    }
}

/// Converts a JSON value to its column's cell; a value that does not fit becomes NULL.
pub fn to_cell(v: Json, kind: ColumnType) -> Cell {
    match (kind, &v) {
        (_, Json::Null) => Cell::Null,
        (ColumnType::Int, Json::Number(n)) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18).map(|f| f as i64)).map_or(Cell::Null, Cell::Int),
        (ColumnType::Int, Json::String(s)) => s.trim().parse().map_or(Cell::Null, Cell::Int),
        (ColumnType::Float, Json::Number(n)) => n.as_f64().map_or(Cell::Null, Cell::Float),
        (ColumnType::Float, Json::String(s)) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map_or(Cell::Null, Cell::Float),
        (ColumnType::Bool, Json::Bool(b)) => Cell::Bool(*b),
        (ColumnType::Timestamp, Json::String(s)) => parse_timestamp(s).map_or(Cell::Null, Cell::Timestamp),
        (ColumnType::Text, Json::String(_)) => match v {
            Json::String(s) => Cell::Text(s),
            _ => Cell::Null,
        },
        (ColumnType::Text, Json::Number(_) | Json::Bool(_)) => Cell::Text(v.to_string()),
        (ColumnType::Json, _) => Cell::Json(v.to_string()),
        _ => Cell::Null,
    }
}

/// RFC 3339 (any offset, converted to UTC), or a naive date-time / date read as UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}

/// A random (version 4) UUID. The randomness is std's per-process random hasher keys mixed with a
/// counter: unique per record without another dependency; not for cryptographic use.
pub fn uuid_v4() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    thread_local!(static KEYS: std::collections::hash_map::RandomState = std::collections::hash_map::RandomState::new());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let (a, b) = KEYS.with(|k| {
        let mut h1 = k.build_hasher();
        h1.write_u64(n);
        let mut h2 = k.build_hasher();
        h2.write_u64(!n);
        h2.write_u32(std::process::id());
        (h1.finish(), h2.finish())
    });
    let x = ((a as u128) << 64 | b as u128) & !(0xF000u128 << 64) | (0x4000u128 << 64);
    let x = x & !(0xC000u128 << 48) | (0x8000u128 << 48);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            s.push('-');
        }
        s.push(HEX[((x >> (124 - 4 * i)) & 0xF) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_design_table() {
        assert_eq!(kind_of(&json!({"type": ["null", "integer"]})), ColumnType::Int);
        assert_eq!(kind_of(&json!({"type": "number"})), ColumnType::Float);
        assert_eq!(kind_of(&json!({"type": "string", "format": "date-time"})), ColumnType::Timestamp);
        assert_eq!(kind_of(&json!({"type": ["null", "array"]})), ColumnType::Json);
        assert_eq!(kind_of(&json!({"type": "string"})), ColumnType::Text);
    }

    #[test]
    fn misfit_values_are_nulled_and_noted() {
        let t = RawTable::new(RelationName { database: "d".into(), schema: "raw".into(), identifier: "s".into() },
            &json!({"properties": {"n": {"type": "integer"}, "t": {"type": "string", "format": "date-time"}}}));
        let fields = vec![("t".to_string(), json!("2026-01-02T03:04:05+01:00")), ("n".to_string(), json!("x")), ("zz".to_string(), json!(1))];
        let row = t.row(fields, 1_000, 7, &RawTable::clean_meta(7));
        assert_eq!(row[4], Cell::Null);
        assert_eq!(row[5], Cell::Timestamp(parse_timestamp("2026-01-02T02:04:05Z").unwrap()));
        let Cell::Json(meta) = &row[2] else { panic!("meta is JSON") };
        assert!(meta.contains("\"field\":\"n\""), "{meta}");
    }

    #[test]
    fn uuids_are_distinct_v4() {
        let (a, b) = (uuid_v4(), uuid_v4());
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "4");
        assert_eq!(a.len(), 36);
    }
}
