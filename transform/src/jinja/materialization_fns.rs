//! The context a `{% materialization %}` macro runs in, beyond a model's: `sql`/`compiled_code`,
//! `pre_hooks`/`post_hooks` (dbt's hook dicts), `render`, `run_hooks`, and the primitives transform's
//! own `dbt/materializations.sql` macros build on (`create_table_as`, `make_temp_relation`,
//! `apply_grants`… dispatch to them): each DDL text comes from the node's `Warehouse`, so adapters differ
//! only there. Statements run one at a time on the node's handle (autocommit: `adapter.commit()` is a no-op).

use std::sync::Arc;

use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};
use serde_json::{json, Value as Json};

use super::relation::{to_value, Relation};
use super::render_ctx::RenderCtx;
pub use super::render_ctx::MaterializationInputs;
use super::statement;
use crate::warehouse::{Grants, RelationKind};

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// dbt's hook dicts: `{'sql': …, 'transaction': True, 'index': n}` (transform's hooks run in the transaction).
fn hooks_value(hooks: &[String]) -> Value {
    to_value(hooks.iter().enumerate().map(|(i, sql)| json!({"sql": sql, "transaction": true, "index": i})).collect::<Vec<_>>())
}

/// The materialization-only names (`sql`, `pre_hooks`…), and functions every render has (`render`, `run_hooks`
/// and the `__transform_*` primitives); None for other keys.
pub fn value(ctx: &Arc<RenderCtx>, key: &str) -> Option<Value> {
    let f = |name: &'static str| Some(Value::from_object(MaterializationFn(ctx.clone(), name)));
    match (key, ctx.materialization.as_ref()) {
        ("sql" | "compiled_code", Some(m)) => Some(Value::from_safe_string(m.sql.clone())),
        ("pre_hooks", Some(m)) => Some(hooks_value(&m.pre_hooks)),
        ("post_hooks", Some(m)) => Some(hooks_value(&m.post_hooks)),
        ("render", _) => f("render"),
        ("run_hooks", _) => f("run_hooks"),
        ("__transform_create_table", _) => f("__transform_create_table"),
        ("__transform_create_view", _) => f("__transform_create_view"),
        ("__transform_temp_relation", _) => f("__transform_temp_relation"),
        ("__transform_apply_grants", _) => f("__transform_apply_grants"),
        _ => None,
    }
}

#[derive(Debug)]
struct MaterializationFn(Arc<RenderCtx>, &'static str);

impl Object for MaterializationFn {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let ctx = &self.0;
        match self.1 {
            "render" => {
                let (text,): (String,) = from_args(args)?;
                render(ctx, state, &text).map(Value::from_safe_string)
            }
            "run_hooks" => run_hooks(ctx, state, args),
            "__transform_create_table" => {
                let (temporary, relation, sql): (bool, Value, String) = from_args(args)?;
                let (wh, rel) = (warehouse(ctx)?, relation_of(&relation, "create_table_as")?);
                let config = ctx.effective_config();
                let name = rel.text();
                Ok(Value::from(wh.create_table_as_sql(&name, &sql, &config, temporary)))
            }
            "__transform_create_view" => {
                let (relation, sql): (Value, String) = from_args(args)?;
                let (wh, rel) = (warehouse(ctx)?, relation_of(&relation, "create_view_as")?);
                Ok(Value::from(wh.create_view_as_sql(&rel.text(), &sql, &ctx.effective_config())))
            }
            "__transform_temp_relation" => {
                let (base, suffix): (Value, String) = from_args(args)?;
                let base = relation_of(&base, "make_temp_relation")?;
                let dialect = ctx.shared.dialect;
                let mut r = Relation::new(dialect.temp_relation(&base.name, &suffix, chrono::Utc::now()), dialect, &base.kind);
                r.rendered = None;
                Ok(r.value())
            }
            "__transform_apply_grants" => {
                let (relation, grant_config, should_revoke): (Value, Value, bool) = from_args(args)?;
                let rel = relation_of(&relation, "apply_grants")?;
                let grants = grants_of(&grant_config)?;
                let kind = if rel.kind == "view" { RelationKind::View } else { RelationKind::Table };
                warehouse(ctx)?.apply_grants(&rel.name, kind, &grants, should_revoke).map_err(|e| err(e.to_string()))?;
                Ok(Value::from(""))
            }
            other => Err(err(format!("{other} is not callable"))),
        }
    }
}

