//! Relation filters: a list filtered by what its rows are related to. A to-many relation takes
//! `some`, `every` and `none`, each with the related type's own filter (which may hold relation
//! filters in turn); a to-one link takes the linked type's filter. `every` and `none` over an
//! empty set hold, as in SQL and PostGraphile. Each becomes one subquery of the list's own
//! statement (`db::related`); `bounds` limits how deep and how many, `related_cost` what they
//! may read.

use async_graphql::InputObject;

use crate::domain::query::{Filter, Quantifier, Relation};
use crate::graphql::limits::bounds::{self, Nested};
use crate::graphql::types::city::{CityFilter, EvidenceGradeFilter, membership_filter};
use crate::graphql::types::enums::Membership;
use crate::graphql::types::filter::combine;
use crate::graphql::types::observation::{ObservationFilter, OriginFilter};
use crate::graphql::types::target::TargetFilter;

/// Conditions on a set of related observations. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct ObservationSetFilter {
    /// At least one of them matches, e.g.
    /// `{ some: { indicatorCode: { eq: "services_share_gdp" }, year: { eq: 2012 } } }`;
    /// `{ some: {} }`: there is at least one.
    pub some: Option<Box<ObservationFilter>>,
    /// Every one of them matches. True when there are none:
    /// `{ every: { year: { gte: 2013 } } }` holds for an entry without observations (add
    /// `some: {}` to ask for at least one).
    pub every: Option<Box<ObservationFilter>>,
    /// Not one of them matches. True when there are none:
    /// `{ none: { origin: { eq: USER } } }` holds for an entry without observations;
    /// `{ none: {} }` holds exactly for those.
    pub none: Option<Box<ObservationFilter>>,
}

/// Conditions on a province's plan entries. Every condition given must hold.
#[derive(InputObject, Clone, Debug)]
pub struct CitySetFilter {
    /// Which entries count: confirmed ones by default, as `Province.cities` lists them; add
    /// `CANDIDATE` to count leads with indirect evidence too.
    #[graphql(default_with = "vec![Membership::Confirmed]")]
    pub membership: Vec<Membership>,
    /// At least one of them matches, e.g. `{ some: { observations: { some: {} } } }`: a
    /// province with a confirmed entry that has an observation.
    pub some: Option<Box<CityFilter>>,
    /// Every one of them matches. True when there are none:
    /// `{ every: { tier: { eq: PREFECTURE_LEVEL } } }` holds for a province without confirmed
    /// entries (add `some: {}` to ask for at least one).
    pub every: Option<Box<CityFilter>>,
    /// Not one of them matches. True when there are none:
    /// `{ none: { observations: { some: {} } } }` holds for a province where no confirmed
    /// entry has an observation, and for one without confirmed entries.
    pub none: Option<Box<CityFilter>>,
}

/// Conditions on the sources cited for an entry. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct CitySourceSetFilter {
    /// At least one of them matches, e.g. `{ some: { evidence: { eq: NAMES_PLAN } } }`: an
    /// entry a source names as the plan's.
    pub some: Option<Box<CitySourceFilter>>,
    /// Every one of them matches. True when there are none:
    /// `{ every: { evidence: { eq: INDIRECT } } }` holds for an entry without sources (a
    /// synthetic one); add `some: {}` to ask for at least one.
    pub every: Option<Box<CitySourceFilter>>,
    /// Not one of them matches. True when there are none:
    /// `{ none: { origin: { eq: USER } } }` holds for an entry without sources.
    pub none: Option<Box<CitySourceFilter>>,
}

/// Conditions on the targets set on an indicator. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct TargetSetFilter {
    /// At least one of them matches, e.g. `{ some: { kind: { eq: LEVEL } } }`.
    pub some: Option<Box<TargetFilter>>,
    /// Every one of them matches. True when there are none:
    /// `{ every: { targetYear: { eq: 2017 } } }` holds for an indicator without targets (add
    /// `some: {}` to ask for at least one).
    pub every: Option<Box<TargetFilter>>,
    /// Not one of them matches. True when there are none: `{ none: {} }` holds exactly for an
    /// indicator without targets.
    pub none: Option<Box<TargetFilter>>,
}

