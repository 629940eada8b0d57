//! Saved views: named GraphQL documents served as stable URLs (`GET /views/{name}`), shipped in
//! `views/` and embedded in the binary, plus an operator's own from a directory. Each document
//! starts with a comment header:
//!
//! ```graphql
//! # title: Coverage of the plan's entries
//! # description: Every entry …
//! # table: cities.nodes
//! # var membership: which entries to list
//! query Coverage($membership: [Membership!]! = [CONFIRMED, CANDIDATE]) { … }
//! ```
//!
//! `table` is the list in the answer that is the view's table (its rows for CSV and NDJSON);
//! the variables, their types and defaults are the operation's own. Every view is checked when
//! the server starts: it parses, its table is a list of objects, and a row holds no list of
//! objects (a list of values is joined), so its columns are known before any request.

use std::path::Path;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, SelectionSet,
};
use async_graphql::{Name, Variables};

use crate::graphql::schema_map::{FieldType, SchemaMap, each_field};

/// The views shipped in `views/`, embedded (a test checks the folder and this list agree).
pub const EMBEDDED: [(&str, &str); 5] = [
    ("coverage", include_str!("../../../views/coverage.graphql")),
    ("gaps", include_str!("../../../views/gaps.graphql")),
    ("target-evaluations", include_str!("../../../views/target-evaluations.graphql")),
    ("city-series", include_str!("../../../views/city-series.graphql")),
    ("status-counts", include_str!("../../../views/status-counts.graphql")),
];

/// A variable of a view: from the query string, typed by the operation's declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewVariable {
    pub name: String,
    /// As declared, e.g. `[Membership!]!`.
    pub ty: String,
    /// The declared default, as JSON.
    pub default: Option<serde_json::Value>,
    pub description: String,
    /// The named type under any lists, and whether it is a list.
    base: String,
    list: bool,
}

/// One column of a view's table: its dotted header and the path to its value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewColumn {
    pub header: String,
    pub path: Vec<String>,
    /// A list of values, joined with `; ` in CSV.
    pub joined: bool,
}

/// A saved view, checked.
#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub title: String,
    pub description: String,
    pub document: String,
    pub operation: Option<String>,
    pub variables: Vec<ViewVariable>,
    /// Response keys from `data` to the table's list.
    pub table: Vec<String>,
    pub columns: Vec<ViewColumn>,
}

/// Every view the server serves, by name.
#[derive(Debug, Clone, Default)]
pub struct Views(Vec<View>);

impl Views {
    /// The embedded views, and the `*.graphql` files of `dir` (a name used twice is an error).
    pub fn load(dir: Option<&Path>) -> Result<Self, String> {
        let mut sources: Vec<(String, String)> =
            EMBEDDED.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| format!("reading the views folder {}: {e}", dir.display()))?;
            let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            files.retain(|p| p.extension().is_some_and(|x| x == "graphql"));
            files.sort();
            for file in files {
                let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let text =
                    std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
                if sources.iter().any(|(n, _)| *n == name) {
                    return Err(format!("{}: a view called {name:?} exists already", file.display()));
                }
                sources.push((name, text));
            }
        }
        let views = sources
            .iter()
            .map(|(name, text)| View::parse(name, text).map_err(|e| format!("view {name}: {e}")));
        Ok(Self(views.collect::<Result<_, _>>()?))
    }

    /// The views, in the order loaded.
    pub fn all(&self) -> &[View] {
        &self.0
    }

    /// The view called `name`.
    pub fn get(&self, name: &str) -> Option<&View> {
        self.0.iter().find(|v| v.name == name)
    }
}

