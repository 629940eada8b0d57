//! `Target`: one of the plan's 2017 targets, as the announcement reports it.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};

use crate::domain::Target;
use crate::domain::query::{Filter, ListQuery, Page, Relation, SortKey, Texts};
use crate::graphql::limits::bounds;
use crate::graphql::types::enums::{Direction, TargetKind};
use crate::graphql::types::evaluation::EvaluationOptionsInput;
use crate::graphql::types::filter::{IntFilter, SortDirection, StringFilter, combine, enum_filter};
use crate::graphql::types::gaps::{self, GapFilter, TargetGapsNode};
use crate::graphql::types::indicator::{DirectionFilter, IndicatorFilter, IndicatorNode};
use crate::graphql::types::node::global_id;
use crate::graphql::types::plan::PlanNode;
use crate::graphql::types::related::linked;
use crate::graphql::types::target_evaluations::{
    self, CityEvaluationFilter, EvaluationOrder, TargetEvaluationConnection,
};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// A target of the plan for the plan area as a whole, as reported by the announcement of
/// 2013-04-02 (the plan's own indicator table was not found: read `caveats`).
#[derive(Clone)]
pub struct TargetNode(pub Arc<Target>);

/// A target of the plan for the plan area as a whole, as reported by the announcement of
/// 2013-04-02 (the plan's own indicator table was not found: read `caveats`).
#[Object(name = "Target")]
impl TargetNode {
    /// Global ID (Relay Object Identification); pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Target", &self.0.code)
    }

    /// Stable code, e.g. `services_share_2017`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The target as the announcement words it, in English (no Chinese wording was found).
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }

    /// Unit of `targetValue` (for CHANGE_FROM_BASELINE targets, of the stated percent change).
    async fn unit(&self) -> &str {
        &self.0.unit
    }

    /// Level, change from baseline, or cumulative total.
    async fn kind(&self) -> TargetKind {
        self.0.kind.into()
    }

    /// Which way is better.
    async fn direction(&self) -> Direction {
        self.0.direction.into()
    }

    /// The year progress is measured from (2012 for all six; assumed where the source is silent).
    async fn baseline_year(&self) -> i32 {
        self.0.baseline_year
    }

    /// A baseline value stated with the target, in the indicator's unit; null when the
    /// baseline must come from observations.
    async fn baseline_value(&self) -> Option<f64> {
        self.0.baseline_value
    }

    /// The year the target falls due.
    async fn target_year(&self) -> i32 {
        self.0.target_year
    }

    /// LEVEL: the level to reach; CUMULATIVE: the total of annual flows to reach; in the
    /// indicator's unit. Null for CHANGE_FROM_BASELINE targets.
    async fn target_value(&self) -> Option<f64> {
        self.0.target_value
    }

    /// CHANGE_FROM_BASELINE: the relative change to reach as a fraction (−0.32 is a 32 % cut).
    /// Null for other kinds.
    async fn target_change(&self) -> Option<f64> {
        self.0.target_change
    }

    /// `plan`: the target is set for the plan area as a whole, not for each city.
    async fn scope(&self) -> &str {
        &self.0.scope
    }

    /// What the source leaves open (denominators, definitions, baseline year), not guessed away.
    async fn caveats(&self) -> &str {
        &self.0.caveats
    }

    /// Address of the source of the target's numbers.
    async fn source_url(&self) -> &str {
        &self.0.source_url
    }

    /// The indicator the target is set on.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<IndicatorNode> {
        let code = self.0.indicator_code.clone();
        let indicator = loaders(ctx)?.indicator().load_one(code).await.map_err(db_error)?;
        indicator.map(IndicatorNode).ok_or_else(|| ApiError::Internal.into())
    }

    /// The plan that sets the target.
    async fn plan(&self) -> PlanNode {
        PlanNode
    }

    /// This target judged for every plan city in scope (confirmed entries unless the filter
    /// says otherwise), as a benchmark against the plan's level. A CUMULATIVE plan-wide total
    /// (13 million jobs) is not split across cities: its list holds one node, the plan area's
    /// own evaluation (`subjectKind: PLAN`, `city: null`), which the city filters (province,
    /// region, membership) do not remove and `status` does; sorting does not apply.
    async fn evaluations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Year to evaluate as of (default: the target year).")] as_of: Option<i32>,
        #[graphql(desc = "How to evaluate.")] options: Option<EvaluationOptionsInput>,
        #[graphql(desc = "Which cities' evaluations to list.")] filter: Option<Box<CityEvaluationFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in admin-code order.")]
        order_by: Option<Vec<EvaluationOrder>>,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<TargetEvaluationConnection> {
        let (options, filter, order_by) =
            (options.unwrap_or_default(), filter.unwrap_or_default(), order_by.unwrap_or_default());
        bounds::sort_keys(order_by.len())?;
        target_evaluations::list(ctx, &self.0, as_of, options, filter, order_by, (first, after, last, before))
            .await
    }
    /// What is missing to judge this target: every entry in scope (confirmed entries unless
    /// the filter says otherwise; for a plan-wide total, the plan area) whose evaluation has no
    /// verdict, the values (indicator and year) that would give it one — the baseline year or
    /// a year that stands in for it, the target year, the inputs of a derived value — what it
    /// holds now, and a fill-in template for `rustbelt import observations`.
    async fn gaps(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Year to evaluate as of (default: the target year).")] as_of: Option<i32>,
        #[graphql(desc = "Which entries to look at.")] filter: Option<GapFilter>,
    ) -> ApiResult<TargetGapsNode> {
        gaps::of_target(ctx, self.0.clone(), as_of, &filter.unwrap_or_default()).await
    }
}

