//! The agate-like table `run_query` and `load_result(...).table` return, as dbt code reads it:
//! iterating rows, `table.rows[i][j]` or `row.column_name`, `table.columns[i]` or
//! `table.columns['name']` with `.values()`, `table.columns.items()`, `table.column_names`.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

use super::relation::to_value;
use crate::warehouse::Rows;

#[derive(Debug)]
pub struct Table(pub Rows);

/// One row: a sequence of values, also readable by column name.
#[derive(Debug)]
struct Row {
    names: Arc<Vec<String>>,
    values: Vec<Value>,
}

impl Object for Row {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some(name) => self.names.iter().position(|n| n == name).and_then(|i| self.values.get(i).cloned()),
            None => key.as_i64().and_then(|i| usize::try_from(if i < 0 { self.values.len() as i64 + i } else { i }).ok()).and_then(|i| self.values.get(i).cloned()),
        }
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.values.clone())
    }
}

#[derive(Debug)]
struct TableColumn {
    name: String,
    values: Vec<Value>,
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
            "values" | "values_distinct" => Ok(Value::from(self.values.clone())),
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("column has no method `{method}`"))),
        }
    }
}

/// `table.columns`: indexable by position or name, with `keys()`, `values()`, `items()`.
#[derive(Debug)]
struct Columns(Vec<(String, Value)>);

impl Object for Columns {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some(name) => self.0.iter().find(|(n, _)| n == name).map(|(_, c)| c.clone()),
            None => key.as_usize().and_then(|i| self.0.get(i)).map(|(_, c)| c.clone()),
        }
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(_, c)| c.clone()).collect())
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, _args: &[Value]) -> Result<Value, Error> {
        match method {
            "keys" => Ok(Value::from(self.0.iter().map(|(n, _)| Value::from(n.clone())).collect::<Vec<_>>())),
            "values" => Ok(Value::from(self.0.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>())),
            "items" => Ok(Value::from(self.0.iter().map(|(n, c)| Value::from(vec![Value::from(n.clone()), c.clone()])).collect::<Vec<_>>())),
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("columns have no method `{method}`"))),
        }
    }
}

impl Table {
    /// The rows as dbt's `load_result(...)['data']`: a list of value lists.
    pub fn data(&self) -> Value {
        to_value(&self.0.rows)
    }
    fn rows(&self) -> Vec<Value> {
        let names = Arc::new(self.0.columns.clone());
        self.0.rows.iter().map(|r| Value::from_object(Row { names: names.clone(), values: r.iter().map(to_value).collect() })).collect()
    }
    fn columns(&self) -> Value {
        let cols = self.0.columns.iter().enumerate().map(|(i, name)| {
            let values = self.0.rows.iter().map(|r| r.get(i).map(to_value).unwrap_or_default()).collect();
            (name.clone(), Value::from_object(TableColumn { name: name.clone(), values }))
        });
        Value::from_object(Columns(cols.collect()))
    }
}

impl Object for Table {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some("rows") => Some(Value::from(self.rows())),
            Some("columns") => Some(self.columns()),
            Some("column_names") => Some(to_value(&self.0.columns)),
            _ => key.as_usize().and_then(|i| self.rows().get(i).cloned()),
        }
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.rows())
    }
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.rows.len())
    }
}