impl View {
    /// Reads and checks a view's document.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err("a view's name is letters, digits, - and _".into());
        }
        let header = |key: &str| {
            text.lines().take_while(|l| l.trim_start().starts_with('#')).find_map(|l| {
                l.trim_start().trim_start_matches('#').trim().strip_prefix(key).map(|v| v.trim().to_string())
            })
        };
        let title = header("title:").ok_or("the header has no `# title:` line")?;
        let description = header("description:").unwrap_or_default();
        let table: Vec<String> = header("table:")
            .ok_or("the header has no `# table:` line")?
            .split('.')
            .map(str::to_string)
            .collect();
        let document = async_graphql::parser::parse_query(text)
            .map_err(|e| format!("the document does not parse: {e}"))?;
        let (operation, definition) = match &document.operations {
            DocumentOperations::Single(op) => (None, op),
            DocumentOperations::Multiple(ops) if ops.len() == 1 => {
                let (name, op) = ops.iter().next().expect("one operation");
                (Some(name.to_string()), op)
            }
            DocumentOperations::Multiple(_) => return Err("a view has exactly one operation".into()),
        };
        if definition.node.ty != OperationType::Query {
            return Err("a view is a query".into());
        }
        let described = |var: &str| header(&format!("var {var}:")).unwrap_or_default();
        let variables = definition
            .node
            .variable_definitions
            .iter()
            .map(|v| {
                let (name, ty) = (v.node.name.node.to_string(), &v.node.var_type.node);
                let (mut base, mut list) = (ty, false);
                while let BaseType::List(inner) = &base.base {
                    (base, list) = (inner, true);
                }
                ViewVariable {
                    description: described(&name),
                    ty: ty.to_string(),
                    default: v.node.default_value.as_ref().and_then(|d| d.node.clone().into_json().ok()),
                    base: base.base.to_string(),
                    list,
                    name,
                }
            })
            .collect();
        let columns = columns(&document, &definition.node.selection_set.node, &table)?;
        Ok(Self {
            name: name.into(),
            title,
            description,
            document: text.into(),
            operation,
            variables,
            table,
            columns,
        })
    }

    /// The variables given as query-string parameters (a list repeats its parameter or
    /// separates values with commas), typed by their declarations; a value that does not fit
    /// is passed on as text, for GraphQL to refuse as it refuses any variable that does not fit.
    pub fn variables(&self, params: &[(String, String)]) -> Result<Variables, String> {
        let mut json = serde_json::Map::new();
        for (key, _) in params {
            if !self.variables.iter().any(|v| v.name == *key) {
                let known: Vec<&str> = self.variables.iter().map(|v| v.name.as_str()).collect();
                return Err(format!(
                    "this view has no parameter {key:?}; it takes: {} (and format, bom)",
                    known.join(", ")
                ));
            }
        }
        for variable in &self.variables {
            let given: Vec<&str> =
                params.iter().filter(|(k, _)| *k == variable.name).map(|(_, v)| v.as_str()).collect();
            if given.is_empty() {
                continue;
            }
            let value = if variable.list {
                let items =
                    given.iter().flat_map(|v| v.split(',')).map(|item| scalar(&variable.base, item.trim()));
                serde_json::Value::Array(items.collect())
            } else if given.len() > 1 {
                return Err(format!("{:?} takes one value; it was given {}", variable.name, given.len()));
            } else {
                scalar(&variable.base, given[0])
            };
            json.insert(variable.name.clone(), value);
        }
        Ok(Variables::from_json(serde_json::Value::Object(json)))
    }
}

/// A query-string value as the JSON a GraphQL variable of `ty` takes: a number for `Int` and
/// `Float`, a boolean for `Boolean`, text (and enum values) as it stands, JSON for an input
/// object. What does not parse stays text.
fn scalar(ty: &str, text: &str) -> serde_json::Value {
    let parsed = match ty {
        "Int" => text.parse::<i64>().ok().map(serde_json::Value::from),
        "Float" => text
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(serde_json::Value::Number)),
        "Boolean" => text.parse::<bool>().ok().map(serde_json::Value::Bool),
        _ if text.starts_with('{') => serde_json::from_str(text).ok(),
        _ => None,
    };
    parsed.unwrap_or_else(|| serde_json::Value::String(text.to_string()))
}

/// The columns of the table at `table` (response keys from the root), refusing a table that is
/// not a list of objects and a row that holds a list of objects.
fn columns(
    document: &ExecutableDocument,
    root: &SelectionSet,
    table: &[String],
) -> Result<Vec<ViewColumn>, String> {
    let map: &'static SchemaMap = SchemaMap::get();
    let (mut ty, mut sets, mut list): (&str, _, _) = ("Query", vec![root], false);
    for (depth, key) in table.iter().enumerate() {
        let (mut next_sets, mut next_ty) = (Vec::new(), None);
        for set in &sets {
            let _ = each_field(document, set, ty, &|_| true, &mut |visited| {
                let field = visited.field;
                if field.alias.as_ref().map_or(&field.name.node, |a| &a.node) == key.as_str() {
                    next_ty = map.field(visited.parent, &field.name.node);
                    next_sets.push(&field.selection_set.node);
                }
                std::ops::ControlFlow::Continue(())
            });
        }
        let found =
            next_ty.ok_or_else(|| format!("the table {:?} is not selected", table[..=depth].join(".")))?;
        if list {
            return Err(format!("the table {:?} lies inside a list", table.join(".")));
        }
        (ty, sets, list) = (found.name.as_str(), next_sets, found.list);
    }
    if !list || !map.has_fields(ty) {
        return Err(format!("the table {:?} is not a list of objects", table.join(".")));
    }
    let mut out = Vec::new();
    row_columns(document, map, &sets, ty, &mut Vec::new(), &mut out)?;
    Ok(out)
}

