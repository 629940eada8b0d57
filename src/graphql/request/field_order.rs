//! Response fields in the order the document asked for them (the spec's "Serialized Map
//! Ordering"). async-graphql 7 resolves sibling fields concurrently and keeps each object's
//! fields in the order they finished; this puts every object back in selection order after
//! execution, before the response is serialized or cached: aliases, fragments and inline
//! fragments included, fields merged under one response key as the spec's CollectFields does.

use std::cell::OnceCell;
use std::ops::ControlFlow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, SelectionSet};
use async_graphql::{Name, Value};

use crate::graphql::schema_map::{SchemaMap, each_field};

/// Orders every object of `data` as the operation `name` of `document` selected its fields.
pub fn by_selection(data: &mut Value, document: &ExecutableDocument, name: Option<&str>) {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = operation else { return };
    let root = match operation.node.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    let walk = Walk { document, map: SchemaMap::get() };
    walk.value(data, &Selected::new(vec![&operation.node.selection_set.node], root, walk.map));
}

/// What a response key selects: the selection sets of its fields (several when one key is
/// selected more than once), the type of its value, and the plan of that value's fields, made
/// for the first value of this key and used for all the others (every province's `cities`,
/// every entry's `observations`, every item of a list).
struct Selected<'a> {
    sets: Vec<&'a SelectionSet>,
    ty: &'a str,
    /// Whether `ty` is an interface, looked up once for all the key's values.
    is_abstract: bool,
    plan: OnceCell<Plan<'a>>,
}

impl<'a> Selected<'a> {
    fn new(sets: Vec<&'a SelectionSet>, ty: &'a str, map: &SchemaMap) -> Self {
        Self { sets, ty, is_abstract: map.is_abstract(ty), plan: OnceCell::new() }
    }
}

/// The response keys of an object in selection order, each with what it selects.
type Plan<'a> = Vec<(&'a Name, Selected<'a>)>;

struct Walk<'a> {
    document: &'a ExecutableDocument,
    map: &'a SchemaMap,
}

impl<'a> Walk<'a> {
    /// Orders `value`, the value of a key that selects `selected`, and everything below it.
    fn value(&self, value: &mut Value, selected: &Selected<'a>) {
        match value {
            Value::List(items) => items.iter_mut().for_each(|item| self.value(item, selected)),
            Value::Object(fields) if selected.is_abstract => {
                // Each object's own type decides its fields: a plan for this object alone.
                let object = self.object_type(fields, &selected.sets, selected.ty);
                self.reorder(fields, &self.plan(&selected.sets, object));
            }
            Value::Object(fields) => {
                let plan = selected.plan.get_or_init(|| self.plan(&selected.sets, selected.ty));
                self.reorder(fields, plan);
            }
            _ => {}
        }
    }

    /// Puts `fields` in the plan's order, ordering each value below it in turn. Fields already
    /// in order (an object whose fields all resolved at once) are left where they are; a key
    /// the plan does not know (none should exist) goes last.
    fn reorder(&self, fields: &mut IndexMap<Name, Value>, plan: &Plan<'a>) {
        let position = |key: &Name| plan.iter().position(|(k, _)| *k == key).unwrap_or(usize::MAX);
        if !fields.keys().map(position).is_sorted() {
            fields.sort_by_cached_key(|key, _| position(key));
        }
        for (key, value) in fields.iter_mut() {
            if let Some((_, selected)) = plan.iter().find(|(k, _)| *k == key) {
                self.value(value, selected);
            }
        }
    }

