//! `Target.evaluations`: one target judged for every city in a scope, filtered, sorted and
//! paged in memory (an evaluation is computed, not stored), with status counts for dashboards.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, SimpleObject};

use super::enums::{Membership, Region};
use super::evaluation::{
    Evaluated, EvaluationNode, EvaluationOptionsInput, EvaluationStatus, StatusCount, check_year,
    evaluate_stored,
};
use super::filter::SortDirection;
use super::paging::{Edge, PageInfo, build, page};
use super::{ApiError, ApiResult, loaders};
use crate::db::Listed;
use crate::db::observations::{CityScope, city_series};
use crate::domain::{SeriesPoint, Target, TargetKind};

/// Which cities' evaluations to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CityEvaluationFilter {
    /// Only these statuses (`statusCounts` ignores this condition, so it shows every status).
    pub status: Option<Vec<EvaluationStatus>>,
    /// Only cities of this province (6-digit code).
    pub province_code: Option<String>,
    /// Only cities whose province lies in this region.
    pub region: Option<Region>,
    /// Only entries with these memberships (default: confirmed entries only).
    pub membership: Option<Vec<Membership>>,
}

/// A field evaluations can be sorted by; missing values sort last either way.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EvaluationOrderField {
    /// The city's admin code.
    CityCode,
    /// The city's English name.
    CityName,
    /// The status, from ACHIEVED to INSUFFICIENT_DATA.
    Status,
    /// `trendRatio`.
    TrendRatio,
    /// `progress`.
    Progress,
    /// `gap`.
    Gap,
    /// `latestValue`.
    LatestValue,
}

/// One sort key for evaluations.
#[derive(InputObject, Copy, Clone, Debug)]
pub struct EvaluationOrder {
    /// The field to sort by.
    pub field: EvaluationOrderField,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// A page of a target's evaluations for many cities, with the count of each status over the
/// whole list (before the status filter and paging).
#[derive(SimpleObject)]
pub struct TargetEvaluationConnection {
    /// The page's evaluations with their cursors.
    pub edges: Vec<Edge<EvaluationNode>>,
    /// The page's evaluations, for clients that need no cursors.
    pub nodes: Vec<EvaluationNode>,
    /// Where the page lies in the list.
    pub page_info: PageInfo,
    /// Number of evaluations in the whole list (all pages) after the filter.
    pub total_count: u32,
    /// How many cities in scope have each status (every status, zero counts included).
    pub status_counts: Vec<StatusCount>,
}

/// Paging arguments as given: `first`, `after`, `last`, `before`.
pub type PageArgs = (Option<i32>, Option<String>, Option<i32>, Option<String>);

/// Evaluates `target` for every city in the filter's scope and returns the requested page.
pub async fn list(
    ctx: &Context<'_>,
    target: &Arc<Target>,
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
    filter: CityEvaluationFilter,
    order_by: Vec<EvaluationOrder>,
    (first, after, last, before): PageArgs,
) -> ApiResult<TargetEvaluationConnection> {
    let page = page(ctx, first, after, last, before)?;
    if target.kind == TargetKind::Cumulative {
        let message = format!(
            "{} is a total for the plan area as a whole and is not split across cities: ask for `plan {{ evaluation }}`",
            target.code
        );
        return Err(ApiError::Rule { code: "PLAN_WIDE_TOTAL", message }.into());
    }
    if let Some(year) = as_of {
        check_year("asOf", year)?;
    }
    let memberships = filter.membership.clone().unwrap_or_else(|| vec![Membership::Confirmed]);
    let scope = CityScope {
        province_code: filter.province_code.clone(),
        region: filter.region.map(Into::into),
        memberships: memberships.into_iter().map(Into::into).collect(),
    };
    let indicator = target.indicator_code.clone();
    let l = loaders(ctx)?;
    let (cities, observations) = l.read(|c| city_series(c, &scope, &indicator))?;
    let mut by_city: HashMap<String, Vec<SeriesPoint>> = observations.into_iter().collect();
    let mut all = Vec::with_capacity(cities.len());
    for city in cities {
        let series = Arc::new(by_city.remove(&city.admin_code).unwrap_or_default());
        all.push(evaluate_stored(target, Evaluated::City(Arc::new(city)), &series, as_of, options)?);
    }
    let status_counts = count(&all);
    if let Some(statuses) = &filter.status {
        all.retain(|e| statuses.contains(&e.result.status.into()));
    }
    sort(&mut all, &order_by);
    let window = page.window(all.len() as u32);
    let rows =
        all.into_iter().enumerate().skip(window.start as usize).take((window.end - window.start) as usize);
    let listed = Listed { total: window.total, rows: rows.map(|(i, e)| (i as u32, e)).collect() };
    let c = build(&page, listed.total, listed.rows.into_iter());
    Ok(TargetEvaluationConnection {
        edges: c.edges,
        nodes: c.nodes,
        page_info: c.page_info,
        total_count: c.total_count,
        status_counts,
    })
}

fn count(evaluations: &[EvaluationNode]) -> Vec<StatusCount> {
    use EvaluationStatus as S;
    let all = [
        S::Achieved,
        S::OnTrack,
        S::ModerateProgress,
        S::InsufficientProgress,
        S::MovingAway,
        S::NotAchieved,
        S::InsufficientData,
    ];
    all.into_iter()
        .map(|status| StatusCount {
            status,
            count: evaluations.iter().filter(|e| EvaluationStatus::from(e.result.status) == status).count()
                as u32,
        })
        .collect()
}

/// Sorts by the keys in order, then by admin code so the order is total.
fn sort(evaluations: &mut [EvaluationNode], order_by: &[EvaluationOrder]) {
    evaluations.sort_by(|a, b| {
        order_by
            .iter()
            .map(|key| compare(a, b, key))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| city_code(a).cmp(city_code(b)))
    });
}

fn compare(a: &EvaluationNode, b: &EvaluationNode, key: &EvaluationOrder) -> Ordering {
    let descending = key.direction == SortDirection::Desc;
    let flip = |o: Ordering| if descending { o.reverse() } else { o };
    let numbers = |f: fn(&EvaluationNode) -> Option<f64>| match (f(a), f(b)) {
        (Some(x), Some(y)) => flip(x.total_cmp(&y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    match key.field {
        EvaluationOrderField::CityCode => flip(city_code(a).cmp(city_code(b))),
        EvaluationOrderField::CityName => flip(city_name(a).cmp(city_name(b))),
        EvaluationOrderField::Status => {
            flip(EvaluationStatus::from(a.result.status).cmp(&EvaluationStatus::from(b.result.status)))
        }
        EvaluationOrderField::TrendRatio => numbers(|e| e.result.trend_ratio),
        EvaluationOrderField::Progress => numbers(|e| e.result.progress),
        EvaluationOrderField::Gap => numbers(|e| e.result.gap),
        EvaluationOrderField::LatestValue => numbers(|e| e.result.latest_value),
    }
}

fn city_code(e: &EvaluationNode) -> &str {
    match &e.subject {
        Some(Evaluated::City(city)) => &city.admin_code,
        _ => "",
    }
}

fn city_name(e: &EvaluationNode) -> &str {
    match &e.subject {
        Some(Evaluated::City(city)) => &city.name_en,
        _ => "",
    }
}
