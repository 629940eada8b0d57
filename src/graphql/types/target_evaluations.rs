//! `Target.evaluations`: one target judged for every city in a scope, filtered, sorted and
//! paged in memory (an evaluation is computed, not stored), with status counts for dashboards.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, SimpleObject};

use crate::db::observations::{CityFacets, CityScope, each_city_series, indicator_series};
use crate::domain;
use crate::domain::evaluation::Evaluation;
use crate::domain::query::Page;
use crate::domain::{SeriesPoint, Target, TargetKind};
use crate::graphql::limits::bounds;
use crate::graphql::types::city::CityFilter;
use crate::graphql::types::enums::{CityTier, EvidenceGrade, Membership, Region, distinct};
use crate::graphql::types::evaluation::{
    Evaluated, EvaluationNode, EvaluationOptionsInput, EvaluationStatus, StatusCount, check_year,
    evaluate_stored, judge,
};
use crate::graphql::types::facets::{EvaluationFacets, enum_name, named, tally};
use crate::graphql::types::filter::SortDirection;
use crate::graphql::types::paging::{Conn, Edge, PageInfo, build, page};
use crate::graphql::{ApiResult, db_error, loaders};

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
    /// Only entries matching this filter, as a list of entries takes it (relation filters
    /// included), e.g. `{ observations: { some: { year: { eq: 2017 } } } }`.
    pub city: Option<Box<CityFilter>>,
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
    /// How many evaluations of the whole filtered list (every page, the status filter
    /// included) have each value of a field, most frequent first. A plan-wide total's list
    /// counts its one node by status only.
    pub facets: EvaluationFacets,
}

impl TargetEvaluationConnection {
    fn of(page: Conn<EvaluationNode>, status_counts: Vec<StatusCount>, facets: EvaluationFacets) -> Self {
        Self {
            edges: page.edges,
            nodes: page.nodes.0,
            page_info: page.page_info,
            total_count: page.total_count,
            status_counts,
            facets,
        }
    }
}

/// Paging arguments as given: `first`, `after`, `last`, `before`.
pub type PageArgs = (Option<i32>, Option<String>, Option<i32>, Option<String>);

/// Evaluates `target` for every city in the filter's scope and returns the requested page.
pub async fn list(
    ctx: &Context<'_>,
    target: &Arc<Target>,
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
    filter: Box<CityEvaluationFilter>,
    order_by: Vec<EvaluationOrder>,
    (first, after, last, before): PageArgs,
) -> ApiResult<TargetEvaluationConnection> {
    let page = page(ctx, first, after, last, before)?;
    if let Some(year) = as_of {
        check_year("asOf", year)?;
    }
    let city = filter.city.as_deref().map(|f| bounds::checked_filter(f, f.to_filter())).transpose()?;
    if target.kind == TargetKind::Cumulative {
        return plan_wide(ctx, target, as_of, options, &filter, &page).await;
    }
    let memberships = distinct(filter.membership.clone().unwrap_or_else(|| vec![Membership::Confirmed]));
    let scope = CityScope {
        province_code: filter.province_code.clone(),
        region: filter.region.map(Into::into),
        memberships: memberships.into_iter().map(Into::into).collect(),
        filter: city,
    };
    // Every city in scope is judged to count statuses, filter and sort, but only the verdict
    // is kept; the page's evaluations are then built whole (the same `evaluate_stored` as
    // `City.evaluation`) from its cities and their series of the target's indicator, so
    // memory follows the page, not the number of cities.
    let l = loaders(ctx)?;
    let mut verdicts = Vec::new();
    let mut failed = None;
    let indicators = target_indicators(target);
    l.read(|c| {
        each_city_series(c, &scope, &indicators, |city| match judge(target, city.points, as_of, options) {
            Ok(result) => verdicts.push(Verdict::new(city.admin_code, city.name_en, city.facets, &result)),
            Err(error) => failed = Some(error),
        })
    })?;
    if let Some(error) = failed {
        return Err(error.into());
    }
    let status_counts = count(&verdicts.iter().map(|v| v.status).collect::<Vec<_>>());
    if let Some(statuses) = filter.status.clone().map(distinct) {
        verdicts.retain(|v| statuses.contains(&v.status));
    }
    // Six tallies over every verdict: made only for a query that selects them.
    let facets = match ctx.look_ahead().field("facets").exists() {
        true => facet(&verdicts),
        false => EvaluationFacets::default(),
    };
    sort(&mut verdicts, &order_by);
    let window = page.window(verdicts.len() as u32);
    let picked: Vec<(u32, String)> = verdicts
        .into_iter()
        .enumerate()
        .skip(window.start as usize)
        .take((window.end - window.start) as usize)
        .map(|(i, v)| (i as u32, v.code))
        .collect();
    let cities = l.city().load_many(picked.iter().map(|(_, code)| code.clone())).await.map_err(db_error)?;
    let keys: Vec<String> = picked.iter().map(|(_, code)| format!("CITY:{code}")).collect();
    let mut series: HashMap<String, Vec<SeriesPoint>> =
        l.read(|c| indicator_series(c, &keys, &indicators))?.into_iter().collect();
    let mut rows = Vec::with_capacity(picked.len());
    for ((index, code), key) in picked.into_iter().zip(&keys) {
        let Some(city) = cities.get(&code) else { continue };
        let points = Arc::new(series.remove(key).unwrap_or_default());
        let subject = Evaluated::City(city.clone());
        rows.push((index, evaluate_stored(target, subject, &points, as_of, options)?));
    }
    Ok(TargetEvaluationConnection::of(build(&page, window.total, rows.into_iter()), status_counts, facets))
}