/// `render(text)`: `text` rendered in the node's context (dbt's hooks are stored unrendered).
fn render(ctx: &Arc<RenderCtx>, state: &State, text: &str) -> Result<String, Error> {
    state.env().render_str(text, Value::from_dyn_object(ctx.clone()))
}

/// `run_hooks(hooks, inside_transaction=True)`: each hook of that kind rendered and executed.
fn run_hooks(ctx: &Arc<RenderCtx>, state: &State, args: &[Value]) -> Result<Value, Error> {
    let (hooks, inside, kwargs): (Value, Option<bool>, Kwargs) = from_args(args)?;
    let inside = match inside {
        Some(b) => b,
        None => kwargs.get::<Option<bool>>("inside_transaction")?.unwrap_or(true),
    };
    kwargs.assert_all_used()?;
    for hook in hooks.try_iter()? {
        let transaction = hook.get_attr("transaction").map(|t| t.is_true()).unwrap_or(true);
        let sql = hook.get_attr("sql")?;
        if transaction != inside || sql.is_undefined() || sql.is_none() {
            continue;
        }
        let rendered = render(ctx, state, &sql.to_string())?;
        if !rendered.trim().is_empty() && ctx.execute {
            statement::run(ctx, rendered.trim(), false)?;
        }
    }
    Ok(Value::from(""))
}

fn warehouse(ctx: &RenderCtx) -> Result<&Arc<dyn crate::warehouse::Warehouse>, Error> {
    ctx.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))
}

pub fn relation_of<'a>(v: &'a Value, what: &str) -> Result<&'a Relation, Error> {
    v.downcast_object_ref::<Relation>().ok_or_else(|| err(format!("{what}() expected a relation, got {v}")))
}

/// A `grants` config value (privilege -> grantee or grantees) as the warehouse takes it.
fn grants_of(v: &Value) -> Result<Grants, Error> {
    let json: Json = serde_json::to_value(v).map_err(|e| err(format!("apply_grants(): {e}")))?;
    let bad = || err(format!("apply_grants(): grants must map privileges to grantees, got {v}"));
    let Json::Object(map) = json else { return Err(bad()) };
    let mut out = Grants::new();
    for (privilege, who) in map {
        let list: Vec<String> = match who {
            Json::String(s) => vec![s],
            Json::Array(a) => a.into_iter().map(|g| g.as_str().map(String::from).ok_or_else(bad)).collect::<Result<_, _>>()?,
            _ => return Err(bad()),
        };
        if !list.is_empty() {
            out.insert(privilege, list);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_take_a_grantee_or_a_list_and_drop_empty_privileges() {
        let v = to_value(json!({"select": ["alice", "bob"], "insert": "carol", "delete": []}));
        let g = grants_of(&v).unwrap();
        assert_eq!(g.get("select"), Some(&vec!["alice".to_string(), "bob".to_string()]));
        assert_eq!(g.get("insert"), Some(&vec!["carol".to_string()]));
        assert!(!g.contains_key("delete"));
        assert!(grants_of(&to_value(json!(["select"]))).unwrap_err().to_string().contains("must map privileges"));
    }

    #[test]
    fn hooks_are_dbts_dicts_in_the_transaction() {
        let v = hooks_value(&["select 1".to_string(), "select 2".to_string()]);
        let second = v.get_item(&Value::from(1)).unwrap();
        assert_eq!(second.get_attr("sql").unwrap().as_str(), Some("select 2"));
        assert!(second.get_attr("transaction").unwrap().is_true());
        assert_eq!(second.get_attr("index").unwrap().as_i64(), Some(1));
    }
}
