//! `Query`: the roots. Each resolver checks its arguments and hands off to a list or loader.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use crate::db::reference;
use crate::graphql::types::city::{CityFilter, CityNode, CityOrder};
use crate::graphql::types::enums::Membership;
use crate::graphql::types::evaluation::{
    EvaluationNode, EvaluationOptionsInput, TargetInput, YearValueInput, evaluate_input,
};
use crate::graphql::types::facets::CityConnection;
use crate::graphql::types::indicator::{IndicatorFilter, IndicatorNode, IndicatorOrder};
use crate::graphql::types::lists;
use crate::graphql::types::node::{Node, fetch};
use crate::graphql::types::observation::{ObservationFilter, ObservationNode, ObservationOrder};
use crate::graphql::types::paging::Conn;
use crate::graphql::types::plan::PlanNode;
use crate::graphql::types::province::{ProvinceFilter, ProvinceNode, ProvinceOrder};
use crate::graphql::types::target::{TargetFilter, TargetNode, TargetOrder};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// Most IDs `nodes(ids:)` takes at once.
const MAX_NODES: usize = 100;

/// The entry points of the graph.
pub struct QueryRoot;

/// The entry points of the graph.
#[Object(name = "Query")]
impl QueryRoot {
    /// The plan itself: its record, declared and confirmed coverage, milestones, and the way
    /// into everything else.
    async fn plan(&self) -> PlanNode {
        PlanNode
    }

    /// All 31 provincial-level divisions (which 27 the plan covers is not known).
    async fn provinces(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only provinces matching this filter.")] filter: Option<Box<ProvinceFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in code order.")] order_by: Option<
            Vec<ProvinceOrder>,
        >,
        #[graphql(
            desc = "Page forwards: at most this many (default page size if neither `first` nor `last`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many, the last ones before `before`.")] last: Option<
            i32,
        >,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<ProvinceNode>> {
        lists::provinces(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// The province a person means: its 6-digit code (`340000`), ISO code (`CN-AH`), English
    /// (`anhui`) or Chinese name (`安徽省` or `安徽`), matched without regard to Latin case.
    /// Null when nothing matches.
    async fn province(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Code, ISO code, English or Chinese name.")] code: String,
    ) -> ApiResult<Option<ProvinceNode>> {
        let l = loaders(ctx)?;
        let found = l.read(|c| reference::find_province(c, code.trim()));
        Ok(found?.map(|p| ProvinceNode(Arc::new(p))))
    }

    /// The plan's entries: confirmed ones unless `membership` says otherwise.
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "vec![Membership::Confirmed]",
            desc = "Which entries to list: confirmed ones by default; add `CANDIDATE` for leads with indirect evidence only."
        )]
        membership: Vec<Membership>,
        #[graphql(desc = "Only entries matching this filter.")] filter: Option<Box<CityFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in admin-code order.")]
        order_by: Option<Vec<CityOrder>>,
        #[graphql(
            desc = "Page forwards: at most this many (default page size if neither `first` nor `last`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many, the last ones before `before`.")] last: Option<
            i32,
        >,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<CityConnection> {
        lists::cities(ctx, membership, filter, order_by, (first, after, last, before)).await
    }

    /// The entry a person means: its admin code (`340300`), English (`bengbu`) or Chinese name
    /// (`蚌埠市` or `蚌埠`), confirmed or candidate. Null when nothing matches.
    async fn city(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Admin code, English or Chinese name.")] code: String,
    ) -> ApiResult<Option<CityNode>> {
        let l = loaders(ctx)?;
        let found = l.read(|c| reference::find_city(c, code.trim()));
        Ok(found?.map(|c| CityNode(Arc::new(c))))
    }

    /// The indicators observations are recorded against.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only indicators matching this filter.")] filter: Option<Box<IndicatorFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in code order.")] order_by: Option<
            Vec<IndicatorOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<IndicatorNode>> {
        lists::indicators(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// One indicator by its code (e.g. `services_share_gdp`); null when unknown.
    async fn indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Indicator code.")] code: String,
    ) -> ApiResult<Option<IndicatorNode>> {
        let found = loaders(ctx)?.indicator().load_one(code).await.map_err(db_error)?;
        Ok(found.map(IndicatorNode))
    }

    /// The plan's 2017 targets.
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
        lists::targets(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// One target by its code (e.g. `services_share_2017`); null when unknown.
    async fn target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Target code.")] code: String,
    ) -> ApiResult<Option<TargetNode>> {
        let found = loaders(ctx)?.target().load_one(code).await.map_err(db_error)?;
        Ok(found.map(TargetNode))
    }

    /// Every observation, of every subject and indicator.
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
        lists::observations(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// Any object by its global ID; null if it no longer exists.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID from an `id` field.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        fetch(ctx, &id).await
    }

    /// Several objects by global ID, in the order asked (at most 100); null where one no
    /// longer exists.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs from `id` fields.")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::BadUserInput(format!(
                "`nodes` takes at most {MAX_NODES} ids; {} were given",
                ids.len()
            ))
            .into());
        }
        // Concurrently, so the loads land in the same DataLoader batches.
        let found = futures_util::future::join_all(ids.iter().map(|id| fetch(ctx, id))).await;
        found.into_iter().collect()
    }

    /// What-if: judges a target stated here against values given here (docs/evaluation.md). Stores
    /// nothing. A target that breaks a rule of docs/evaluation.md §3.1 is an error with that rule's
    /// code (e.g. TARGET_YEAR_NOT_AFTER_BASELINE, MISSING_TARGET_CHANGE, DUPLICATE_YEAR).
    async fn evaluate(
        &self,
        #[graphql(desc = "The target.")] target: TargetInput,
        #[graphql(
            desc = "Observed values: levels for LEVEL and CHANGE targets, annual flows for CUMULATIVE ones."
        )]
        observations: Vec<YearValueInput>,
        #[graphql(desc = "The year to evaluate as of.")] evaluation_year: i32,
        #[graphql(desc = "How to evaluate.")] options: Option<EvaluationOptionsInput>,
    ) -> ApiResult<EvaluationNode> {
        Ok(evaluate_input(target, observations, evaluation_year, options.unwrap_or_default())?)
    }
}
