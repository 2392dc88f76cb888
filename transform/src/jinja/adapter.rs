//! The `adapter` and `api` context objects: `adapter.dispatch`, `quote`, `type`, `get_relation`,
//! `load_relation`, `get_columns_in_relation`, `drop_relation`, `rename_relation`, `execute`, `commit`; `api.Relation.create`,
//! `api.Relation.add_ephemeral_prefix`, `api.Column.translate_type`/`numeric_type`/`string_type`.
//! Metadata questions go to the node's warehouse handle; names and types to the target's dialect.

use std::sync::Arc;

use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

use super::render_ctx::RenderCtx;
use super::relation::{Column, Relation, EPHEMERAL_PREFIX};
use super::statement;
use crate::project::RelationName;
use crate::warehouse::RelationKind;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

#[derive(Debug)]
pub struct Adapter(pub Arc<RenderCtx>);

impl Object for Adapter {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let ctx = &self.0;
        let dialect = ctx.shared.dialect;
        match method {
            "dispatch" => {
                let (name, ns, kwargs): (String, Option<String>, Kwargs) = from_args(args)?;
                let ns = ns.or(kwargs.get::<Option<String>>("macro_namespace")?);
                if kwargs.get::<Option<Value>>("packages")?.is_some() {
                    return Err(err(format!("The \"packages\" argument of adapter.dispatch() has been deprecated. Use the \"macro_namespace\" argument instead (dispatch of `{name}`).")));
                }
                kwargs.assert_all_used()?;
                let m = ctx.shared.macros.dispatch(&ctx.package, &name, ns.as_deref()).map_err(err)?;
                Ok(Value::from_object(m.clone()))
            }
            "quote" => {
                let (s,): (String,) = from_args(args)?;
                Ok(Value::from(dialect.quote(&s)))
            }
            "type" => Ok(Value::from(ctx.shared.adapter_type.clone())),
            "get_relation" => {
                let (database, schema, identifier, kwargs): (Option<String>, Option<String>, Option<String>, Kwargs) = from_args(args)?;
                let part = |v: Option<String>, k: &str| v.map_or_else(|| kwargs.get::<String>(k), Ok);
                let name = RelationName { database: part(database, "database")?, schema: part(schema, "schema")?, identifier: part(identifier, "identifier")? };
                kwargs.assert_all_used()?;
                lookup(ctx, name)
            }
            "drop_relation" => {
                let (rel,): (Value,) = from_args(args)?;
                drop_relation(ctx, &rel)
            }
            "rename_relation" => {
                let (from, to): (Value, Value) = from_args(args)?;
                rename_relation(ctx, &from, &to)
            }
            "load_relation" => {
                let (rel,): (Value,) = from_args(args)?;
                load_relation(ctx, &rel)
            }
            "get_columns_in_relation" => {
                let (rel,): (Value,) = from_args(args)?;
                columns(ctx, &rel)
            }
            "execute" => statement::adapter_execute(ctx, args),
            "commit" => Ok(Value::from("")),
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("adapter has no method `{method}` in transform"))),
        }
    }
}

/// The relation if it exists (with its kind), else none; nothing is looked up while parsing.
fn lookup(ctx: &RenderCtx, name: RelationName) -> Result<Value, Error> {
    if !ctx.execute {
        return Ok(Value::from(()));
    }
    let wh = ctx.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))?;
    match wh.relation_kind(&name).map_err(|e| err(e.to_string()))? {
        Some(k) => Ok(Relation::new(name, ctx.shared.dialect, if k == RelationKind::View { "view" } else { "table" }).value()),
        None => Ok(Value::from(())),
    }
}

/// `load_relation(relation)`: the same relation from the warehouse, or none when it does not exist.
pub fn load_relation(ctx: &RenderCtx, rel: &Value) -> Result<Value, Error> {
    let r = rel.downcast_object_ref::<Relation>().ok_or_else(|| err(format!("load_relation() expected a relation, got {rel}")))?;
    if r.kind == "cte" {
        return Ok(rel.clone());
    }
    lookup(ctx, r.name.clone())
}

