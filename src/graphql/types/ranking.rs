//! `Indicator.ranking`: the plan cities observed for an indicator in a year, best first.

use std::sync::Arc;

use async_graphql::{Context, Object};

use crate::db::Listed;
use crate::db::observations::{CityScope, city_values};
use crate::domain::{City, Direction, Indicator, Observation};
use crate::graphql::types::city::CityNode;
use crate::graphql::types::enums::Membership;
use crate::graphql::types::evaluation::check_year;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::types::paging::{Conn, build, page};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// One city's place in a ranking.
#[derive(Clone)]
pub struct RankNode {
    city: Arc<City>,
    observation: Arc<Observation>,
    rank: u32,
    ranked: u32,
    percentile: f64,
}

/// A city's place among the cities with a value of an indicator in a year, best first by the
/// indicator's direction. Tied values share a rank (1, 2, 2, 4).
#[Object(name = "CityRank")]
impl RankNode {
    /// Place, from 1 (best).
    async fn rank(&self) -> u32 {
        self.rank
    }

    /// Share of the other ranked cities this city does better than, in percent (100 = best,
    /// 0 = worst; 100 when it is the only one).
    async fn percentile(&self) -> f64 {
        self.percentile
    }

    /// How many cities were ranked.
    async fn ranked_count(&self) -> u32 {
        self.ranked
    }

    /// The value ranked, in the indicator's unit.
    async fn value(&self) -> f64 {
        self.observation.value
    }

    /// The city.
    async fn city(&self) -> CityNode {
        CityNode(self.city.clone())
    }

    /// The observation ranked, with its source.
    async fn observation(&self) -> ObservationNode {
        ObservationNode(self.observation.clone())
    }
}

/// Ranks the cities in scope by their value of `indicator` in `year`.
pub async fn rank(
    ctx: &Context<'_>,
    indicator: &Indicator,
    year: i32,
    scope: CityScope,
    paging: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> ApiResult<Conn<RankNode>> {
    let (first, after, last, before) = paging;
    let page = page(ctx, first, after, last, before)?;
    check_year("year", year)?;
    let l = loaders(ctx)?;
    let code = indicator.code.clone();
    let mut values = l.read(|c| city_values(c, &scope, &code, year))?;
    let better = |a: &Observation, b: &Observation| match indicator.direction {
        Direction::HigherIsBetter => b.value.total_cmp(&a.value),
        Direction::LowerIsBetter => a.value.total_cmp(&b.value),
    };
    values.sort_by(|a, b| better(a, b).then_with(|| a.city_code.cmp(&b.city_code)));
    let codes: Vec<String> = values.iter().filter_map(|o| o.city_code.clone()).collect();
    let cities = l.city().load_many(codes).await.map_err(db_error)?;
    let ranked = values.len() as u32;
    let mut nodes = Vec::with_capacity(values.len());
    // Walk groups of tied values: a group shares the rank of its first member, and every
    // member is better than exactly the cities after the group.
    let mut start = 0;
    while start < values.len() {
        let ties = values[start..].iter().take_while(|o| better(&values[start], o).is_eq()).count();
        let worse = values.len() - start - ties;
        let percentile = if ranked > 1 { 100.0 * worse as f64 / f64::from(ranked - 1) } else { 100.0 };
        for observation in &values[start..start + ties] {
            let city =
                observation.city_code.as_ref().and_then(|c| cities.get(c)).ok_or(ApiError::Internal)?;
            let rank = start as u32 + 1;
            nodes.push(RankNode {
                city: city.clone(),
                observation: Arc::new(observation.clone()),
                rank,
                ranked,
                percentile,
            });
        }
        start += ties;
    }
    let window = page.window(ranked);
    let rows =
        nodes.into_iter().enumerate().skip(window.start as usize).take((window.end - window.start) as usize);
    let listed = Listed { total: ranked, rows: rows.map(|(i, n)| (i as u32, n)).collect() };
    Ok(build(&page, listed.total, listed.rows.into_iter()))
}

/// The `membership` argument as domain values.
pub fn memberships(membership: Vec<Membership>) -> Vec<crate::domain::Membership> {
    crate::graphql::types::enums::distinct(membership).into_iter().map(Into::into).collect()
}

/// Every field of a rank is resolved by the executor.
impl crate::graphql::types::plain::PlainFields for RankNode {}
