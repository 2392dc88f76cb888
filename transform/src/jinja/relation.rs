//! Jinja values for warehouse objects: `Relation` (what `ref`, `source`, `this` return; renders as the
//! name quoted by the target's dialect), `Column` (from `adapter.get_columns_in_relation`) and
//! `Table` (from `run_query`); and `to_value`, any serializable value as a Jinja value.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, ObjectRepr};
use minijinja::{Error, State, Value};

use crate::project::RelationName;
use crate::warehouse::dialect::Dialect;
use crate::warehouse::{Rows, WarehouseColumn};

/// Any serializable Rust value as a Jinja value.
pub fn to_value<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

#[derive(Debug, Clone)]
pub struct Relation {
    pub name: RelationName,
    pub dialect: &'static dyn Dialect,
    /// `table`, `view`, `cte` or empty when unknown.
    pub kind: String,
    /// Overrides the rendered text (ephemeral CTE names, `where`-filtered test subqueries).
    pub rendered: Option<String>,
}

impl Relation {
    pub fn new(name: RelationName, dialect: &'static dyn Dialect, kind: &str) -> Relation {
        Relation { name, dialect, kind: kind.into(), rendered: None }
    }
    pub fn value(self) -> Value {
        Value::from_object(self)
    }
    pub fn text(&self) -> String {
        self.rendered.clone().unwrap_or_else(|| self.dialect.render_relation(&self.name))
    }
}

impl Object for Relation {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let n = &self.name;
        Some(match key.as_str()? {
            "database" | "project" => Value::from(n.database.clone()),
            "schema" | "dataset" => Value::from(n.schema.clone()),
            "identifier" | "name" | "table" => Value::from(n.identifier.clone()),
            "type" => Value::from(self.kind.clone()),
            "is_table" => Value::from(self.kind == "table"),
            "is_view" => Value::from(self.kind == "view"),
            "is_cte" => Value::from(self.kind == "cte"),
            _ => return None,
        })
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match method {
            "render" => Ok(Value::from(self.text())),
            "include" => {
                let (_, kwargs): (&[Value], Kwargs) = minijinja::value::from_args(args)?;
                let keep = |k: &str| kwargs.get::<Option<bool>>(k).map(|v| v.unwrap_or(true));
                let mut r = (**self).clone();
                if !keep("database")? {
                    r.name.database.clear();
                }
                if !keep("schema")? {
                    r.name.schema.clear();
                }
                if !keep("identifier")? {
                    r.name.identifier.clear();
                }
                kwargs.assert_all_used()?;
                r.rendered = None;
                Ok(r.value())
            }
            _ => Err(Error::new(minijinja::ErrorKind::UnknownMethod, format!("relation has no method `{method}`"))),
        }
    }
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

pub fn column_value(c: &WarehouseColumn, dialect: &dyn Dialect) -> Value {
    to_value(serde_json::json!({
        "name": c.name, "column": c.name, "data_type": c.data_type, "dtype": c.data_type,
        "quoted": dialect.quote(&c.name),
    }))
}

/// The agate-like table `run_query` returns: `.rows`, `.columns[i].values()`, iteration over rows.
#[derive(Debug)]
pub struct Table(pub Rows);

#[derive(Debug)]
struct TableColumn {
    name: String,
    values: Vec<serde_json::Value>,
}

impl Object for TableColumn {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "name" => Some(Value::from(self.name.clone())),
            _ => None,
        }
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, _args: &[Value]) -> Result<Value, Error> {
        match method {
            "values" => Ok(to_value(&self.values)),
            _ => Err(Error::new(minijinja::ErrorKind::UnknownMethod, format!("column has no method `{method}`"))),
        }
    }
}

impl Table {
    fn rows(&self) -> Value {
        to_value(&self.0.rows)
    }
    fn columns(&self) -> Value {
        let cols = self.0.columns.iter().enumerate().map(|(i, name)| {
            Value::from_object(TableColumn {
                name: name.clone(),
                values: self.0.rows.iter().map(|r| r.get(i).cloned().unwrap_or_default()).collect(),
            })
        });
        Value::from_iter(cols)
    }
}

impl Object for Table {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some("rows") => Some(self.rows()),
            Some("columns") => Some(self.columns()),
            Some("column_names") => Some(to_value(&self.0.columns)),
            _ => key.as_usize().and_then(|i| self.0.rows.get(i)).map(to_value),
        }
    }
    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(self.0.rows.iter().map(to_value).collect())
    }
}