/// Which of an entry's cited sources to count. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct CitySourceFilter {
    /// All of these filters hold.
    pub and: Option<Vec<CitySourceFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<CitySourceFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<CitySourceFilter>>,
    /// How directly the source ties the entry to the plan.
    pub evidence: Option<EvidenceGradeFilter>,
    /// Whether the citation is the seed's or a user's import.
    pub origin: Option<OriginFilter>,
}
bounds::logical!(CitySourceFilter);

impl CitySourceFilter {
    /// The filter as a condition tree.
    pub fn to_filter(&self) -> Filter {
        let mut fields = Vec::new();
        fields.extend(self.evidence.as_ref().map(|f| f.on("evidence")));
        fields.extend(self.origin.as_ref().map(|f| f.on("origin")));
        let list = |v: &Option<Vec<Self>>| v.as_ref().map(|v| v.iter().map(Self::to_filter).collect());
        combine(fields, list(&self.and), list(&self.or), self.not.as_ref().map(|f| f.to_filter()))
    }
}

/// A to-one link's nested filter as a condition: the linked row exists and matches.
pub fn linked<F>(relation: Relation, filter: &F, to_filter: fn(&F) -> Filter) -> Filter {
    Filter::related(relation, Quantifier::Some, None, to_filter(filter))
}

/// The conditions of a set filter's `some`, `every` and `none`, all of which must hold.
fn quantified<F>(
    relation: Relation,
    within: Option<Filter>,
    [some, every, none]: [&Option<Box<F>>; 3],
    to_filter: fn(&F) -> Filter,
) -> Filter {
    let quantifiers = [(some, Quantifier::Some), (every, Quantifier::Every), (none, Quantifier::None)];
    Filter::All(
        quantifiers
            .into_iter()
            .filter_map(|(f, q)| {
                f.as_deref().map(|f| Filter::related(relation, q, within.clone(), to_filter(f)))
            })
            .collect(),
    )
}

/// The filters a set filter holds, for their own bounds.
fn held<F: bounds::Logical>(filters: [&Option<Box<F>>; 3]) -> Vec<&dyn Nested> {
    filters.into_iter().flatten().map(|f| f.as_ref() as &dyn Nested).collect()
}

impl ObservationSetFilter {
    /// The conditions on `relation`'s observations.
    pub fn on(&self, relation: Relation) -> Filter {
        quantified(relation, None, [&self.some, &self.every, &self.none], ObservationFilter::to_filter)
    }

    /// The observation filters it holds.
    pub fn filters(&self) -> Vec<&dyn Nested> {
        held([&self.some, &self.every, &self.none])
    }
}

impl CitySetFilter {
    /// The conditions on a province's entries.
    pub fn on(&self, relation: Relation) -> Filter {
        let within = Some(membership_filter(&self.membership));
        quantified(relation, within, [&self.some, &self.every, &self.none], CityFilter::to_filter)
    }

    /// The entry filters it holds.
    pub fn filters(&self) -> Vec<&dyn Nested> {
        held([&self.some, &self.every, &self.none])
    }
}

impl CitySourceSetFilter {
    /// The conditions on an entry's sources.
    pub fn on(&self, relation: Relation) -> Filter {
        quantified(relation, None, [&self.some, &self.every, &self.none], CitySourceFilter::to_filter)
    }

    /// The source filters it holds.
    pub fn filters(&self) -> Vec<&dyn Nested> {
        held([&self.some, &self.every, &self.none])
    }
}

impl TargetSetFilter {
    /// The conditions on an indicator's targets.
    pub fn on(&self, relation: Relation) -> Filter {
        quantified(relation, None, [&self.some, &self.every, &self.none], TargetFilter::to_filter)
    }

    /// The target filters it holds.
    pub fn filters(&self) -> Vec<&dyn Nested> {
        held([&self.some, &self.every, &self.none])
    }
}
