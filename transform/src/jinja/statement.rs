//! dbt's statement machinery, on the node's warehouse handle: `{% call statement('name',
//! fetch_result=True) %}sql{% endcall %}`, `load_result('name')` (`['data']`, `.table`,
//! `['response']`), `store_result`, `store_raw_result`, `run_query(sql)` and `adapter.execute`.
//! Nothing runs while parsing (`execute` is false), as in dbt.

use std::sync::Arc;

use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

use super::render_ctx::RenderCtx;
use super::mutable;
use super::relation::to_value;
use super::table::Table;
use crate::warehouse::{AdapterResponse, Rows};

/// Results held in memory by one statement (dbt reads them all into an agate table too).
pub const MAX_ROWS: usize = 100_000;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Runs `sql` on the node's handle; `fetch` reads its rows (at most `MAX_ROWS`, else an error).
pub fn run(ctx: &RenderCtx, sql: &str, fetch: bool) -> Result<(AdapterResponse, Rows), Error> {
    let wh = ctx.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))?;
    if !fetch {
        let response = wh.execute(sql).map_err(|e| err(e.to_string()))?;
        return Ok((response, Rows::default()));
    }
    let rows = wh.query(sql, MAX_ROWS + 1).map_err(|e| err(e.to_string()))?;
    if rows.rows.len() > MAX_ROWS {
        return Err(err(format!("a query returned more than {MAX_ROWS} rows; statement and run_query results are held in memory")));
    }
    let response = AdapterResponse { message: "OK".into(), code: "OK".into(), rows_affected: Some(rows.rows.len() as i64) };
    Ok((response, rows))
}

/// What `load_result` gives back: `{'response': …, 'data': [[…]], 'table': <Table>}`.
fn result_value(response: &AdapterResponse, rows: Rows) -> Value {
    let table = Table(rows);
    mutable::map([("response", to_value(response)), ("data", table.data()), ("table", Value::from_object(table))])
}

fn store(ctx: &RenderCtx, name: &str, value: Value) {
    if let Ok(mut r) = ctx.results.lock() {
        r.insert(name.to_string(), value);
    }
}

/// `statement(name=None, fetch_result=False, auto_begin=True, language='sql')` with its `caller()`.
#[derive(Debug)]
pub struct Statement(pub Arc<RenderCtx>);

impl Object for Statement {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        self.0.record_builtin_macro("statement");
        let (name, rest, kwargs): (Option<String>, &[Value], Kwargs) = from_args(args)?;
        let fetch = kwargs.get::<Option<bool>>("fetch_result")?.or_else(|| rest.first().map(Value::is_true)).unwrap_or(false);
        let _auto_begin: Option<bool> = kwargs.get("auto_begin")?;
        let language: Option<String> = kwargs.get("language")?;
        let caller: Value = kwargs.get("caller").map_err(|_| err("statement() is a call block: {% call statement(...) %}sql{% endcall %}"))?;
        kwargs.assert_all_used()?;
        if !self.0.execute {
            return Ok(Value::from(""));
        }
        if language.as_deref().is_some_and(|l| l != "sql") {
            return Err(err("statement macro didn't get supported language"));
        }
        let sql = caller.call(state, &[])?.to_string();
        let (response, rows) = run(&self.0, &sql, fetch)?;
        if let Some(n) = name {
            store(&self.0, &n, result_value(&response, rows));
        }
        Ok(Value::from(""))
    }
}

/// `load_result(name)`, `store_result(name, response, agate_table)`, `store_raw_result(...)`,
/// `run_query(sql)`; and `adapter.execute(sql, fetch=...)`.
pub fn load_result(ctx: &RenderCtx, args: &[Value]) -> Result<Value, Error> {
    let (name,): (String,) = from_args(args)?;
    Ok(ctx.results.lock().ok().and_then(|r| r.get(&name).cloned()).unwrap_or_default())
}

pub fn store_result(ctx: &RenderCtx, args: &[Value]) -> Result<Value, Error> {
    let (name, rest, kwargs): (String, &[Value], Kwargs) = from_args(args)?;
    let response = kwargs.get::<Option<Value>>("response")?.or_else(|| rest.first().cloned()).unwrap_or_default();
    let table = kwargs.get::<Option<Value>>("agate_table")?.or_else(|| rest.get(1).cloned()).unwrap_or_default();
    kwargs.assert_all_used()?;
    let data = table.downcast_object_ref::<Table>().map(Table::data).unwrap_or_else(|| Value::from(Vec::<Value>::new()));
    store(ctx, &name, mutable::map([("response", response), ("data", data), ("table", table)]));
    Ok(Value::from(""))
}

pub fn store_raw_result(ctx: &RenderCtx, args: &[Value]) -> Result<Value, Error> {
    let (name, kwargs): (String, Kwargs) = from_args(args)?;
    let message: Option<String> = kwargs.get("message")?;
    let code: Option<String> = kwargs.get("code")?;
    let rows_affected: Option<i64> = kwargs.get("rows_affected")?;
    let table = kwargs.get::<Option<Value>>("agate_table")?.unwrap_or_default();
    kwargs.assert_all_used()?;
    let response = AdapterResponse { message: message.unwrap_or_default(), code: code.unwrap_or_default(), rows_affected };
    let data = table.downcast_object_ref::<Table>().map(Table::data).unwrap_or_else(|| Value::from(Vec::<Value>::new()));
    store(ctx, &name, mutable::map([("response", to_value(&response)), ("data", data), ("table", table)]));
    Ok(Value::from(""))
}

pub fn run_query(ctx: &RenderCtx, args: &[Value]) -> Result<Value, Error> {
    let (sql,): (String,) = from_args(args)?;
    if !ctx.execute {
        return Ok(Value::from(()));
    }
    let (_, rows) = run(ctx, &sql, true)?;
    Ok(Value::from_object(Table(rows)))
}

/// `adapter.execute(sql, auto_begin=False, fetch=False)`: `(response, table)`.
pub fn adapter_execute(ctx: &RenderCtx, args: &[Value]) -> Result<Value, Error> {
    let (sql, kwargs): (String, Kwargs) = from_args(args)?;
    let fetch = kwargs.get::<Option<bool>>("fetch")?.unwrap_or(false);
    let _auto_begin: Option<bool> = kwargs.get("auto_begin")?;
    let _limit: Option<i64> = kwargs.get("limit")?;
    kwargs.assert_all_used()?;
    let (response, rows) = run(ctx, &sql, fetch)?;
    Ok(Value::from(vec![to_value(&response), Value::from_object(Table(rows))]))
}
