//! The top-level lists, shared by `Query` and `Plan` so both read the same way, and the page of
//! observations that entries, provinces and indicators each list.

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use crate::db::observations::{ObservationParent, list_observations};
use crate::db::reference;
use crate::domain::Observation;
use crate::graphql::request::loaders::{Loaders, PageKey, Pages, QueryKey};
use crate::graphql::types::city::{CityFilter, CityNode, CityOrder, city_query};
use crate::graphql::types::enums::Membership;
use crate::graphql::types::facets::{CityConnection, FacetScope};
use crate::graphql::types::indicator::{IndicatorFilter, IndicatorNode, IndicatorOrder, indicator_query};
use crate::graphql::types::observation::{
    ObservationFilter, ObservationNode, ObservationOrder, observation_query,
};
use crate::graphql::types::paging::{Conn, connection, owned_connection, page, reading};
use crate::graphql::types::province::{ProvinceFilter, ProvinceNode, ProvinceOrder, province_query};
use crate::graphql::types::target::{TargetFilter, TargetNode, TargetOrder, target_query};
use crate::graphql::{ApiResult, db_error, loaders};

/// Relay arguments as given: `first`, `after`, `last`, `before`.
pub type PageArgs = (Option<i32>, Option<String>, Option<i32>, Option<String>);

/// A page of all provinces.
pub async fn provinces(
    ctx: &Context<'_>,
    filter: Option<Box<ProvinceFilter>>,
    order_by: Option<Vec<ProvinceOrder>>,
    (first, after, last, before): PageArgs,
) -> ApiResult<Conn<ProvinceNode>> {
    let page = page(ctx, first, after, last, before)?;
    let query = reading::<ProvinceNode>(ctx, province_query(filter, order_by, page)?);
    let l = loaders(ctx)?;
    let listed = l.read(|c| reference::list_provinces(c, &query));
    Ok(owned_connection(&page, listed?, ProvinceNode))
}

/// A page of all plan entries with the given memberships.
pub async fn cities(
    ctx: &Context<'_>,
    membership: Vec<Membership>,
    filter: Option<Box<CityFilter>>,
    order_by: Option<Vec<CityOrder>>,
    (first, after, last, before): PageArgs,
) -> ApiResult<CityConnection> {
    let page = page(ctx, first, after, last, before)?;
    let query = QueryKey::new(reading::<CityNode>(ctx, city_query(&membership, filter, order_by, page)?));
    let l = loaders(ctx)?;
    let listed = l.read(|c| reference::list_cities(c, None, &query.query));
    let listed = listed?.remove("").unwrap_or_default();
    Ok(CityConnection::new(owned_connection(&page, listed, CityNode), FacetScope { province: None, query }))
}

/// A page of all indicators.
pub async fn indicators(
    ctx: &Context<'_>,
    filter: Option<Box<IndicatorFilter>>,
    order_by: Option<Vec<IndicatorOrder>>,
    (first, after, last, before): PageArgs,
) -> ApiResult<Conn<IndicatorNode>> {
    let page = page(ctx, first, after, last, before)?;
    let query = indicator_query(filter, order_by, page)?;
    let l = loaders(ctx)?;
    let listed = l.read(|c| reference::list_indicators(c, &query));
    Ok(owned_connection(&page, listed?, IndicatorNode))
}

/// A page of all targets.
pub async fn targets(
    ctx: &Context<'_>,
    filter: Option<Box<TargetFilter>>,
    order_by: Option<Vec<TargetOrder>>,
    (first, after, last, before): PageArgs,
) -> ApiResult<Conn<TargetNode>> {
    let page = page(ctx, first, after, last, before)?;
    let query = target_query(filter, order_by, page)?;
    let l = loaders(ctx)?;
    let listed = l.read(|c| reference::list_targets(c, None, &query));
    let listed = listed?.remove("").unwrap_or_default();
    Ok(owned_connection(&page, listed, TargetNode))
}

/// A page of all observations.
pub async fn observations(
    ctx: &Context<'_>,
    filter: Option<Box<ObservationFilter>>,
    order_by: Option<Vec<ObservationOrder>>,
    (first, after, last, before): PageArgs,
) -> ApiResult<Conn<ObservationNode>> {
    let page = page(ctx, first, after, last, before)?;
    let query = reading::<ObservationNode>(ctx, observation_query(filter, order_by, page)?);
    let l = loaders(ctx)?;
    let listed = l.read(|c| list_observations(c, ObservationParent::All, &[], &query));
    let listed = listed?.remove("").unwrap_or_default();
    Ok(owned_connection(&page, listed, ObservationNode))
}

/// A page of one parent's observations (an entry's, a province's or an indicator's) from the
/// parent's loader: one statement for every parent that asks the same list.
pub async fn observations_of(
    ctx: &Context<'_>,
    pages: impl FnOnce(&Loaders) -> &DataLoader<Pages<Observation>>,
    parent: String,
    filter: Option<Box<ObservationFilter>>,
    order_by: Option<Vec<ObservationOrder>>,
    (first, after, last, before): PageArgs,
) -> ApiResult<Conn<ObservationNode>> {
    let loaders = loaders(ctx)?;
    let query = loaders.list_query(ctx, || {
        let page = page(ctx, first, after, last, before)?;
        Ok(reading::<ObservationNode>(ctx, observation_query(filter, order_by, page)?))
    })?;
    let page = query.query.page;
    let listed = pages(loaders).load_one(PageKey { parent, query }).await.map_err(db_error)?;
    Ok(connection(&page, &listed.unwrap_or_default(), ObservationNode))
}