/// The list of a plan-wide total: the plan area's own evaluation as its one node (a total is
/// not split across cities), so a client listing every target's evaluations renders it as it
/// renders the others.
async fn plan_wide(
    ctx: &Context<'_>,
    target: &Arc<Target>,
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
    filter: &CityEvaluationFilter,
    page: &Page,
) -> ApiResult<TargetEvaluationConnection> {
    let l = loaders(ctx)?;
    let series = l.series().load_one("PLAN:".to_string()).await.map_err(db_error)?.unwrap_or_default();
    let node = evaluate_stored(target, Evaluated::Plan, &series, as_of, options)?;
    let status = EvaluationStatus::from(node.result.status);
    let status_counts = count(&[status]);
    let kept = filter.status.as_ref().is_none_or(|statuses| statuses.contains(&status));
    let nodes: Vec<(u32, EvaluationNode)> = if kept { vec![(0, node)] } else { Vec::new() };
    let window = page.window(nodes.len() as u32);
    let picked = nodes.into_iter().filter(|(i, _)| *i >= window.start && *i < window.end);
    let facets =
        EvaluationFacets { status: tally(kept.then(|| Some(enum_name(status)))), ..Default::default() };
    Ok(TargetEvaluationConnection::of(build(page, window.total, picked), status_counts, facets))
}

/// The indicators a target's evaluation reads: its own, and the inputs of its derivation.
fn target_indicators(target: &Target) -> Vec<&str> {
    let mut codes = vec![target.indicator_code.as_str()];
    if let Some(rule) = &target.derivation {
        codes.extend([rule.numerator.as_str(), rule.denominator.as_str()]);
    }
    codes
}

/// What the list is counted, filtered, sorted and paged by, kept for every city in scope: a
/// few numbers per city instead of a whole evaluation and its series.
struct Verdict {
    code: String,
    name: String,
    facets: CityFacets,
    status: EvaluationStatus,
    trend_ratio: Option<f64>,
    progress: Option<f64>,
    gap: Option<f64>,
    latest_value: Option<f64>,
}

impl Verdict {
    fn new(code: &str, name: &str, facets: &CityFacets, result: &Evaluation) -> Self {
        Self {
            code: code.to_string(),
            name: name.to_string(),
            facets: facets.clone(),
            status: result.status.into(),
            trend_ratio: result.trend_ratio,
            progress: result.progress,
            gap: result.gap,
            latest_value: result.latest_value,
        }
    }
}

/// The facets of the verdicts kept.
fn facet(verdicts: &[Verdict]) -> EvaluationFacets {
    let by = |value: fn(&Verdict) -> Option<String>| tally(verdicts.iter().map(value));
    EvaluationFacets {
        province: by(|v| Some(v.facets.province_code.clone())),
        region: by(|v| named::<_, Region>(domain::Region::parse, &v.facets.region)),
        tier: by(|v| named::<_, CityTier>(domain::CityTier::parse, &v.facets.tier)),
        membership: by(|v| named::<_, Membership>(domain::Membership::parse, &v.facets.membership)),
        evidence: by(|v| {
            named::<_, EvidenceGrade>(domain::EvidenceGrade::parse, v.facets.evidence.as_deref()?)
        }),
        status: by(|v| Some(enum_name(v.status))),
    }
}

fn count(statuses: &[EvaluationStatus]) -> Vec<StatusCount> {
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
        .map(|status| StatusCount { status, count: statuses.iter().filter(|s| **s == status).count() as u32 })
        .collect()
}

/// Sorts by the keys in order, then by admin code so the order is total.
fn sort(verdicts: &mut [Verdict], order_by: &[EvaluationOrder]) {
    verdicts.sort_by(|a, b| {
        order_by
            .iter()
            .map(|key| compare(a, b, key))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.code.cmp(&b.code))
    });
}

fn compare(a: &Verdict, b: &Verdict, key: &EvaluationOrder) -> Ordering {
    let descending = key.direction == SortDirection::Desc;
    let flip = |o: Ordering| if descending { o.reverse() } else { o };
    let numbers = |f: fn(&Verdict) -> Option<f64>| match (f(a), f(b)) {
        (Some(x), Some(y)) => flip(x.total_cmp(&y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    match key.field {
        EvaluationOrderField::CityCode => flip(a.code.cmp(&b.code)),
        EvaluationOrderField::CityName => flip(a.name.cmp(&b.name)),
        EvaluationOrderField::Status => flip(a.status.cmp(&b.status)),
        EvaluationOrderField::TrendRatio => numbers(|e| e.trend_ratio),
        EvaluationOrderField::Progress => numbers(|e| e.progress),
        EvaluationOrderField::Gap => numbers(|e| e.gap),
        EvaluationOrderField::LatestValue => numbers(|e| e.latest_value),
    }
}
