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

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Field, OperationType};
use async_graphql::{Name, Value, Variables};

use crate::db::Stats;
use crate::graphql::limits::related_cost;
use crate::graphql::schema_map::{SchemaMap, each_field};
use crate::graphql::types::facets::FACET_CAP;
use crate::graphql::types::paging::PageLimits;

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

struct Walk<'a> {
    document: &'a ExecutableDocument,
    map: &'a SchemaMap,
    stats: &'a Stats,
    pages: PageLimits,
    variables: &'a Variables,
    /// Inside `evaluate`: how many values the what-if series has.
    what_if: Option<u64>,
    /// Inside a roll-up: the most cities in its scope (a province's, or every city).
    rollup_scope: Option<u64>,
    /// Inside a list of entries: what its filter's relation filters read, again for each facet.
    facet_filter_reads: u64,
    estimate: Estimate,
    /// Nodes and reads by the path of the fields they come from.
    shares: std::collections::HashMap<String, (u64, u64)>,
    /// Fields visited so far, fragments expanded.
    visits: usize,
}

/// Most fields a document may expand to through its fragments (a query a person writes has a
/// few hundred).
const MAX_VISITS: usize = 100_000;

impl<'a> Walk<'a> {
    /// Adds the fields of `set` on `parent`, for `m` parent objects. `page` is the page size of
    /// the connection `parent` is, if it is one; `path` names the fields above.
    fn set(
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

    fn field(
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
    fn add(&mut self, field: &Field, path: &[&'a str], m: u64, step: &Step, counted_here: bool) {
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

/// How a field that returns objects multiplies its parents and what it reads. Every such field
/// of the schema has one (a test checks).
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A root list over a whole table, read again for each parent (`Plan.provinces` under
    /// every province's `plan`): the table's rows.
    Whole(fn(&Stats) -> u64),
    /// A list batched over its parents: the most rows one parent has, and the table's rows.
    Keyed(fn(&Stats) -> u64, fn(&Stats) -> u64),
    /// An indicator's ranking: the values of its year, read per indicator.
    Ranking,
    /// A target's evaluations: every city judged, then the page built.
    Evaluations,
    /// A target's gaps (`Gaps(1)`), or every target's (`Gaps(0)`): every city judged.
    Gaps(u64),
    /// A connection's `nodes` or `edges`: its page.
    Page,
    /// The evaluation of every target for a subject.
    Evaluation,
    /// A list of this many items per parent, reading this many rows per parent.
    Items(fn(&Stats) -> u64, fn(&Stats) -> u64),
    /// A what-if evaluation's series: as long as the series given.
    WhatIfSeries,
    /// A list as long as an argument (`nodes(ids:)`), reading this many rows per item.
    Argument(&'static str, u64),
    /// One object read by key: at most one row per parent, and no more than the table.
    Lookup(fn(&Stats) -> u64),
    /// One object a root field searches for, reading at most this many rows.
    Search(fn(&Stats) -> u64),
    /// A roll-up: its indicator, and the cities in scope with up to two points each.
    Rollup,
    /// A roll-up's cities, or the observations it used: at most the cities in its scope (twice
    /// for the observations).
    RollupItems(u64),
    /// One object read once for every parent of a list (a target's status tally by province):
    /// this many rows, whatever the number of parents.
    Once(fn(&Stats) -> u64),
    /// One object already in memory (an evaluation's target, a page's info).
    Held,
}

fn rule(parent: &str, name: &str) -> Option<Rule> {
    use Rule::*;
    Some(match (parent, name) {
        ("Query" | "Plan", "provinces") => Whole(|s| s.provinces),
        ("Query" | "Plan", "cities") => Whole(|s| s.cities),
        ("Query" | "Plan", "indicators") => Whole(|s| s.indicators),
        ("Query" | "Plan", "targets") => Whole(|s| s.targets),
        ("Query", "observations") => Whole(|s| s.observations),
        ("Province", "cities") => Keyed(|s| s.cities_per_province, |s| s.cities),
        ("Province", "observations") => Keyed(|s| s.observations_per_province, |s| s.observations),
        ("City", "observations") => Keyed(|s| s.observations_per_city, |s| s.observations),
        ("Indicator", "observations") => Keyed(|s| s.observations_per_indicator, |s| s.observations),
        ("Indicator", "targets") => Keyed(|s| s.targets_per_indicator, |s| s.targets),
        ("Indicator", "ranking") => Ranking,
        ("Target", "evaluations") => Evaluations,
        ("Target", "gaps") => Gaps(1),
        ("Plan", "gaps") => Gaps(0),
        ("PlanGaps", "targets") => Items(|s| s.targets, |_| 0),
        ("TargetGaps", "entries") => Items(|s| s.cities.max(1), |_| 0),
        // A missing value per year of the target and per indicator (its own, two inputs).
        ("EntryGap", "missing") => Items(|s| s.years_per_target.saturating_mul(3), |_| 0),
        ("TargetGaps", "missingValues") => Items(|s| s.years_per_target.saturating_mul(3), |_| 0),
        ("PlanGaps", "missingValues") => {
            Items(|s| s.years_per_target.saturating_mul(3).saturating_mul(s.targets), |_| 0)
        }
        ("TargetGaps", "template") => {
            Items(|s| s.cities.max(1).saturating_mul(s.years_per_target.saturating_mul(3)), |_| 0)
        }
        ("PlanGaps", "template") => Items(
            |s| {
                s.cities.max(1).saturating_mul(s.years_per_target.saturating_mul(3)).saturating_mul(s.targets)
            },
            |_| 0,
        ),
        ("EntryGap", "holds") => Items(
            |s| s.observations_per_series.saturating_mul(3),
            |s| s.observations_per_series.saturating_mul(3),
        ),
        (_, "nodes" | "edges") if parent.ends_with("Connection") => Page,
        (_, "statusCounts") => Items(|_| 7, |_| 0),
        ("City" | "Province" | "Plan", "evaluation") => Evaluation,
        ("City", "sources") => Items(|s| s.sources_per_city, |s| s.sources_per_city),
        ("TargetEvaluation", "observations") => Items(
            |s| s.observations_per_series.saturating_mul(3),
            |s| s.observations_per_series.saturating_mul(3),
        ),
        ("TargetEvaluation", "series") => WhatIfSeries,
        ("YearValue", "derivedFrom") => Items(|_| 2, |_| 2),
        ("Plan", "milestones") => Items(|s| s.milestones, |s| s.milestones),
        ("Plan", "strategicIndustries") => Items(|s| s.industries, |s| s.industries),
        ("Plan", "countsByTier") => Items(|_| 4, |_| 4),
        ("Plan", "countsByEvidence") => Items(|_| 3, |_| 6),
        (_, "facets") => Held,
        ("CityFacets", _) => Items(|_| FACET_CAP as u64, |_| FACET_CAP as u64),
        ("EvaluationFacets", _) => Items(|_| FACET_CAP as u64, |_| 0),
        ("Province" | "Plan", "rollup") => Rollup,
        ("Province", "statusTally") => {
            Once(|s| s.cities.saturating_add(s.observations_per_target).saturating_add(1))
        }
        ("Rollup", "contributing" | "missing") => RollupItems(1),
        ("Rollup", "observations") => RollupItems(2),
        ("Query", "nodes") => Argument("ids", 1),
        ("Mutation", "recordObservations") => Argument("input", 5),
        // One event's worth: a write's observations (listed up to 1,000), or one evaluation
        // read with its series.
        ("Subscription", "observationsRecorded") => Held,
        ("ObservationsRecorded", "observations") => Items(|_| 1_000, |_| 1_000),
        ("Subscription", "evaluationChanged") => {
            Once(|s| s.observations_per_series.saturating_mul(3).saturating_add(2))
        }
        ("City" | "Observation", "province") | ("Province", "coverage") => Lookup(|s| s.provinces),
        ("Observation" | "CityRank", "city") => Lookup(|s| s.cities),
        (
            "Observation" | "TargetEvaluation" | "Target" | "MissingValue" | "MissingValueCount",
            "indicator",
        ) => Lookup(|s| s.indicators),
        ("EntryGap", "evaluation") => Held,
        // By code (one row), English name, and Chinese name with each suffix a person may
        // leave off (each as many rows as share a name), else the best English-prefix match.
        ("Query", "city") => Search(|s| {
            let names = 2 + crate::db::reference::ZH_SUFFIXES.len() as u64;
            s.cities_per_name.saturating_mul(names).saturating_add(2)
        }),
        ("Query", "province" | "indicator" | "target" | "node") => Search(|_| 1),
        (_, "pageInfo" | "node" | "plan" | "target" | "city" | "province" | "observation" | "indicator")
        | ("Plan", "officialPeriod" | "reportedPeriod")
        | ("Query", "evaluate") => Held,
        _ => return None,
    })
}

/// What one field adds for its parents: items per parent (a list's), and rows read.
struct Step {
    list: bool,
    k: u64,
    reads: u64,
}

impl Walk<'_> {
    fn step(&self, parent: &str, name: &str, field: &Field, m: u64, page: Option<u64>) -> Step {
        let s = self.stats;
        let asked = self.page_size(field);
        let one = |reads: u64| Step { list: false, k: 1, reads };
        let items =
            |k: u64, reads_per_parent: u64| Step { list: true, k, reads: m.saturating_mul(reads_per_parent) };
        let connection = |k: u64, reads: u64| Step { list: false, k, reads };
        let Some(rule) = rule(parent, name) else {
            // A scalar (in its parent's row; the plan's come from its record and its entry
            // counts, each read once per request), or an object field without a rule (a test
            // fails): a whole largest page of it.
            let max = u64::from(self.pages.max_size);
            return match self.map.field(parent, name) {
                Some(ty) if self.is_object(&ty.name) => items(max, max),
                _ => one(if parent == "Plan" { m.saturating_mul(2) } else { 0 }),
            };
        };
        match rule {
            Rule::Whole(total) => {
                let k = asked.min(total(s));
                connection(k, m.saturating_mul(total(s).saturating_add(k)))
            }
            Rule::Keyed(max, total) => {
                let k = asked.min(max(s));
                connection(k, m.saturating_mul(max(s)).min(total(s)).saturating_add(m.saturating_mul(k)))
            }
            Rule::Ranking => {
                let k = asked.min(s.observations_per_indicator).min(s.cities);
                connection(k, m.saturating_mul(s.observations_per_indicator.saturating_add(k)))
            }
            Rule::Evaluations => {
                // Every city in scope is judged from its points of the target's indicators; then
                // the page's cities are read again, each with its series of up to three
                // indicators (the target's and its derivation's inputs).
                let k = asked.min(s.cities.max(1));
                let judged = s.cities.saturating_add(s.observations_per_target);
                let page = k.saturating_mul(s.observations_per_series.saturating_mul(3).saturating_add(1));
                connection(k, m.saturating_mul(judged.saturating_add(page)))
            }
            Rule::Gaps(targets) => {
                // Every city in scope judged from its points of the target's indicators, for
                // one target or for all of them; then the cities that lack values, read again.
                let targets = if targets == 0 { s.targets } else { targets };
                let judged = s.cities.saturating_mul(2).saturating_add(s.observations_per_target);
                one(m.saturating_mul(targets).saturating_mul(judged))
            }
            Rule::Page => Step { list: true, k: page.unwrap_or(asked), reads: 0 },
            Rule::Evaluation => Step {
                list: true,
                k: s.targets,
                reads: s
                    .targets
                    .saturating_add(m.saturating_mul(s.observations_per_subject).min(s.observations)),
            },
            Rule::Items(k, reads) => items(k(s), reads(s)),
            Rule::WhatIfSeries => {
                // A stored series holds published values and values derived in other years.
                items(self.what_if.unwrap_or(s.observations_per_series.saturating_mul(2)), 0)
            }
            Rule::Argument(argument, reads) => {
                let k = self.list_length(field, argument);
                items(k, k.saturating_mul(reads))
            }
            Rule::Rollup => {
                let scope = if parent == "Plan" { s.cities } else { s.cities_per_province };
                // The indicator's row, then each city's row with its points of the year.
                one(m.saturating_mul(scope.saturating_mul(3).saturating_add(1)))
            }
            Rule::RollupItems(per_city) => {
                let k = self.rollup_scope.unwrap_or(s.cities).saturating_mul(per_city);
                items(k, k)
            }
            Rule::Once(reads) => one(reads(s)),
            Rule::Lookup(total) => one(m.min(total(s))),
            Rule::Search(reads) => one(m.saturating_mul(reads(s))),
            Rule::Held => one(0),
        }
    }

    /// The list items an introspection field can answer with (`__typename` has none).
    fn introspection(&self, name: &str) -> Option<u64> {
        match name {
            "__schema" => Some(self.map.introspection.schema),
            "__type" => Some(self.map.introspection.largest_type),
            _ => None,
        }
    }

    /// What a list's relation filters may read: for every row its filter is evaluated on (each
    /// row of the table it may number, each city a target's evaluations judge, each observation
    /// of a write an event lists), what [`related_cost::per_row`] counts.
    fn filter_reads(&self, parent: &str, name: &str, field: &Field, m: u64) -> u64 {
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

    fn is_object(&self, name: &str) -> bool {
        self.map.has_fields(name)
    }

    /// The page a connection field asks for: `first` or `last`, else the default page; never
    /// more than the largest page (a larger one fails with PAGE_SIZE_LIMIT before it reads).
    fn page_size(&self, field: &Field) -> u64 {
        let asked = ["first", "last"].iter().find_map(|arg| match self.argument(field, arg) {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        });
        asked.unwrap_or(self.pages.default_size.into()).min(self.pages.max_size.into())
    }

    fn list_length(&self, field: &Field, argument: &str) -> u64 {
        match self.argument(field, argument) {
            Some(Value::List(items)) => items.len() as u64,
            Some(_) => 1,
            None => 0,
        }
    }

    /// An argument's value, with variables resolved.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n.node == name)?;
        value.node.clone().into_const_with(|var| self.variables.get(&var).cloned().ok_or(())).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_that_returns_objects_has_a_rule() {
        let map = SchemaMap::get();
        let missing: Vec<String> = map
            .all_fields()
            .filter(|(_, _, ty)| map.has_fields(&ty.name))
            .filter(|(parent, name, _)| rule(parent, name).is_none())
            .map(|(parent, name, _)| format!("{parent}.{name}"))
            .collect();
        assert!(missing.is_empty(), "no cost rule for {missing:?}");
    }

    #[test]
    fn figures_are_written_with_thousands_separators() {
        assert_eq!(thousands(412_000), "412,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
