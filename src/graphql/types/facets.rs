//! Facets: for a list of entries or a target's evaluations, how many have each value of a
//! field (province, region, tier, membership, evidence, status), under the same filter as the
//! list, for building filter menus. Entry facets are counted in SQL, one statement per facet
//! for every list that asks; evaluation facets are counted from the verdicts already made.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, InputType, Object, SimpleObject, Value};

use crate::db::{DbError, ReadSession, reference};
use crate::domain::{self, CityFacet};
use crate::graphql::request::loaders::QueryKey;
use crate::graphql::types::city::CityNode;
use crate::graphql::types::enums::{CityTier, EvidenceGrade, Membership, Region};
use crate::graphql::types::paging::{Conn, Edge, PageInfo};
use crate::graphql::types::plain::Nodes;
use crate::graphql::{ApiResult, db_error, loaders};

/// Most values one facet lists (more than there are provinces).
pub const FACET_CAP: usize = 50;

/// One value of a facet and how many items have it.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct FacetValue {
    /// The value: a province's 6-digit code, or the enum value's name (`CENTRAL`,
    /// `PREFECTURE_LEVEL`, `CONFIRMED`, `NAMES_PLAN`, `ACHIEVED`); null for items without one.
    pub value: Option<String>,
    /// Items with this value.
    pub count: u32,
}

/// The name an enum value has in the schema.
pub fn enum_name<T: InputType>(value: T) -> String {
    match value.to_value() {
        Value::Enum(name) => name.to_string(),
        other => other.to_string(),
    }
}

/// The schema's name for a stored enum value (`Central` → `CENTRAL`).
pub fn named<D, G: From<D> + InputType>(parse: fn(&str) -> Option<D>, stored: &str) -> Option<String> {
    parse(stored).map(|value| enum_name(G::from(value)))
}

/// Counts of `values`, most frequent first (ties by value), at most [`FACET_CAP`].
pub fn tally(values: impl IntoIterator<Item = Option<String>>) -> Vec<FacetValue> {
    let mut counts: HashMap<Option<String>, u32> = HashMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    let mut facet: Vec<FacetValue> =
        counts.into_iter().map(|(value, count)| FacetValue { value, count }).collect();
    facet.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    facet.truncate(FACET_CAP);
    facet
}

/// A page of plan entries (Relay connection), with facets over the whole filtered list.
#[derive(SimpleObject)]
#[graphql(name = "CityConnection", complex)]
pub struct CityConnection {
    /// The page's items with their cursors.
    pub edges: Vec<Edge<CityNode>>,
    /// The page's items, for clients that need no cursors.
    pub nodes: Nodes<CityNode>,
    /// Where the page lies in the list.
    pub page_info: PageInfo,
    /// Number of items in the whole list (all pages) after the filter.
    pub total_count: u32,
    #[graphql(skip)]
    pub scope: FacetScope,
}

/// Which list a connection's facets count: its province (or the whole list) and its query.
#[derive(Clone)]
pub struct FacetScope {
    pub province: Option<String>,
    pub query: QueryKey,
}

impl CityConnection {
    pub fn new(page: Conn<CityNode>, scope: FacetScope) -> Self {
        Self {
            edges: page.edges,
            nodes: page.nodes,
            page_info: page.page_info,
            total_count: page.total_count,
            scope,
        }
    }
}

#[ComplexObject]
impl CityConnection {
    /// How many entries of the whole filtered list (every page) have each value of a field.
    async fn facets(&self) -> CityFacets {
        CityFacets(self.scope.clone())
    }
}

/// Counts of a list of entries by field, most frequent first, at most 50 values each.
pub struct CityFacets(FacetScope);

impl CityFacets {
    async fn count(&self, ctx: &Context<'_>, facet: CityFacet) -> ApiResult<Vec<FacetValue>> {
        let key = FacetKey { province: self.0.province.clone(), query: self.0.query.clone(), facet };
        let stored = loaders(ctx)?.facets().load_one(key).await.map_err(db_error)?.unwrap_or_default();
        let name = |stored: &str| -> Option<String> {
            match facet {
                CityFacet::Province => Some(stored.to_string()),
                CityFacet::Region => named::<_, Region>(domain::Region::parse, stored),
                CityFacet::Tier => named::<_, CityTier>(domain::CityTier::parse, stored),
                CityFacet::Membership => named::<_, Membership>(domain::Membership::parse, stored),
                CityFacet::Evidence => named::<_, EvidenceGrade>(domain::EvidenceGrade::parse, stored),
            }
        };
        let values = stored
            .iter()
            .map(|(value, count)| FacetValue { value: value.as_deref().and_then(name), count: *count });
        Ok(values.take(FACET_CAP).collect())
    }
}

/// Counts of a list of entries by field, most frequent first, at most 50 values each.
#[Object]
impl CityFacets {
    /// By province (6-digit code).
    async fn province(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetValue>> {
        self.count(ctx, CityFacet::Province).await
    }

    /// By the province's statistical region.
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetValue>> {
        self.count(ctx, CityFacet::Region).await
    }

    /// By tier.
    async fn tier(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetValue>> {
        self.count(ctx, CityFacet::Tier).await
    }

    /// By membership.
    async fn membership(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetValue>> {
        self.count(ctx, CityFacet::Membership).await
    }

    /// By the strongest grade of the entry's sources (null for an entry without one).
    async fn evidence(&self, ctx: &Context<'_>) -> ApiResult<Vec<FacetValue>> {
        self.count(ctx, CityFacet::Evidence).await
    }
}

/// One list's facet to count.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FacetKey {
    pub province: Option<String>,
    pub query: QueryKey,
    pub facet: CityFacet,
}

/// Counts facets: one statement for every list that asks for the same facet of the same query.
pub struct FacetCounts {
    pub session: Arc<ReadSession>,
}

/// A facet's stored values with their counts, most frequent first.
pub type Counts = Arc<Vec<(Option<String>, u32)>>;

impl Loader<FacetKey> for FacetCounts {
    type Value = Counts;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[FacetKey]) -> Result<HashMap<FacetKey, Counts>, Self::Error> {
        let mut groups: HashMap<(&QueryKey, CityFacet, bool), Vec<&FacetKey>> = HashMap::new();
        for key in keys {
            groups.entry((&key.query, key.facet, key.province.is_some())).or_default().push(key);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((query, facet, by_province), keys) in groups {
            let provinces: Vec<String> = keys.iter().filter_map(|k| k.province.clone()).collect();
            let scope = by_province.then_some(provinces.as_slice());
            let mut counts = self.session.read(|c| reference::city_facet(c, scope, &query.query, facet))?;
            for key in keys {
                let found = counts.remove(key.province.as_deref().unwrap_or("")).unwrap_or_default();
                out.insert(key.clone(), Arc::new(found));
            }
        }
        Ok(out)
    }
}

/// Counts of a target's evaluations by field, under the list's filter, most frequent first, at
/// most 50 values each.
#[derive(SimpleObject, Default)]
pub struct EvaluationFacets {
    /// By the city's province (6-digit code).
    pub province: Vec<FacetValue>,
    /// By the city's statistical region.
    pub region: Vec<FacetValue>,
    /// By the city's tier.
    pub tier: Vec<FacetValue>,
    /// By the city's membership.
    pub membership: Vec<FacetValue>,
    /// By the strongest grade of the city's sources.
    pub evidence: Vec<FacetValue>,
    /// By status.
    pub status: Vec<FacetValue>,
}
