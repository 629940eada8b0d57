//! Limits on the shape of a parsed document, checked before anything runs.
//!
//! async-graphql's own depth limit counts introspection, so GraphiQL's schema query (about 13
//! levels of `ofType`) would trip any depth limit tight enough to matter. Introspection is
//! bounded by the schema itself, so these limits leave `__schema` and `__type` out, as GraphQL
//! Armor does.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

/// Bounds on a document's shape.
#[derive(Debug, Clone, Copy)]
pub struct ShapeLimits {
    /// Deepest nesting of fields (introspection excluded).
    pub max_depth: usize,
}

/// A limit a document broke: its stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub code: &'static str,
    pub message: String,
}

/// Checks every operation of `document` against `limits`.
pub fn check(document: &ExecutableDocument, limits: &ShapeLimits) -> Result<(), Breach> {
    let mut depths = Depths { document, memo: HashMap::new(), visiting: Vec::new() };
    for (_, operation) in document.operations.iter() {
        let depth = depths.of(&operation.node.selection_set);
        if depth > limits.max_depth {
            return Err(Breach {
                code: "DEPTH_LIMIT",
                message: format!(
                    "the query nests {depth} levels deep; at most {} are allowed",
                    limits.max_depth
                ),
            });
        }
    }
    Ok(())
}

/// Depth of selection sets, with each fragment's depth computed once (so a document that
/// spreads one fragment many times costs no more than one that spreads it once).
struct Depths<'a> {
    document: &'a ExecutableDocument,
    memo: HashMap<&'a Name, usize>,
    /// Fragments being measured now: a cycle (which validation rejects later) counts as 0.
    visiting: Vec<&'a Name>,
}

impl<'a> Depths<'a> {
    fn of(&mut self, set: &'a Positioned<SelectionSet>) -> usize {
        set.node.items.iter().map(|item| self.of_selection(&item.node)).max().unwrap_or(0)
    }

    fn of_selection(&mut self, selection: &'a Selection) -> usize {
        match selection {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if name == "__schema" || name == "__type" {
                    0
                } else {
                    1 + self.of(&field.node.selection_set)
                }
            }
            Selection::InlineFragment(fragment) => self.of(&fragment.node.selection_set),
            Selection::FragmentSpread(spread) => self.of_fragment(&spread.node.fragment_name.node),
        }
    }

    fn of_fragment(&mut self, name: &'a Name) -> usize {
        if let Some(depth) = self.memo.get(name) {
            return *depth;
        }
        if self.visiting.contains(&name) {
            return 0;
        }
        let Some(fragment) = self.document.fragments.get(name) else { return 0 };
        self.visiting.push(name);
        let depth = self.of(&fragment.node.selection_set);
        self.visiting.pop();
        self.memo.insert(name, depth);
        depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(query: &str, max_depth: usize) -> Result<(), Breach> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        check(&document, &ShapeLimits { max_depth })
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        let query = "{ a { b { ...F } } } fragment F on T { c { ... on U { d } } }";
        assert!(depth_ok(query, 4).is_ok());
        assert_eq!(depth_ok(query, 3).unwrap_err().code, "DEPTH_LIMIT");
    }

    #[test]
    fn introspection_is_not_counted() {
        let query = "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }";
        assert!(depth_ok(query, 1).is_ok());
    }

    #[test]
    fn fragment_cycles_do_not_hang() {
        assert!(depth_ok("{ a { ...F } } fragment F on T { b { ...F } }", 5).is_ok());
    }
}
