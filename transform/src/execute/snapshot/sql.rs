//! The SQL of dbt's snapshot materialization, for one snapshot `Spec` in one dialect: the first
//! build (`initial`: the query plus the SCD2 columns) and the staging query of later runs (`staging`:
//! rows to insert as new versions, versions to close, hard deletes). Same columns and semantics as
//! dbt's `build_snapshot_table` and `snapshot_staging_table`, so tables and `dbt_scd_id`s match dbt's.

use crate::project::snapshots::{HardDeletes, Spec, Strategy};
use crate::warehouse::dialect::Dialect;

pub struct SnapshotSql<'a> {
    pub spec: &'a Spec,
    pub dialect: &'a dyn Dialect,
}

/// What the staging query needs to know about the existing table and the query.
pub struct Existing<'a> {
    /// The snapshot table, rendered.
    pub target: &'a str,
    /// `check` strategy: the quoted columns compared; `column_added`: a checked column is new.
    pub check_cols: &'a [String],
    pub column_added: bool,
    /// `hard_deletes: new_record`: the query's columns, each with whether the table has it.
    pub source_cols: &'a [(String, bool)],
}

impl SnapshotSql<'_> {
    /// `updated_at` as the strategy computes it (the check strategy: the clock unless configured).
    fn updated_at(&self) -> String {
        match &self.spec.strategy {
            Strategy::Timestamp { updated_at } => updated_at.clone(),
            Strategy::Check { updated_at, .. } => updated_at.clone().unwrap_or_else(|| self.dialect.snapshot_time().to_string()),
        }
    }

    fn scd_id(&self) -> String {
        let mut args = self.spec.unique_key.clone();
        args.push(self.updated_at());
        self.dialect.snapshot_hash(&args)
    }

    /// `dbt_valid_to` of a new version: NULL (or `dbt_valid_to_current`) typed like `updated_at`.
    fn open_valid_to(&self) -> String {
        let u = self.updated_at();
        let current = self.spec.valid_to_current.as_deref().unwrap_or("null");
        format!("coalesce(nullif({u}, {u}), {current}) as {}", self.spec.columns.valid_to)
    }

    fn key_names(&self) -> Vec<String> {
        match self.spec.key_is_list {
            true => (1..=self.spec.unique_key.len()).map(|i| format!("dbt_unique_key_{i}")).collect(),
            false => vec!["dbt_unique_key".to_string()],
        }
    }

    fn key_fields(&self) -> String {
        self.spec.unique_key.iter().zip(self.key_names()).map(|(k, n)| format!("{k} as {n}")).collect::<Vec<_>>().join(", ")
    }

    fn key_join(&self, a: &str, b: &str) -> String {
        self.key_names().iter().map(|n| format!("({a}.{n} = {b}.{n})")).collect::<Vec<_>>().join(" and ")
    }

    fn key_null(&self, t: &str, null: bool) -> String {
        format!("{t}.{} is {}null", self.key_names()[0], if null { "" } else { "not " })
    }

    /// The condition under which a current version counts as current (`dbt_valid_to` open).
    fn is_current(&self, col: &str) -> String {
        match &self.spec.valid_to_current {
            Some(v) => format!("({col} = {v} or {col} is null)"),
            None => format!("{col} is null"),
        }
    }

    /// The first build: every row of the query is the current version.
    pub fn initial(&self, sql: &str) -> String {
        let c = &self.spec.columns;
        let u = self.updated_at();
        let deleted = match self.spec.hard_deletes {
            HardDeletes::NewRecord => format!(",\n    'False' as {}", c.is_deleted),
            _ => String::new(),
        };
        format!(
            "select *,\n    {} as {},\n    {u} as {},\n    {u} as {},\n    {}{deleted}\nfrom (\n{sql}\n) sbq",
            self.scd_id(),
            c.scd_id,
            c.updated_at,
            c.valid_from,
            self.open_valid_to()
        )
    }

    fn row_changed(&self, e: &Existing) -> String {
        let c = &self.spec.columns;
        let changed = match &self.spec.strategy {
            Strategy::Timestamp { updated_at } => format!("(snapshotted_data.{} < source_data.{updated_at})", c.valid_from),
            Strategy::Check { .. } if e.column_added => "(TRUE)".into(),
            Strategy::Check { .. } => {
                let each: Vec<String> = e
                    .check_cols
                    .iter()
                    .map(|col| {
                        let (s, n) = (format!("snapshotted_data.{col}"), format!("source_data.{col}"));
                        format!("{s} != {n}\n        or\n        ((({s} is null) and not ({n} is null))\n        or\n        ((not {s} is null) and ({n} is null)))")
                    })
                    .collect();
                format!("({})", each.join(" or "))
            }
        };
        match self.spec.hard_deletes {
            HardDeletes::NewRecord => format!("{changed} or snapshotted_data.{} = 'True'", c.is_deleted),
            _ => changed,
        }
    }

    /// Later runs: the rows to apply, each with `dbt_change_type` `insert`, `update` or `delete`.
    pub fn staging(&self, sql: &str, e: &Existing) -> String {
        let c = &self.spec.columns;
        let (u, keys, now) = (self.updated_at(), self.key_fields(), self.dialect.snapshot_time());
        let hard = self.spec.hard_deletes;
        let new_record = hard == HardDeletes::NewRecord;
        let changed = self.row_changed(e);
        let join = self.key_join("snapshotted_data", "source_data");
        let mut ctes = vec![
            format!("snapshot_query as (\n{sql}\n)"),
            format!("snapshotted_data as (\n    select *, {keys}\n    from {}\n    where {}\n)", e.target, self.is_current(&c.valid_to)),
            format!(
                "insertions_source_data as (\n    select *, {keys},\n        {u} as {},\n        {u} as {},\n        {},\n        {} as {}\n    from snapshot_query\n)",
                c.updated_at, c.valid_from, self.open_valid_to(), self.scd_id(), c.scd_id
            ),
            format!(
                "updates_source_data as (\n    select *, {keys},\n        {u} as {},\n        {u} as {},\n        {u} as {}\n    from snapshot_query\n)",
                c.updated_at, c.valid_from, c.valid_to
            ),
        ];
        if hard != HardDeletes::Ignore {
            ctes.push(format!("deletes_source_data as (\n    select *, {keys}\n    from snapshot_query\n)"));
        }
        let deleted_flag = |v: &str| if new_record { format!(", {v}") } else { String::new() };
        ctes.push(format!(
            "insertions as (\n    select 'insert' as dbt_change_type, source_data.*{}\n    from insertions_source_data as source_data\n    \
             left outer join snapshotted_data on {join}\n    where {}\n    or ({} and ({changed}))\n)",
            deleted_flag(&format!("'False' as {}", c.is_deleted)),
            self.key_null("snapshotted_data", true),
            self.key_null("snapshotted_data", false),
        ));
        ctes.push(format!(
            "updates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.{}{}\n    from updates_source_data as source_data\n    \
             join snapshotted_data on {join}\n    where ({changed})\n)",
            c.scd_id,
            deleted_flag(&format!("snapshotted_data.{}", c.is_deleted)),
        ));
        if hard != HardDeletes::Ignore {
            ctes.push(self.deletes(now, &join, &deleted_flag(&format!("snapshotted_data.{}", c.is_deleted))));
        }
        if new_record {
            ctes.push(self.deletion_records(now, &join, e));
        }
        let mut parts = vec!["select * from insertions", "select * from updates"];
        if hard != HardDeletes::Ignore {
            parts.push("select * from deletes");
        }
        if new_record {
            parts.push("select * from deletion_records");
        }
        format!("with {}\n{}", ctes.join(",\n"), parts.join("\nunion all\n"))
    }

    /// A row gone from the query whose current version is still open (not already marked deleted).
    fn gone(&self, join: &str) -> String {
        let c = &self.spec.columns;
        let mut cond = format!("from snapshotted_data\n    left join deletes_source_data as source_data on {join}\n    where {}", self.key_null("source_data", true));
        if self.spec.hard_deletes == HardDeletes::NewRecord {
            cond.push_str(&format!(
                "\n    and not (snapshotted_data.{} = 'True' and {})",
                c.is_deleted,
                self.is_current(&format!("snapshotted_data.{}", c.valid_to))
            ));
        }
        cond
    }

    fn deletes(&self, now: &str, join: &str, deleted_flag: &str) -> String {
        let c = &self.spec.columns;
        format!(
            "deletes as (\n    select 'delete' as dbt_change_type, source_data.*,\n        {now} as {},\n        {now} as {},\n        {now} as {},\n        \
             snapshotted_data.{}{deleted_flag}\n    {}\n)",
            c.valid_from,
            c.updated_at,
            c.valid_to,
            c.scd_id,
            self.gone(join)
        )
    }

    /// `hard_deletes: new_record`: a new current version marking the deleted row.
    fn deletion_records(&self, now: &str, join: &str, e: &Existing) -> String {
        let c = &self.spec.columns;
        let cols: Vec<String> = e
            .source_cols
            .iter()
            .map(|(col, in_table)| format!("{}.{col}", if *in_table { "snapshotted_data" } else { "source_data" }))
            .chain(self.key_names().iter().map(|k| format!("snapshotted_data.{k} as {k}")))
            .collect();
        let new_id = self.dialect.snapshot_hash(&[format!("snapshotted_data.{}", c.scd_id), now.to_string()]);
        format!(
            "deletion_records as (\n    select 'insert' as dbt_change_type,\n        {},\n        {now} as {},\n        {now} as {},\n        \
             snapshotted_data.{vt} as {vt},\n        {new_id} as {},\n        'True' as {}\n    {}\n)",
            cols.join(",\n        "),
            c.valid_from,
            c.updated_at,
            c.scd_id,
            c.is_deleted,
            self.gone(join),
            vt = c.valid_to,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::snapshots::Spec;
    use crate::project::Config;
    use crate::warehouse::dialect::Standard;

    fn spec(v: serde_json::Value) -> Spec {
        Spec::from_config(&Config(v.as_object().cloned().unwrap_or_default()), "f").unwrap()
    }

    #[test]
    fn initial_build_adds_the_scd2_columns() {
        let s = spec(serde_json::json!({"strategy": "timestamp", "unique_key": "id", "updated_at": "updated_at"}));
        let sql = SnapshotSql { spec: &s, dialect: &Standard }.initial("select 1 as id");
        assert!(sql.contains("md5(coalesce(cast(id as varchar ), '') || '|' || coalesce(cast(updated_at as varchar ), '')) as dbt_scd_id"), "{sql}");
        assert!(sql.contains("coalesce(nullif(updated_at, updated_at), null) as dbt_valid_to"), "{sql}");
    }

    #[test]
    fn staging_unions_the_change_types_the_config_asks_for() {
        let s = spec(serde_json::json!({"strategy": "check", "unique_key": ["id", "kind"], "check_cols": ["name"], "hard_deletes": "new_record"}));
        let cols = vec!["\"name\"".to_string()];
        let src = vec![("id".to_string(), true), ("extra".to_string(), false)];
        let e = Existing { target: "t", check_cols: &cols, column_added: false, source_cols: &src };
        let sql = SnapshotSql { spec: &s, dialect: &Standard }.staging("select 1", &e);
        for part in ["from deletes", "from deletion_records", "dbt_unique_key_2", "source_data.extra", "snapshotted_data.id,", "'True' as dbt_is_deleted"] {
            assert!(sql.contains(part), "{part} missing:\n{sql}");
        }
        let s = spec(serde_json::json!({"strategy": "timestamp", "unique_key": "id", "updated_at": "u"}));
        let sql = SnapshotSql { spec: &s, dialect: &Standard }.staging("select 1", &Existing { target: "t", check_cols: &[], column_added: false, source_cols: &[] });
        assert!(!sql.contains("deletes") && sql.contains("(snapshotted_data.dbt_valid_from < source_data.u)"), "{sql}");
    }
}