    /// The response keys of a value of object type `object`, in the order CollectFields
    /// gives them.
    fn plan(&self, sets: &[&'a SelectionSet], object: &'a str) -> Plan<'a> {
        let mut plan: Plan<'a> = Vec::new();
        let keep = |condition: &str| self.map.applies(condition, object) || condition == object;
        for set in sets {
            let _ = each_field(self.document, set, object, &keep, &mut |visited| {
                let field = visited.field;
                let key = field.alias.as_ref().map_or(&field.name.node, |alias| &alias.node);
                let child = &field.selection_set.node;
                match plan.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, selected)) => selected.sets.push(child),
                    None => {
                        let ty =
                            self.map.field(visited.parent, &field.name.node).map_or("", |t| t.name.as_str());
                        plan.push((key, Selected::new(vec![child], ty, self.map)));
                    }
                }
                ControlFlow::Continue(())
            });
        }
        plan
    }

    /// The object type of a value of type `ty`: `ty` itself unless it is abstract (a `Node`),
    /// then the possible type whose selected keys are exactly the value's, or failing that the
    /// one with the fewest keys beyond them.
    fn object_type(&self, fields: &IndexMap<Name, Value>, sets: &[&'a SelectionSet], ty: &'a str) -> &'a str {
        if !self.map.is_abstract(ty) {
            return ty;
        }
        let fits = |candidate: &&'a str| {
            let plan = self.plan(sets, candidate);
            let covers = fields.keys().all(|k| plan.iter().any(|(key, _)| *key == k));
            (!covers, plan.len().saturating_sub(fields.len()))
        };
        self.map.possible_types(ty).into_iter().min_by_key(fits).unwrap_or(ty)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::value;

    use super::*;

    fn ordered(query: &str, mut data: Value) -> String {
        let document = async_graphql::parser::parse_query(query).unwrap();
        by_selection(&mut data, &document, None);
        serde_json::to_string(&data).unwrap()
    }

    #[test]
    fn objects_follow_the_selection_through_aliases_and_fragments() {
        let query =
            "{ city(code: \"Bengbu\") { province { nameEn } ...names adminCode } p: plan { titleEn } }
                     fragment names on City { nameZh nameEn }";
        let data = value!({ "p": { "titleEn": "t" }, "city": { "adminCode": "340300", "nameEn": "Bengbu",
                            "nameZh": "蚌埠市", "province": { "nameEn": "Anhui" } } });
        assert_eq!(
            ordered(query, data),
            r#"{"city":{"province":{"nameEn":"Anhui"},"nameZh":"蚌埠市","nameEn":"Bengbu","adminCode":"340300"},"p":{"titleEn":"t"}}"#
        );
    }

    #[test]
    fn list_items_and_interfaces_are_ordered_by_their_own_type() {
        let query = "{ provinces { nodes { code nameEn } }
                       node(id: \"x\") { ... on City { nameEn adminCode } id ... on Province { code nameEn } } }";
        let data = value!({ "node": { "nameEn": "Anhui", "code": "340000", "id": "x" },
                            "provinces": { "nodes": [{ "nameEn": "Hebei", "code": "130000" }] } });
        assert_eq!(
            ordered(query, data),
            r#"{"provinces":{"nodes":[{"code":"130000","nameEn":"Hebei"}]},"node":{"id":"x","code":"340000","nameEn":"Anhui"}}"#
        );
    }

    /// A selection's order is worked out once and used for every parent's objects, while the
    /// same fields selected in another order under another alias keep that other order.
    #[test]
    fn every_parent_and_every_alias_gets_its_own_selection_order() {
        let query = "{ a: provinces { nodes { cities { nodes { nameEn adminCode } } } }
                       b: provinces { nodes { cities { nodes { adminCode nameEn } } } } }";
        let cities = |first: &str, second: &str| value!({ "nodes": [{ first: "1", second: "2" }, { second: "3", first: "4" }] });
        let data = value!({
            "b": { "nodes": [{ "cities": cities("nameEn", "adminCode") }, { "cities": cities("adminCode", "nameEn") }] },
            "a": { "nodes": [{ "cities": cities("adminCode", "nameEn") }, { "cities": cities("nameEn", "adminCode") }] },
        });
        let a = r#"{"nodes":[{"cities":{"nodes":[{"nameEn":"2","adminCode":"1"},{"nameEn":"3","adminCode":"4"}]}},{"cities":{"nodes":[{"nameEn":"1","adminCode":"2"},{"nameEn":"4","adminCode":"3"}]}}]}"#;
        let b = r#"{"nodes":[{"cities":{"nodes":[{"adminCode":"2","nameEn":"1"},{"adminCode":"3","nameEn":"4"}]}},{"cities":{"nodes":[{"adminCode":"1","nameEn":"2"},{"adminCode":"4","nameEn":"3"}]}}]}"#;
        assert_eq!(ordered(query, data), format!(r#"{{"a":{a},"b":{b}}}"#));
    }
}