/// The kind of `r`: its own when known, else the warehouse's answer (None: it does not exist).
fn kind_of(ctx: &RenderCtx, r: &Relation) -> Result<Option<RelationKind>, Error> {
    match r.kind.as_str() {
        "view" => Ok(Some(RelationKind::View)),
        "table" => Ok(Some(RelationKind::Table)),
        _ => warehouse(ctx)?.relation_kind(&r.name).map_err(|e| err(e.to_string())),
    }
}

fn warehouse(ctx: &RenderCtx) -> Result<&std::sync::Arc<dyn crate::warehouse::Warehouse>, Error> {
    ctx.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))
}

/// `adapter.drop_relation(relation)`: `drop <type> if exists`, on the node's handle.
fn drop_relation(ctx: &RenderCtx, rel: &Value) -> Result<Value, Error> {
    let r = rel.downcast_object_ref::<Relation>().ok_or_else(|| err(format!("adapter.drop_relation() expected a relation, got {rel}")))?;
    if ctx.execute {
        if let Some(kind) = kind_of(ctx, r)? {
            let wh = warehouse(ctx)?;
            statement::run(ctx, &wh.drop_sql(&r.text(), kind), false)?;
        }
    }
    Ok(Value::from(""))
}

/// `adapter.rename_relation(from, to)`: `from` takes `to`'s identifier (in its own schema, as in dbt).
fn rename_relation(ctx: &RenderCtx, from: &Value, to: &Value) -> Result<Value, Error> {
    let rel = |v: &Value| v.downcast_object_ref::<Relation>().cloned().ok_or_else(|| err(format!("adapter.rename_relation() expected relations, got {v}")));
    let (from, to) = (rel(from)?, rel(to)?);
    if ctx.execute {
        let kind = kind_of(ctx, &from)?.ok_or_else(|| err(format!("adapter.rename_relation(): {} does not exist", from.text())))?;
        let wh = warehouse(ctx)?;
        statement::run(ctx, &wh.rename_sql(&from.text(), kind, &to.name.identifier), false)?;
    }
    Ok(Value::from(""))
}

fn columns(ctx: &RenderCtx, rel: &Value) -> Result<Value, Error> {
    let r = rel.downcast_object_ref::<Relation>().ok_or_else(|| err(format!("get_columns_in_relation() expected a relation, got {rel}")))?;
    if !ctx.execute {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    let wh = ctx.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))?;
    let cols = wh.columns(&r.name).map_err(|e| err(e.to_string()))?;
    Ok(Value::from_iter(cols.iter().map(|c| Column::value(c, ctx.shared.dialect))))
}

/// `api`: `api.Relation` and `api.Column`.
#[derive(Debug)]
pub struct Api(pub Arc<RenderCtx>, pub &'static str);

impl Object for Api {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match (self.1, key.as_str()?) {
            ("api", part @ ("Relation" | "Column")) => Some(Value::from_object(Api(self.0.clone(), if part == "Relation" { "Relation" } else { "Column" }))),
            _ => None,
        }
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let dialect = self.0.shared.dialect;
        match (self.1, method) {
            ("Relation", "create") => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                let part = |k: &str| kwargs.get::<Option<String>>(k).map(Option::unwrap_or_default);
                let name = RelationName { database: part("database")?, schema: part("schema")?, identifier: part("identifier")? };
                let kind = kwargs.get::<Option<String>>("type")?.unwrap_or_default();
                let _quote: Option<Value> = kwargs.get("quote_policy")?;
                kwargs.assert_all_used()?;
                Ok(Relation::new(name, dialect, &kind.to_ascii_lowercase()).value())
            }
            ("Relation", "add_ephemeral_prefix") => {
                let (name,): (String,) = from_args(args)?;
                Ok(Value::from(format!("{EPHEMERAL_PREFIX}{name}")))
            }
            ("Column", "translate_type") => {
                let (label,): (String,) = from_args(args)?;
                Ok(Value::from(dialect.translate_type(&label)))
            }
            ("Column", "numeric_type") => {
                let (dtype, precision, scale): (String, Option<i64>, Option<i64>) = from_args(args)?;
                Ok(Value::from(dialect.numeric_type(&dtype, precision, scale)))
            }
            ("Column", "string_type") => {
                let (size,): (i64,) = from_args(args)?;
                Ok(Value::from(dialect.string_type(size)))
            }
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("api.{} has no method `{method}` in transform", self.1))),
        }
    }
}
