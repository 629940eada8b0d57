//! A view's rows read as typed cells: the one reading of a row that the CSV, XLSX and GeoJSON
//! writers share, so a number is a number and text is text in every format.

use async_graphql::Value;

use crate::graphql::views::ViewColumn;

/// One cell of a view's table, typed by the JSON value it came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    /// Null, or a path that is not there (a null object above it).
    Empty,
    /// A JSON number: written as a number, never as text.
    Number(serde_json::Number),
    Boolean(bool),
    /// A string, an enum value, a list of values joined with `; `, or anything else as JSON.
    Text(String),
}

impl Cell {
    /// The cell at `column` in `row`.
    pub(super) fn of(row: &Value, column: &ViewColumn) -> Self {
        at(row, &column.path).map_or(Self::Empty, Self::from_value)
    }

    fn from_value(value: &Value) -> Self {
        match value {
            Value::Null => Self::Empty,
            Value::Number(n) => Self::Number(n.clone()),
            Value::Boolean(b) => Self::Boolean(*b),
            other => Self::Text(text(other)),
        }
    }
}

/// A value as the text a CSV cell shows: lists joined with `; `, numbers as JSON writes them.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Enum(name) => name.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::List(items) => items.iter().map(text).collect::<Vec<_>>().join("; "),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The value at `path` (response keys) in `value`, if every level is an object that has it.
pub(super) fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| match value {
        Value::Object(members) => members.get(key.as_str()),
        _ => None,
    })
}

/// The rows of the table at `path` in `data`, if every level is there.
pub(super) fn table<'a>(data: &'a Value, path: &[String]) -> Option<&'a Vec<Value>> {
    match at(data, path)? {
        Value::List(rows) => Some(rows),
        _ => None,
    }
}
