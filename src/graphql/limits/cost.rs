//! What a query will cost, estimated from the document and from what the data holds, before
//! anything runs. Two figures, each an upper bound:
//!
//! - **nodes**: the items of every list in the answer (a connection's `nodes` or `edges`, a
//!   city's `evaluation`, …), each list weighed by the smaller of the page asked for (or the
//!   default page) and the most rows that relation has for any one parent in this data;
//! - **reads**: the rows the database hands back to answer it, numbering passes included.
//!
//! The maxima ([`Stats`]) are read when the database opens and again whenever the data version
//! moves, so `{ provinces { nodes { cities { nodes { observations { nodes … } } } } } }` weighs
//! 31 × the largest province × the most observations of one city, not three default pages.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Name, Value, Variables};

use crate::db::Stats;

mod rules;
mod walk;

use crate::graphql::limits::related_cost;
use crate::graphql::schema_map::SchemaMap;
use crate::graphql::types::paging::PageLimits;
use walk::{MAX_VISITS, Walk};

/// The most a query may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLimits {
    /// List items in the answer.
    pub nodes: u64,
    /// Rows read to answer it.
    pub reads: u64,
}

impl Default for CostLimits {
    fn default() -> Self {
        Self { nodes: 100_000, reads: 2_000_000 }
    }
}

/// A query's estimated cost, and where most of it comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    pub nodes: u64,
    pub reads: u64,
    /// The fields contributing most nodes, by path from the root ("cities under provinces").
    pub most_nodes: Option<(String, u64)>,
    /// The field contributing most reads.
    pub most_reads: Option<(String, u64)>,
    /// The document expands to more fields than [`MAX_VISITS`] through its fragments.
    pub expands_too_far: bool,
}

impl Estimate {
    /// `extensions.cost` of a response.
    pub fn extension(&self, limits: CostLimits) -> Value {
        let pair = |nodes: u64, reads: u64| {
            Value::Object(
                [(Name::new("nodes"), Value::from(nodes)), (Name::new("reads"), Value::from(reads))].into(),
            )
        };
        Value::Object(
            [
                (Name::new("estimate"), pair(self.nodes, self.reads)),
                (Name::new("limit"), pair(limits.nodes, limits.reads)),
            ]
            .into(),
        )
    }

    /// Why the query is refused, or `None` when it is within `limits`.
    pub fn refusal(&self, limits: CostLimits) -> Option<String> {
        if self.expands_too_far {
            let more = thousands(MAX_VISITS as u64);
            return Some(format!(
                "the document expands to more than {more} fields through its fragments: spread fewer"
            ));
        }
        let (what, estimate, limit, most) = if self.nodes > limits.nodes {
            ("list items", self.nodes, limits.nodes, &self.most_nodes)
        } else if self.reads > limits.reads {
            ("rows read", self.reads, limits.reads, &self.most_reads)
        } else {
            return None;
        };
        let from = most.as_ref().map_or(String::new(), |(path, n)| {
            format!(", the largest share ({}) from {path}", thousands(*n))
        });
        Some(format!(
            "estimated {} {what} (limit {}){from}: ask for fewer with `first:`, or for fewer levels",
            thousands(estimate),
            thousands(limit)
        ))
    }
}

/// 412000 → "412,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Estimates the operation `name` of `document` with `variables`, on data described by `stats`.
pub fn estimate(
    document: &ExecutableDocument,
    name: Option<&str>,
    variables: &Variables,
    stats: &Stats,
    pages: PageLimits,
) -> Estimate {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = operation else { return Estimate::default() };
    let mut values = variables.clone();
    for definition in &operation.node.variable_definitions {
        let (var, default) = (&definition.node.name.node, &definition.node.default_value);
        if let (false, Some(default)) = (values.contains_key(var), default) {
            values.insert(var.clone(), default.node.clone());
        }
    }
    let root = match operation.node.ty {
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
        _ => "Query",
    };
    let mut walk = Walk {
        document,
        map: SchemaMap::get(),
        stats,
        pages,
        variables: &values,
        what_if: None,
        rollup_scope: None,
        facet_filter_reads: 0,
        estimate: Estimate::default(),
        shares: Default::default(),
        visits: 0,
    };
    walk.set(&operation.node.selection_set.node, root, 1, None, &mut Vec::new());
    let largest = |pick: fn(&(u64, u64)) -> u64| {
        let (path, share) =
            walk.shares.iter().max_by_key(|(path, share)| (pick(share), std::cmp::Reverse(*path)))?;
        (pick(share) > 0).then(|| (path.clone(), pick(share)))
    };
    walk.estimate.most_nodes = largest(|s| s.0);
    walk.estimate.most_reads = largest(|s| s.1);
    walk.estimate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_with_thousands_separators() {
        assert_eq!(thousands(412_000), "412,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
