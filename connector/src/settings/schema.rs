//! A section's JSON Schema, derived with `schemars` from its serde type and shaped as the Airbyte UI renders
//! it: draft-07, sub-schemas inlined (no `$ref`/`allOf`/`anyOf`), no `format` and no `null` types (every
//! field is optional anyway), doc comments as one-line descriptions, and `order` by position.
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{Map, Value};

/// Property name → schema, in declaration order.
pub type Properties = Vec<(String, Value)>;

/// The schema of `T`, shaped for Airbyte.
pub fn of<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut schema = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    shape(&mut schema);
    schema
}

/// The properties of `T`'s schema, for `spec` (each nested object's own properties numbered already).
pub fn properties<T: JsonSchema>() -> Properties {
    match of::<T>().get_mut("properties").map(Value::take) {
        Some(Value::Object(props)) => props.into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The properties as one object, with Airbyte's `order` set to each one's position.
pub fn numbered(props: Properties) -> Value {
    let map: Map<String, Value> = props
        .into_iter()
        .enumerate()
        .map(|(i, (name, mut schema))| {
            schema["order"] = Value::from(i);
            (name, schema)
        })
        .collect();
    Value::Object(map)
}

fn shape(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    map.remove("format");
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    // A null default says nothing; an object's default is its fields' defaults, shown on each field.
    if map
        .get("default")
        .is_some_and(|d| d.is_null() || d.is_object())
    {
        map.remove("default");
    }
    if let Some(Value::String(text)) = map.get_mut("description") {
        *text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    if let Some(items) = map.get_mut("items") {
        shape(items);
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(shape);
        let nested = std::mem::take(props).into_iter().collect();
        map.insert("properties".into(), numbered(nested));
    }
}
