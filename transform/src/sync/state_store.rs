//! Where `transform sync` keeps the source's state: a `_sync_state` table in the raw schema, one row
//! per state key (a stream name, or `__global` / `__legacy`), holding the last STATE message whose
//! records are committed. Saves are SQL statements the caller runs in the batch's own transaction;
//! literals and the JSON ↔ text conversions are the warehouse dialect's (BigQuery has no JSON casts).

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::project::RelationName;
use crate::warehouse::dialect::ColumnType;
use crate::warehouse::Warehouse;

pub const TABLE: &str = "_sync_state";

pub struct StateStore {
    rel: RelationName,
    rendered: String,
}

/// The key a STATE message is saved under: its stream name, or its kind for GLOBAL/LEGACY states.
pub fn state_key(state: &Json) -> String {
    let stream = state.pointer("/stream/stream_descriptor");
    match (state.get("type").and_then(Json::as_str), stream) {
        (Some("STREAM") | None, Some(d)) => {
            let name = d.get("name").and_then(Json::as_str).unwrap_or_default();
            match d.get("namespace").and_then(Json::as_str) {
                Some(ns) => format!("{ns}.{name}"),
                None => name.to_string(),
            }
        }
        (Some("GLOBAL"), _) => "__global".into(),
        _ => "__legacy".into(),
    }
}

impl StateStore {
    pub fn open(wh: &dyn Warehouse, database: &str, schema: &str) -> Result<StateStore> {
        let rel = RelationName { database: database.into(), schema: schema.into(), identifier: TABLE.into() };
        let rendered = wh.render_relation(&rel);
        let (text, ts) = (wh.dialect().type_name(ColumnType::Text), wh.dialect().type_name(ColumnType::Timestamp));
        wh.execute(&format!(
            "create table if not exists {rendered} (state_key {text}, state JSON, updated_at {ts})"
        ))?;
        Ok(StateStore { rel, rendered })
    }

    /// Every saved STATE message (the `state` object of the Airbyte message), for `read --state`.
    pub fn load(&self, wh: &dyn Warehouse) -> Result<Vec<Json>> {
        let text = wh.dialect().json_text("state");
        let rows = wh.query(&format!("select state_key, {text} from {} order by state_key", self.rendered), 1_000_000)?;
        rows.rows
            .iter()
            .map(|r| {
                let text = r.get(1).and_then(Json::as_str).unwrap_or("null");
                serde_json::from_str(text).map_err(|e| {
                    Error::Warehouse(format!("{}: state of `{}` is not JSON: {e}", self.rel.identifier, r[0]))
                })
            })
            .collect()
    }

    /// The statements that replace the saved state of `key` (run inside the batch transaction).
    pub fn save_sql(&self, wh: &dyn Warehouse, key: &str, state: &Json) -> String {
        let (t, d) = (&self.rendered, wh.dialect());
        format!(
            "delete from {t} where state_key = {k};\ninsert into {t} (state_key, state, updated_at) values ({k}, {s}, current_timestamp)",
            k = d.string_literal(key),
            s = d.json_literal(&state.to_string())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_name_the_stream_or_the_kind() {
        assert_eq!(state_key(&json!({"type": "STREAM", "stream": {"stream_descriptor": {"name": "a"}}})), "a");
        assert_eq!(state_key(&json!({"type": "GLOBAL", "global": {}})), "__global");
        assert_eq!(state_key(&json!({"data": {}})), "__legacy");
    }
}