fn row_columns<'a>(
    document: &'a ExecutableDocument,
    map: &'static SchemaMap,
    sets: &[&'a SelectionSet],
    ty: &'a str,
    prefix: &mut Vec<String>,
    out: &mut Vec<ViewColumn>,
) -> Result<(), String> {
    let mut fields: Vec<(&Name, Option<&'static FieldType>, &'a SelectionSet)> = Vec::new();
    for set in sets {
        let _ = each_field(document, set, ty, &|_| true, &mut |visited| {
            let field = visited.field;
            let key = field.alias.as_ref().map_or(&field.name.node, |a| &a.node);
            fields.push((key, map.field(visited.parent, &field.name.node), &field.selection_set.node));
            std::ops::ControlFlow::Continue(())
        });
    }
    let mut seen: Vec<&Name> = Vec::new();
    for (key, field_type, _) in &fields {
        if seen.contains(key) {
            continue;
        }
        seen.push(key);
        prefix.push(key.to_string());
        let below: Vec<&SelectionSet> =
            fields.iter().filter(|(k, _, _)| k == key).map(|(_, _, s)| *s).collect();
        match field_type {
            Some(t) if map.has_fields(&t.name) && t.list => {
                return Err(format!(
                    "{} is a list of objects inside a row: make it the table, or leave it out",
                    prefix.join(".")
                ));
            }
            Some(t) if map.has_fields(&t.name) => row_columns(document, map, &below, &t.name, prefix, out)?,
            other => out.push(ViewColumn {
                header: prefix.join("."),
                path: prefix.clone(),
                joined: other.as_ref().is_some_and(|t| t.list),
            }),
        }
        prefix.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_views_load_and_the_folder_holds_just_them() {
        let views = Views::load(None).expect("the shipped views");
        let coverage = views.get("coverage").unwrap();
        assert_eq!(coverage.table, ["cities", "nodes"]);
        let headers: Vec<&str> = coverage.columns.iter().map(|c| c.header.as_str()).collect();
        assert!(headers.contains(&"province.nameEn") && headers.contains(&"evidence"), "{headers:?}");
        assert_eq!(coverage.variables[0].ty, "[Membership!]!");
        let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/views"))
            .unwrap()
            .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(files, embedded, "views/ and EMBEDDED must list the same views");
    }

    #[test]
    fn a_row_with_a_list_of_objects_is_refused_when_loaded() {
        let text = "# title: t\n# table: cities.nodes\n{ cities { nodes { adminCode sources { url } } } }";
        let error = View::parse("bad", text).unwrap_err();
        assert!(error.contains("sources is a list of objects inside a row"), "{error}");
        let text = "# title: t\n# table: cities\n{ cities { nodes { adminCode } } }";
        assert!(View::parse("bad", text).unwrap_err().contains("is not a list of objects"));
        let text = "# title: t\n# table: cities.nodes\nmutation { deleteObservations(ids: []) }";
        assert!(View::parse("bad", text).is_err());
    }

    #[test]
    fn query_string_values_are_typed_by_the_declarations() {
        let view = Views::load(None).unwrap().get("target-evaluations").cloned().unwrap();
        let params = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()
        };
        let variables =
            view.variables(&params(&[("membership", "CONFIRMED,CANDIDATE"), ("target", "x")])).unwrap();
        let json = variables.into_value().into_json().unwrap();
        assert_eq!(json, serde_json::json!({ "membership": ["CONFIRMED", "CANDIDATE"], "target": "x" }));
        assert!(view.variables(&params(&[("nope", "1")])).unwrap_err().contains("no parameter \"nope\""));
    }
}
