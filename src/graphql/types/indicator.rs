//! `Indicator`: a measurable quantity, with its targets and observations.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};

use crate::db::observations::CityScope;
use crate::domain::Indicator;
use crate::domain::query::{Filter, ListQuery, Page, Relation, SortKey, Texts};
use crate::graphql::limits::bounds;
use crate::graphql::request::loaders::Loaders;
use crate::graphql::request::loaders::{PageKey, QueryKey};
use crate::graphql::types::enums::{Direction, Membership};
use crate::graphql::types::filter::{SortDirection, StringFilter, combine, enum_filter};
use crate::graphql::types::lists;
use crate::graphql::types::node::global_id;
use crate::graphql::types::observation::{ObservationFilter, ObservationNode, ObservationOrder};
use crate::graphql::types::paging::{Conn, connection, page};
use crate::graphql::types::ranking::{self, RankNode};
use crate::graphql::types::related::{ObservationSetFilter, TargetSetFilter};
use crate::graphql::types::rollup::AggregationRule;
use crate::graphql::types::target::{TargetFilter, TargetNode, TargetOrder, target_query};
use crate::graphql::{ApiResult, db_error, loaders};

/// A measurable quantity that observations are recorded against and targets are set on.
#[derive(Clone)]
pub struct IndicatorNode(pub Arc<Indicator>);

/// A measurable quantity that observations are recorded against and targets are set on.
#[Object(name = "Indicator")]
impl IndicatorNode {
    /// Global ID (Relay Object Identification); pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Indicator", &self.0.code)
    }

    /// Stable code, e.g. `services_share_gdp`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// English name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }

    /// Chinese statistical name, where the sources give one.
    async fn name_zh(&self) -> Option<&str> {
        self.0.name_zh.as_deref()
    }

    /// Unit of observed values, e.g. `% of GDP` or `yuan per person per year`.
    async fn unit(&self) -> &str {
        &self.0.unit
    }

    /// Which way is better.
    async fn direction(&self) -> Direction {
        self.0.direction.into()
    }

    /// How values of several places combine: a sum, the ratio of its parts' sums (a share),
    /// a weighted mean (a per-person value), or not at all. `Province.rollup` and
    /// `Plan.rollup` combine by this rule.
    async fn aggregation(&self) -> AggregationRule {
        (&self.0.aggregation()).into()
    }

    /// What the indicator measures and the caveats of its published definitions.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Lowest physically possible value in `unit` (a share cannot be below 0), if any.
    async fn min_value(&self) -> Option<f64> {
        self.0.min_value
    }

    /// Highest physically possible value in `unit` (a share cannot exceed 100), if any.
    async fn max_value(&self) -> Option<f64> {
        self.0.max_value
    }

    /// The plan's targets on this indicator.
    async fn targets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only targets matching this filter.")] filter: Option<Box<TargetFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in code order.")] order_by: Option<
            Vec<TargetOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<TargetNode>> {
        let page = page(ctx, first, after, last, before)?;
        let key = PageKey {
            parent: self.0.code.clone(),
            query: QueryKey::new(target_query(filter, order_by, page)?),
        };
        let listed = loaders(ctx)?.indicator_targets().load_one(key).await.map_err(db_error)?;
        Ok(connection(&page, &listed.unwrap_or_default(), TargetNode))
    }

    /// Observations of this indicator, for every subject.
    async fn observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only observations matching this filter.")] filter: Option<Box<ObservationFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in id order.")] order_by: Option<
            Vec<ObservationOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<ObservationNode>> {
        let (parent, args) = (self.0.code.clone(), (first, after, last, before));
        lists::observations_of(ctx, Loaders::indicator_observations, parent, filter, order_by, args).await
    }

    /// The plan cities with a value of this indicator in `year`, best first by its direction,
    /// with rank and percentile: within the plan, or within one province.
    async fn ranking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The year ranked.")] year: i32,
        #[graphql(desc = "Only cities of this province (6-digit code).")] province_code: Option<String>,
        #[graphql(
            default_with = "vec![Membership::Confirmed]",
            desc = "Which entries to rank: confirmed ones by default."
        )]
        membership: Vec<Membership>,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<RankNode>> {
        let scope = CityScope {
            province_code,
            region: None,
            memberships: ranking::memberships(membership),
            filter: None,
        };
        ranking::rank(ctx, &self.0, year, scope, (first, after, last, before)).await
    }
}

