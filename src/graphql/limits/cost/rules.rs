//! The rule of every field that returns objects: how it multiplies its parents and what it
//! reads, from what the data holds. A developer adding such a field adds its rule here (a test
//! fails until they do).

use async_graphql::parser::types::Field;

use super::walk::Walk;
use crate::db::Stats;
use crate::graphql::types::facets::FACET_CAP;

/// How a field that returns objects multiplies its parents and what it reads. Every such field
/// of the schema has one (a test checks).
#[derive(Debug, Clone, Copy)]
pub(super) enum Rule {
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

pub(super) fn rule(parent: &str, name: &str) -> Option<Rule> {
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
pub(super) struct Step {
    pub(super) list: bool,
    pub(super) k: u64,
    pub(super) reads: u64,
}

impl Walk<'_> {
    pub(super) fn step(&self, parent: &str, name: &str, field: &Field, m: u64, page: Option<u64>) -> Step {
        let s = self.stats;
        let asked = self.page_size(field);
        let one = |reads: u64| Step { list: false, k: 1, reads };
        let items =
            |k: u64, reads_per_parent: u64| Step { list: true, k, reads: m.saturating_mul(reads_per_parent) };
        let connection = |k: u64, reads: u64| Step { list: false, k, reads };
        let Some(rule) = rule(parent, name) else {
            // A scalar (in its parent's row; the plan's come from its record and its entry
            // counts, each read once per request; an evaluation's source grade from the stored
            // observations it used, each read once per request), or an object field without a
            // rule (a test fails): a whole largest page of it.
            let max = u64::from(self.pages.max_size);
            return match self.map.field(parent, name) {
                Some(ty) if self.is_object(&ty.name) => items(max, max),
                _ if parent == "Plan" => one(m.saturating_mul(2)),
                _ if (parent, name) == ("TargetEvaluation", "sourceGrade") => {
                    one(m.saturating_mul(s.observations_per_series.saturating_mul(3)).min(s.observations))
                }
                _ => one(0),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::schema_map::SchemaMap;

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
}
