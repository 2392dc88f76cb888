//! dbt-bigquery's grants: `grant `role` on table `p`.`d`.`t` to "user:a@x", ...`, the current grants
//! read from the region's `INFORMATION_SCHEMA.OBJECT_PRIVILEGES`, and dbt's diff (what to revoke,
//! what to grant; privileges and grantees compared case-insensitively).

use std::collections::BTreeMap;

use crate::warehouse::RelationKind;

pub type Grants = BTreeMap<String, Vec<String>>;

fn kind_word(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Table => "table",
        RelationKind::View => "view",
    }
}

fn grantees(list: &[String]) -> String {
    format!("\"{}\"", list.join("\", \""))
}

/// `bigquery__get_show_grant_sql`.
pub fn show_sql(project: &str, location: &str, dataset: &str, identifier: &str) -> String {
    format!(
        "select privilege_type, grantee\nfrom `{project}`.`region-{location}`.INFORMATION_SCHEMA.OBJECT_PRIVILEGES\n\
         where object_schema = \"{dataset}\"\n  and object_name = \"{identifier}\"\n  -- filter out current user\n  \
         and split(grantee, ':')[offset(1)] != session_user()"
    )
}

/// `bigquery__get_grant_sql` / `bigquery__get_revoke_sql`, one statement per privilege.
pub fn dcl(rel: &str, kind: RelationKind, grant: &Grants, revoke: &Grants) -> Vec<String> {
    let k = kind_word(kind);
    let revokes = revoke.iter().filter(|(_, g)| !g.is_empty()).map(|(p, g)| format!("revoke `{p}` on {k} {rel} from {}", grantees(g)));
    let grants = grant.iter().filter(|(_, g)| !g.is_empty()).map(|(p, g)| format!("grant `{p}` on {k} {rel} to {}", grantees(g)));
    revokes.chain(grants).collect()
}

/// dbt's `diff_of_two_dicts(a, b)`: per privilege of `a`, the grantees `b` lacks.
pub fn diff(a: &Grants, b: &Grants) -> Grants {
    let lower: BTreeMap<String, Vec<String>> = b.iter().map(|(k, v)| (k.to_lowercase(), v.iter().map(|x| x.to_lowercase()).collect())).collect();
    let mut out = Grants::new();
    for (k, v) in a {
        let missing: Vec<String> = match lower.get(&k.to_lowercase()) {
            Some(have) => v.iter().filter(|x| !have.contains(&x.to_lowercase())).cloned().collect(),
            None => v.clone(),
        };
        if !missing.is_empty() {
            out.insert(k.clone(), missing);
        }
    }
    out
}

/// `standardize_grants_dict` of `(privilege_type, grantee)` rows.
pub fn standardize(rows: impl IntoIterator<Item = (String, String)>) -> Grants {
    let mut out = Grants::new();
    for (privilege, grantee) in rows {
        out.entry(privilege).or_default().push(grantee);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(pairs: &[(&str, &[&str])]) -> Grants {
        pairs.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn statements_are_dbt_bigquerys() {
        let want = g(&[("roles/bigquery.dataViewer", &["user:a@x.com", "group:g@x.com"])]);
        let have = g(&[("roles/bigquery.dataViewer", &["USER:a@x.com"]), ("roles/bigquery.dataEditor", &["user:old@x.com"])]);
        let sql = dcl("`p`.`d`.`t`", RelationKind::Table, &diff(&want, &have), &diff(&have, &want));
        assert_eq!(
            sql,
            [
                "revoke `roles/bigquery.dataEditor` on table `p`.`d`.`t` from \"user:old@x.com\"",
                "grant `roles/bigquery.dataViewer` on table `p`.`d`.`t` to \"group:g@x.com\"",
            ]
        );
        assert!(show_sql("p", "EU", "d", "t").contains("from `p`.`region-EU`.INFORMATION_SCHEMA.OBJECT_PRIVILEGES"));
        assert!(dcl("`p`.`d`.`v`", RelationKind::View, &want, &Grants::new())[0].starts_with("grant `roles/bigquery.dataViewer` on view `p`.`d`.`v` to \"user:a@x.com\", \"group:g@x.com\""));
    }
}
