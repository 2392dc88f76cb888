//! Jinja values for warehouse objects: `Relation` (what `ref`, `source`, `this` return; renders as the
//! name quoted by the target's dialect, and is a mapping with dbt's `metadata.type` as dbt_utils
//! checks), `Column` (dbt's Column: `name`, `data_type`, `quoted`, `is_string()`…), and `to_value`,
//! any serializable value as a Jinja value. Query results (`Table`) are in `table.rs`.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{from_args, Enumerator, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

use crate::project::RelationName;
use crate::warehouse::dialect::{Dialect, TypeClass};
use crate::warehouse::WarehouseColumn;

/// Any serializable Rust value as a Jinja value.
pub fn to_value<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// The ephemeral-model CTE prefix (`api.Relation.add_ephemeral_prefix`).
pub const EPHEMERAL_PREFIX: &str = "__dbt__cte__";

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
    fn without(&self, keep: impl Fn(&str) -> bool) -> Relation {
        let mut r = self.clone();
        for (part, field) in [("database", &mut r.name.database), ("schema", &mut r.name.schema), ("identifier", &mut r.name.identifier)] {
            if !keep(part) {
                field.clear();
            }
        }
        r.rendered = None;
        r
    }
}

const RELATION_KEYS: &[&str] = &["database", "schema", "identifier", "name", "type", "metadata"];

impl Object for Relation {
    /// A mapping, as dbt's relations are: `obj is mapping and obj.get('metadata')...` holds.
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(RELATION_KEYS)
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let n = &self.name;
        let text = |s: &String| Value::from(s.clone());
        Some(match key.as_str()? {
            "database" | "project" => text(&n.database),
            "schema" | "dataset" => text(&n.schema),
            "identifier" | "name" | "table" => text(&n.identifier),
            "type" => text(&self.kind),
            "is_table" => Value::from(self.kind == "table"),
            "is_view" => Value::from(self.kind == "view"),
            "is_cte" => Value::from(self.kind == "cte"),
            "metadata" => super::mutable::map([("type", Value::from(self.dialect.relation_class()))]),
            "path" => super::mutable::map([("database", text(&n.database)), ("schema", text(&n.schema)), ("identifier", text(&n.identifier))]),
            _ => return None,
        })
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match method {
            "render" => Ok(Value::from(self.text())),
            "include" => {
                let (_, kwargs): (&[Value], Kwargs) = from_args(args)?;
                let mut keep = vec![];
                for part in ["database", "schema", "identifier"] {
                    keep.push((part, kwargs.get::<Option<bool>>(part)?.unwrap_or(true)));
                }
                kwargs.assert_all_used()?;
                Ok(self.without(|p| keep.iter().any(|(k, on)| *k == p && *on)).value())
            }
            "without_identifier" => Ok(self.without(|p| p != "identifier").value()),
            "incorporate" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                let mut r = (**self).clone();
                if let Some(t) = kwargs.get::<Option<String>>("type")? {
                    r.kind = t;
                }
                if let Some(path) = kwargs.get::<Option<Value>>("path")? {
                    for (part, field) in [("database", &mut r.name.database), ("schema", &mut r.name.schema), ("identifier", &mut r.name.identifier)] {
                        match path.get_attr(part) {
                            Ok(v) if v.is_none() => field.clear(),
                            Ok(v) => {
                                if let Some(s) = v.as_str() {
                                    *field = s.to_string();
                                }
                            }
                            Err(_) => {}
                        }
                    }
                    r.rendered = None;
                }
                kwargs.assert_all_used()?;
                Ok(r.value())
            }
            "get" => {
                let (key, default): (Value, Option<Value>) = from_args(args)?;
                Ok(self.get_value(&key).unwrap_or_else(|| default.unwrap_or_default()))
            }
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("relation has no method `{method}`"))),
        }
    }
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// dbt's `Column`, as `adapter.get_columns_in_relation` returns it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub dtype: String,
    pub char_size: Option<i64>,
    pub dialect: &'static dyn Dialect,
}

impl Column {
    pub fn value(c: &WarehouseColumn, dialect: &'static dyn Dialect) -> Value {
        // `VARCHAR(12)` carries its size; dbt splits it the same way (`Column.from_description`).
        let (dtype, char_size) = match c.data_type.split_once('(') {
            Some((base, rest)) if !rest.contains(',') => (base.trim().to_string(), rest.trim_end_matches(')').trim().parse().ok()),
            _ => (c.data_type.clone(), None),
        };
        Value::from_object(Column { name: c.name.clone(), dtype, char_size, dialect })
    }
    fn class(&self) -> TypeClass {
        self.dialect.type_class(&self.dtype)
    }
}

impl Object for Column {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "name" | "column" => Value::from(self.name.clone()),
            "dtype" => Value::from(self.dtype.clone()),
            "data_type" | "expanded_data_type" => Value::from(self.dialect.column_data_type(&self.dtype, self.char_size)),
            "quoted" => Value::from(self.dialect.quote(&self.name)),
            "char_size" => self.char_size.map(Value::from).unwrap_or_default(),
            "numeric_precision" | "numeric_scale" => Value::from(()),
            _ => return None,
        })
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let class = self.class();
        Ok(match method {
            "is_string" => Value::from(class == TypeClass::String),
            "is_integer" => Value::from(class == TypeClass::Integer),
            "is_float" => Value::from(class == TypeClass::Float),
            "is_numeric" => Value::from(class == TypeClass::Numeric),
            "is_number" => Value::from(matches!(class, TypeClass::Integer | TypeClass::Float | TypeClass::Numeric)),
            "string_size" if class == TypeClass::String => Value::from(if self.dtype == "text" { 256 } else { self.char_size.unwrap_or(256) }),
            "string_size" => return Err(Error::new(ErrorKind::InvalidOperation, "Called string_size() on non-string field!")),
            "can_expand_to" => {
                let (other,): (Value,) = from_args(args)?;
                let other = other.downcast_object_ref::<Column>().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "can_expand_to() needs a column"))?;
                let size = |c: &Column| c.char_size.unwrap_or(256);
                Value::from(class == TypeClass::String && other.class() == TypeClass::String && size(other) > size(self))
            }
            "literal" => {
                let (v,): (Value,) = from_args(args)?;
                Value::from(self.dialect.column_literal(&v.to_string(), &self.dtype))
            }
            _ => return Err(Error::new(ErrorKind::UnknownMethod, format!("column has no method `{method}`"))),
        })
    }
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Column {} ({})>", self.name, self.dialect.column_data_type(&self.dtype, self.char_size))
    }
}
