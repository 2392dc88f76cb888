//! The raw-table layout of DESIGN.md (what Airbyte's BigQuery destination writes): `_airbyte_raw_id`,
//! `_airbyte_extracted_at`, `_airbyte_meta`, `_airbyte_generation_id`, then one typed column per
//! top-level schema property. Owns: schema → column types (named by the warehouse's dialect and as
//! Arrow types), creating/widening tables, the record id and timestamp helpers. Rows: `rows.rs`.

use std::cell::Cell;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use serde_json::{json, Value as Json};

use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::Result;
use crate::project::RelationName;
use crate::warehouse::append::JSON_FIELD;
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
            let layout = wh.dialect().raw_table_layout();
            wh.execute(&format!("create table if not exists {rel} (\n  {}\n){layout}", cols.join(",\n  ")))?;
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

    /// The Arrow schema of this table's rows, in `column_names` order (JSON columns marked).
    pub fn arrow_schema(&self) -> SchemaRef {
        let meta = [ColumnType::Text, ColumnType::Timestamp, ColumnType::Json, ColumnType::Int];
        let columns = META_COLUMNS.iter().map(|c| c.to_string()).zip(meta).chain(self.properties.iter().cloned());
        let fields: Vec<Field> = columns
            .map(|(name, kind)| {
                let field = Field::new(name, arrow_type(kind), true);
                if kind == ColumnType::Json {
                    field.with_metadata([(JSON_FIELD.to_string(), "true".to_string())].into())
                } else {
                    field
                }
            })
            .collect();
        Arc::new(Schema::new(fields))
    }
}

fn arrow_type(kind: ColumnType) -> DataType {
    match kind {
        ColumnType::Int => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Text | ColumnType::Json => DataType::Utf8,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
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

/// A random (version 4) UUID, written into `out` (no allocation per record). The randomness is a
/// SplitMix64 sequence per thread, seeded from std's per-process random hasher keys: unique per
/// record (a bijection of a counter) without another dependency; not for cryptographic use.
pub fn uuid_v4(out: &mut [u8; 36]) -> &str {
    thread_local!(static STATE: Cell<u64> = Cell::new({
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    }));
    let next = || {
        STATE.with(|s| {
            let z = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            s.set(z);
            let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next().to_be_bytes());
    bytes[8..].copy_from_slice(&next().to_be_bytes());
    bytes[6] = bytes[6] & 0x0F | 0x40; // version 4
    bytes[8] = bytes[8] & 0x3F | 0x80; // variant 10
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut at = 0;
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out[at] = b'-';
            at += 1;
        }
        out[at] = HEX[(byte >> 4) as usize];
        out[at + 1] = HEX[(byte & 0xF) as usize];
        at += 2;
    }
    std::str::from_utf8(out).unwrap_or_default()
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
    fn uuids_are_distinct_v4() {
        let (mut x, mut y) = ([0u8; 36], [0u8; 36]);
        let (a, b) = (uuid_v4(&mut x).to_string(), uuid_v4(&mut y).to_string());
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "4");
        assert_eq!(a.len(), 36);
    }
}