enum_filter!(
    /// Conditions on a direction.
    DirectionFilter,
    Direction
);

/// Which indicators to list. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct IndicatorFilter {
    /// All of these filters hold.
    pub and: Option<Vec<IndicatorFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<IndicatorFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<IndicatorFilter>>,
    /// The code.
    pub code: Option<StringFilter>,
    /// Either name, English or Chinese.
    pub name: Option<StringFilter>,
    /// The English name.
    pub name_en: Option<StringFilter>,
    /// The Chinese name.
    pub name_zh: Option<StringFilter>,
    /// The unit.
    pub unit: Option<StringFilter>,
    /// Which way is better.
    pub direction: Option<DirectionFilter>,
    /// The indicator's observations, of every subject: `some`, `every` or `none` of them match
    /// (`every` and `none` hold for an indicator without observations).
    pub observations: Option<Box<ObservationSetFilter>>,
    /// The targets set on the indicator: `some`, `every` or `none` of them match (`every` and
    /// `none` hold for an indicator without targets).
    pub targets: Option<Box<TargetSetFilter>>,
}
bounds::logical!(IndicatorFilter; sets: observations, targets);

impl IndicatorFilter {
    /// The filter as a condition tree.
    pub fn to_filter(&self) -> Filter {
        let mut fields = Vec::new();
        fields.extend(self.code.as_ref().map(|f| f.on("code")));
        fields.extend(self.name.as_ref().map(|f| Filter::Any(vec![f.on("name_en"), f.on("name_zh")])));
        fields.extend(self.name_en.as_ref().map(|f| f.on("name_en")));
        fields.extend(self.name_zh.as_ref().map(|f| f.on("name_zh")));
        fields.extend(self.unit.as_ref().map(|f| f.on("unit")));
        fields.extend(self.direction.as_ref().map(|f| f.on("direction")));
        fields.extend(self.observations.as_ref().map(|f| f.on(Relation::IndicatorObservations)));
        fields.extend(self.targets.as_ref().map(|f| f.on(Relation::IndicatorTargets)));
        let list = |v: &Option<Vec<Self>>| v.as_ref().map(|v| v.iter().map(Self::to_filter).collect());
        combine(fields, list(&self.and), list(&self.or), self.not.as_ref().map(|f| f.to_filter()))
    }
}

/// A field indicators can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum IndicatorOrderField {
    /// Code.
    Code,
    /// English name.
    NameEn,
}

/// One sort key for indicators.
#[derive(InputObject, Copy, Clone, Debug)]
pub struct IndicatorOrder {
    /// The field to sort by.
    pub field: IndicatorOrderField,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// An indicator list request as a domain query.
pub fn indicator_query(
    filter: Option<Box<IndicatorFilter>>,
    order_by: Option<Vec<IndicatorOrder>>,
    page: Page,
) -> ApiResult<ListQuery> {
    let order = order_by.unwrap_or_default().into_iter().map(|o| SortKey {
        column: match o.field {
            IndicatorOrderField::Code => "code",
            IndicatorOrderField::NameEn => "name_en",
        },
        descending: o.direction == SortDirection::Desc,
    });
    let query = ListQuery {
        filter: filter.as_ref().map(|f| f.to_filter()),
        order: order.collect(),
        page,
        texts: Texts::All,
    };
    bounds::checked(filter.as_deref(), query)
}

/// Every field of a indicator is resolved by the executor.
impl crate::graphql::types::plain::PlainFields for IndicatorNode {}
