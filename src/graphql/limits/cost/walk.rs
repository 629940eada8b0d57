//! The walk over a document: every field of the operation, fragments expanded, each adding
//! its list items and rows read for the parents above it, by the rule of [`super::rules`].

use async_graphql::parser::types::{ExecutableDocument, Field};
use async_graphql::{Value, Variables};

use super::rules::{Rule, Step, rule};
use super::{Estimate, related_cost};
use crate::db::Stats;
use crate::graphql::schema_map::{SchemaMap, each_field};
use crate::graphql::types::paging::PageLimits;

pub(super) struct Walk<'a> {
    pub(super) document: &'a ExecutableDocument,
    pub(super) map: &'a SchemaMap,
    pub(super) stats: &'a Stats,
    pub(super) pages: PageLimits,
    pub(super) variables: &'a Variables,
    /// Inside `evaluate`: how many values the what-if series has.
    pub(super) what_if: Option<u64>,
    /// Inside a roll-up: the most cities in its scope (a province's, or every city).
    pub(super) rollup_scope: Option<u64>,
    /// Inside a list of entries: what its filter's relation filters read, again for each facet.
    pub(super) facet_filter_reads: u64,
    pub(super) estimate: Estimate,
    /// Nodes and reads by the path of the fields they come from.
    pub(super) shares: std::collections::HashMap<String, (u64, u64)>,
    /// Fields visited so far, fragments expanded.
    pub(super) visits: usize,
}

/// Most fields a document may expand to through its fragments (a query a person writes has a
/// few hundred).
pub(super) const MAX_VISITS: usize = 100_000;

impl<'a> Walk<'a> {
    /// Adds the fields of `set` on `parent`, for `m` parent objects. `page` is the page size of
    /// the connection `parent` is, if it is one; `path` names the fields above.
    pub(super) fn set(
        &mut self,
        set: &'a async_graphql::parser::types::SelectionSet,
        parent: &'a str,
        m: u64,
        page: Option<u64>,
        path: &mut Vec<&'a str>,
    ) {
        let mut fields = Vec::new();
        let visits = &mut self.visits;
        // Every fragment counts, whatever its type condition: an upper bound. Spreading
        // fragments in fragments can make a short document expand exponentially: past
        // MAX_VISITS fields the walk stops, and the query is refused.
        let walked = each_field(self.document, set, parent, &|_| true, &mut |visited| {
            *visits += 1;
            if *visits > MAX_VISITS {
                return std::ops::ControlFlow::Break(());
            }
            fields.push((visited.parent, visited.field));
            std::ops::ControlFlow::Continue(())
        });
        if walked.is_break() {
            self.estimate.expands_too_far = true;
            return;
        }
        for (parent, field) in fields {
            if self.estimate.expands_too_far {
                return;
            }
            self.field(parent, field, m, page, path);
        }
    }

    pub(super) fn field(
        &mut self,
        parent: &'a str,
        field: &'a Field,
        m: u64,
        page: Option<u64>,
        path: &mut Vec<&'a str>,
    ) {
        let name = field.name.node.as_str();
        if let Some(items) = self.introspection(name) {
            // An introspection answer is built from the schema, not read: as many list items
            // as the whole answer can hold, whatever part of it is selected.
            let step = Step { list: true, k: items, reads: 0 };
            self.add(field, path, m, &step, true);
            return;
        }
        let Some(ty) = self.map.field(parent, name) else { return }; // invalid: validation refuses it
        let step = self.step(parent, name, field, m, page);
        let filter_reads = self.filter_reads(parent, name, field, m);
        let facets = if parent == "CityFacets" { self.facet_filter_reads } else { 0 };
        let step = Step { reads: step.reads.saturating_add(filter_reads).saturating_add(facets), ..step };
        // Items count as nodes where they are objects (a list of years is not).
        let objects = step.list && self.is_object(&ty.name);
        self.add(field, path, m, &step, objects);
        let plumbing = matches!(name, "nodes" | "edges" | "node");
        if !plumbing {
            path.push(name);
        }
        let connection = ty.name.ends_with("Connection").then_some(step.k);
        let below = if objects { m.saturating_mul(step.k) } else { m };
        let (what_if, rollup_scope, facet_filter_reads) =
            (self.what_if, self.rollup_scope, self.facet_filter_reads);
        if ty.name == "CityConnection" {
            self.facet_filter_reads = filter_reads;
        }
        match (parent, name) {
            ("Query", "evaluate") => self.what_if = Some(self.list_length(field, "observations")),
            ("Plan", "rollup") => self.rollup_scope = Some(self.stats.cities),
            ("Province", "rollup") => self.rollup_scope = Some(self.stats.cities_per_province),
            _ => {}
        }
        self.set(&field.selection_set.node, &ty.name, below, connection, path);
        (self.what_if, self.rollup_scope, self.facet_filter_reads) =
            (what_if, rollup_scope, facet_filter_reads);
        if !plumbing {
            path.pop();
        }
    }