enum_filter!(
    /// Conditions on a target's kind.
    TargetKindFilter,
    TargetKind
);

/// Which targets to list. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct TargetFilter {
    /// All of these filters hold.
    pub and: Option<Vec<TargetFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<TargetFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<TargetFilter>>,
    /// The code.
    pub code: Option<StringFilter>,
    /// The indicator's code.
    pub indicator_code: Option<StringFilter>,
    /// The kind.
    pub kind: Option<TargetKindFilter>,
    /// Which way is better.
    pub direction: Option<DirectionFilter>,
    /// The year the target falls due.
    pub target_year: Option<IntFilter>,
    /// The indicator the target is set on matches this filter.
    pub indicator: Option<Box<IndicatorFilter>>,
}
bounds::logical!(TargetFilter; links: indicator);

impl TargetFilter {
    /// The filter as a condition tree.
    pub fn to_filter(&self) -> Filter {
        let mut fields = Vec::new();
        fields.extend(self.code.as_ref().map(|f| f.on("code")));
        fields.extend(self.indicator_code.as_ref().map(|f| f.on("indicator_code")));
        fields.extend(self.kind.as_ref().map(|f| f.on("kind")));
        fields.extend(self.direction.as_ref().map(|f| f.on("direction")));
        fields.extend(self.target_year.as_ref().map(|f| f.on("target_year")));
        fields.extend(
            self.indicator
                .as_deref()
                .map(|f| linked(Relation::TargetIndicator, f, IndicatorFilter::to_filter)),
        );
        let list = |v: &Option<Vec<Self>>| v.as_ref().map(|v| v.iter().map(Self::to_filter).collect());
        combine(fields, list(&self.and), list(&self.or), self.not.as_ref().map(|f| f.to_filter()))
    }
}

/// A field targets can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum TargetOrderField {
    /// Code.
    Code,
    /// Indicator code.
    IndicatorCode,
    /// Target year.
    TargetYear,
}

/// One sort key for targets.
#[derive(InputObject, Copy, Clone, Debug)]
pub struct TargetOrder {
    /// The field to sort by.
    pub field: TargetOrderField,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// A target list request as a domain query.
pub fn target_query(
    filter: Option<Box<TargetFilter>>,
    order_by: Option<Vec<TargetOrder>>,
    page: Page,
) -> ApiResult<ListQuery> {
    let order = order_by.unwrap_or_default().into_iter().map(|o| SortKey {
        column: match o.field {
            TargetOrderField::Code => "code",
            TargetOrderField::IndicatorCode => "indicator_code",
            TargetOrderField::TargetYear => "target_year",
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

/// Every field of a target is resolved by the executor.
impl crate::graphql::types::plain::PlainFields for TargetNode {}