    /// Counts a field's nodes and reads toward the totals and toward its path's share.
    pub(super) fn add(&mut self, field: &Field, path: &[&'a str], m: u64, step: &Step, counted_here: bool) {
        let nodes = if step.list && counted_here { m.saturating_mul(step.k) } else { 0 };
        self.estimate.nodes = self.estimate.nodes.saturating_add(nodes);
        self.estimate.reads = self.estimate.reads.saturating_add(step.reads);
        if nodes == 0 && step.reads == 0 {
            return;
        }
        // "observations under cities under provinces", by field name (twenty aliases of one
        // field are one share): a page's items are its connection's.
        let name = field.name.node.as_str();
        let (own, above) = match (name, path.split_last()) {
            ("nodes" | "edges", Some((own, above))) => (*own, above),
            _ => (name, path),
        };
        let described =
            std::iter::once(own).chain(above.iter().rev().copied()).collect::<Vec<_>>().join(" under ");
        let share = self.shares.entry(described).or_default();
        share.0 = share.0.saturating_add(nodes);
        share.1 = share.1.saturating_add(step.reads);
    }
}

impl Walk<'_> {
    /// The list items an introspection field can answer with (`__typename` has none).
    pub(super) fn introspection(&self, name: &str) -> Option<u64> {
        match name {
            "__schema" => Some(self.map.introspection.schema),
            "__type" => Some(self.map.introspection.largest_type),
            _ => None,
        }
    }

    /// What a list's relation filters may read: for every row its filter is evaluated on (each
    /// row of the table it may number, each city a target's evaluations judge, each observation
    /// of a write an event lists), what [`related_cost::per_row`] counts.
    pub(super) fn filter_reads(&self, parent: &str, name: &str, field: &Field, m: u64) -> u64 {
        let (Some(filter), Some(value)) = (self.map.filter(parent, name), self.argument(field, "filter"))
        else {
            return 0;
        };
        let per_row = related_cost::per_row(&value, filter, self.stats);
        let s = self.stats;
        let rows = match rule(parent, name) {
            Some(Rule::Whole(total)) => m.saturating_mul(total(s)),
            Some(Rule::Keyed(max, total)) => m.saturating_mul(max(s)).min(total(s)),
            Some(Rule::Evaluations) => m.saturating_mul(s.cities),
            _ => m.saturating_mul(s.observations),
        };
        rows.saturating_mul(per_row)
    }

    pub(super) fn is_object(&self, name: &str) -> bool {
        self.map.has_fields(name)
    }

    /// The page a connection field asks for: `first` or `last`, else the default page; never
    /// more than the largest page (a larger one fails with PAGE_SIZE_LIMIT before it reads).
    pub(super) fn page_size(&self, field: &Field) -> u64 {
        let asked = ["first", "last"].iter().find_map(|arg| match self.argument(field, arg) {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        });
        asked.unwrap_or(self.pages.default_size.into()).min(self.pages.max_size.into())
    }

    pub(super) fn list_length(&self, field: &Field, argument: &str) -> u64 {
        match self.argument(field, argument) {
            Some(Value::List(items)) => items.len() as u64,
            Some(_) => 1,
            None => 0,
        }
    }

    /// An argument's value, with variables resolved.
    pub(super) fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n.node == name)?;
        value.node.clone().into_const_with(|var| self.variables.get(&var).cloned().ok_or(())).ok()
    }
}
