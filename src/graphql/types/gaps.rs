//! `Target.gaps` and `Plan.gaps`: for a target, every entry in scope whose evaluation has no
//! verdict (INSUFFICIENT_DATA), the values that would give it one (`domain::gaps`), what it
//! holds now, how many entries each missing value would settle, and the rows of a fill-in
//! template for `rustbelt import observations` (the `gaps` saved view).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};

use crate::db::observations::{CityScope, each_city_series};
use crate::domain::gaps::{self, EntryGaps, Missing};
use crate::domain::{SeriesPoint, Target, TargetKind};
use crate::graphql::types::city::CityNode;
use crate::graphql::types::enums::{GapRole, Membership, Region, SubjectKind};
use crate::graphql::types::evaluation::{
    Evaluated, EvaluationNode, EvaluationOptionsInput, check_year, evaluate_stored,
};
use crate::graphql::types::indicator::IndicatorNode;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::types::target::TargetNode;
use crate::graphql::types::template::{TemplateRow, template};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// Which entries' gaps to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct GapFilter {
    /// Only entries with these memberships (default: confirmed entries only).
    pub membership: Option<Vec<Membership>>,
    /// Only entries of this province (6-digit code).
    pub province_code: Option<String>,
    /// Only entries whose province lies in this region.
    pub region: Option<Region>,
}

impl GapFilter {
    fn scope(&self) -> CityScope {
        let memberships = self.membership.clone().unwrap_or_else(|| vec![Membership::Confirmed]);
        CityScope {
            province_code: self.province_code.clone(),
            region: self.region.map(Into::into),
            memberships: crate::graphql::types::enums::distinct(memberships)
                .into_iter()
                .map(Into::into)
                .collect(),
            filter: None,
        }
    }
}

/// What one target lacks.
pub struct TargetGapsNode {
    pub(crate) target: Arc<Target>,
    evaluation_year: i32,
    judged: u32,
    pub(crate) entries: Vec<EntryGapNode>,
}

/// One entry (or, for a plan-wide total, the plan area) whose evaluation of a target has no
/// verdict, and what would give it one.
#[derive(Clone)]
pub struct EntryGapNode {
    target: Arc<Target>,
    pub(crate) subject: Evaluated,
    as_of: Option<i32>,
    /// The subject's points of the target's indicator and of its derivation's inputs.
    points: Arc<Vec<SeriesPoint>>,
    pub(crate) gaps: Arc<EntryGaps>,
}

/// Builds a target's gaps for the entries of `filter` (for a plan-wide total, the plan area).
pub async fn of_target(
    ctx: &Context<'_>,
    target: Arc<Target>,
    as_of: Option<i32>,
    filter: &GapFilter,
) -> ApiResult<TargetGapsNode> {
    if let Some(year) = as_of {
        check_year("asOf", year)?;
    }
    let evaluation_year = as_of.unwrap_or(target.target_year);
    let l = loaders(ctx)?;
    let mut found: Vec<(Evaluated, Vec<SeriesPoint>, EntryGaps)> = Vec::new();
    let judged;
    if target.kind == TargetKind::Cumulative {
        // A plan-wide total is judged for the plan area alone, as in `Target.evaluations`.
        let series = l.series().load_one("PLAN:".to_string()).await.map_err(db_error)?.unwrap_or_default();
        let own: Vec<SeriesPoint> =
            series.iter().filter(|p| *p.indicator_code == *target.indicator_code).cloned().collect();
        if let Some(gaps) = gaps::of_entry(&target, &own, evaluation_year).map_err(rule)? {
            found.push((Evaluated::Plan, own, gaps));
        }
        judged = 1;
    } else {
        let indicators = indicators_of(&target);
        let (mut by_code, mut count, mut failed) = (Vec::new(), 0u32, None);
        l.read(|c| {
            each_city_series(c, &filter.scope(), &indicators, |city| {
                count += 1;
                match gaps::of_entry(&target, city.points, evaluation_year) {
                    Ok(Some(gaps)) => by_code.push((city.admin_code.to_string(), city.points.to_vec(), gaps)),
                    Ok(None) => {}
                    Err(error) => failed = Some(error),
                }
            })
        })?;
        if let Some(error) = failed {
            return Err(rule(error).into());
        }
        judged = count;
        let cities =
            l.city().load_many(by_code.iter().map(|(code, _, _)| code.clone())).await.map_err(db_error)?;
        for (code, points, gaps) in by_code {
            let city = cities.get(&code).ok_or(ApiError::Internal)?;
            found.push((Evaluated::City(city.clone()), points, gaps));
        }
    }
    let entries = found
        .into_iter()
        .map(|(subject, points, gaps)| EntryGapNode {
            target: target.clone(),
            subject,
            as_of,
            points: Arc::new(points),
            gaps: Arc::new(gaps),
        })
        .collect();
    Ok(TargetGapsNode { target, evaluation_year, judged, entries })
}

/// The indicators a target's evaluation reads: its own, and the inputs of its derivation.
fn indicators_of(target: &Target) -> Vec<&str> {
    let mut codes = vec![target.indicator_code.as_str()];
    if let Some(rule) = &target.derivation {
        codes.extend([rule.numerator.as_str(), rule.denominator.as_str()]);
    }
    codes
}

fn rule(error: crate::domain::evaluation::EvaluationError) -> ApiError {
    ApiError::Rule { code: error.code(), message: error.to_string() }
}

/// What one of the plan's targets lacks: every entry in scope whose evaluation has no verdict
/// (INSUFFICIENT_DATA) and the values that would give it one, what it holds now, and how many
/// entries each missing value would settle.
#[Object(name = "TargetGaps")]
impl TargetGapsNode {
    /// The target.
    async fn target(&self) -> TargetNode {
        TargetNode(self.target.clone())
    }

    /// The year evaluated as of (the target year unless `asOf` says otherwise).
    async fn evaluation_year(&self) -> i32 {
        self.evaluation_year
    }

    /// How many evaluations were judged: the entries in scope (for a plan-wide total, 1: the
    /// plan area).
    async fn judged_count(&self) -> u32 {
        self.judged
    }

    /// The evaluations without a verdict that a value would settle, by admin code. (One with
    /// a non-positive baseline lacks no value: its value needs checking; one as of a year
    /// before the baseline has nothing to add. Neither is listed.)
    async fn entries(&self) -> &[EntryGapNode] {
        &self.entries
    }

    /// Each missing value (indicator and year) with how many entries lack it and how many it
    /// alone would move off INSUFFICIENT_DATA, those that settle most first.
    async fn missing_values(&self) -> Vec<MissingValueCount> {
        count(std::iter::once(self))
    }

    /// The fill-in template: one row per missing value of each entry, in the columns of
    /// `rustbelt import observations` with the value and its source left empty, then context
    /// the importer skips. The `gaps` saved view serves it as CSV.
    async fn template(&self, ctx: &Context<'_>) -> ApiResult<Vec<TemplateRow>> {
        template(ctx, std::iter::once(self)).await
    }
}

/// One entry (or, for a plan-wide total, the plan area) whose evaluation of a target has no
/// verdict, and the values that would give it one.
#[Object(name = "EntryGap")]
impl EntryGapNode {
    /// What is evaluated: a city, or the plan area for a plan-wide total.
    async fn subject_kind(&self) -> SubjectKind {
        match self.subject {
            Evaluated::City(_) => SubjectKind::City,
            Evaluated::Province(_) => SubjectKind::Province,
            Evaluated::Plan => SubjectKind::Plan,
        }
    }

    /// The entry; null for the plan area.
    async fn city(&self) -> Option<CityNode> {
        match &self.subject {
            Evaluated::City(city) => Some(CityNode(city.clone())),
            _ => None,
        }
    }

    /// The evaluation as it stands (status INSUFFICIENT_DATA, and its reason).
    async fn evaluation(&self) -> ApiResult<EvaluationNode> {
        let options = EvaluationOptionsInput::default();
        Ok(evaluate_stored(&self.target, self.subject.clone(), &self.points, self.as_of, options)?)
    }

    /// What the entry holds now: its observations of the target's indicator and of the inputs
    /// of its derivation, every year (those outside the evaluation's years included), oldest
    /// first.
    async fn holds(&self, ctx: &Context<'_>) -> ApiResult<Vec<ObservationNode>> {
        let mut points: Vec<&SeriesPoint> = self.points.iter().collect();
        points.sort_by(|a, b| (a.year, &*a.indicator_code).cmp(&(b.year, &*b.indicator_code)));
        let ids: Vec<String> = points.iter().map(|p| p.id.to_string()).collect();
        let mut rows = loaders(ctx)?.observation().load_many(ids.iter().cloned()).await.map_err(db_error)?;
        Ok(ids.iter().filter_map(|id| rows.remove(id)).map(ObservationNode).collect())
    }

    /// The values it lacks, by year: the target's indicator, and for a derived one the inputs
    /// the entry does not hold that year.
    async fn missing(&self) -> Vec<MissingValue> {
        self.gaps.missing.iter().cloned().map(MissingValue).collect()
    }
}

/// A value an entry lacks: an indicator in a year.
pub struct MissingValue(Missing);

/// A value an entry lacks: an indicator in a year, why, and whether it alone would settle the
/// evaluation.
#[Object(name = "MissingValue")]
impl MissingValue {
    /// The indicator's code.
    async fn indicator_code(&self) -> &str {
        &self.0.indicator
    }

    /// The indicator.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<Option<IndicatorNode>> {
        let found = loaders(ctx)?.indicator().load_one(self.0.indicator.clone()).await.map_err(db_error)?;
        Ok(found.map(IndicatorNode))
    }

    /// The year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Why this year is asked for.
    async fn role(&self) -> GapRole {
        self.0.role.into()
    }

    /// For an input of a derived value (GDP, tertiary value added): the code of the indicator
    /// it is an input of; null for the target's own indicator.
    async fn input_of(&self) -> Option<&str> {
        self.0.input_of.as_deref()
    }

    /// Whether this value alone gives the evaluation a verdict, whatever the value is.
    async fn settles(&self) -> bool {
        self.0.settles
    }

    /// Why it is needed, in a sentence.
    async fn why(&self) -> &str {
        &self.0.why
    }
}

/// A missing value (indicator and year) over many entries.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MissingValueCount {
    /// The indicator's code.
    pub indicator_code: String,
    /// The year.
    pub year: i32,
    /// Evaluations (entries, for one target) that lack it.
    pub lacked_by: u32,
    /// Evaluations it alone would move off INSUFFICIENT_DATA, whatever its value.
    pub would_settle: u32,
}

#[ComplexObject]
impl MissingValueCount {
    /// The indicator.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<Option<IndicatorNode>> {
        let found =
            loaders(ctx)?.indicator().load_one(self.indicator_code.clone()).await.map_err(db_error)?;
        Ok(found.map(IndicatorNode))
    }
}

fn count<'a>(targets: impl Iterator<Item = &'a TargetGapsNode>) -> Vec<MissingValueCount> {
    let mut counts: BTreeMap<(String, i32), (u32, u32)> = BTreeMap::new();
    for missing in targets.flat_map(|t| &t.entries).flat_map(|e| &e.gaps.missing) {
        let entry = counts.entry((missing.indicator.clone(), missing.year)).or_default();
        entry.0 += 1;
        entry.1 += u32::from(missing.settles);
    }
    let mut out: Vec<MissingValueCount> = counts
        .into_iter()
        .map(|((indicator_code, year), (lacked_by, would_settle))| MissingValueCount {
            indicator_code,
            year,
            lacked_by,
            would_settle,
        })
        .collect();
    out.sort_by(|a, b| b.would_settle.cmp(&a.would_settle).then(b.lacked_by.cmp(&a.lacked_by)));
    out
}

/// What several of the plan's targets lack.
pub struct PlanGapsNode(pub Vec<TargetGapsNode>);

/// What the plan's targets lack, target by target, with the missing values counted over all
/// of them and one fill-in template.
#[Object(name = "PlanGaps")]
impl PlanGapsNode {
    /// Each target's gaps, in target-code order.
    async fn targets(&self) -> &[TargetGapsNode] {
        &self.0
    }

    /// Each missing value with how many evaluations (entry and target) lack it and how many it
    /// alone would move off INSUFFICIENT_DATA, those that settle most first.
    async fn missing_values(&self) -> Vec<MissingValueCount> {
        count(self.0.iter())
    }

    /// The fill-in template for every target listed (a value two targets need is one row,
    /// naming both).
    async fn template(&self, ctx: &Context<'_>) -> ApiResult<Vec<TemplateRow>> {
        template(ctx, self.0.iter()).await
    }
}

/// `Plan.gaps`: the gaps of the targets named (every target when none are), each judged for
/// the entries of `filter`.
pub async fn of_plan(
    ctx: &Context<'_>,
    codes: Option<Vec<String>>,
    as_of: Option<i32>,
    filter: &GapFilter,
) -> ApiResult<PlanGapsNode> {
    let all = loaders(ctx)?.targets().await?.to_vec();
    let picked: Vec<Arc<Target>> = match codes {
        None => all,
        Some(codes) => {
            if let Some(unknown) = codes.iter().find(|c| !all.iter().any(|t| t.code == **c)) {
                let known: Vec<&str> = all.iter().map(|t| t.code.as_str()).collect();
                return Err(ApiError::BadUserInput(format!(
                    "no target has the code {unknown:?}; the targets are {}",
                    known.join(", ")
                ))
                .into());
            }
            all.into_iter().filter(|t| codes.contains(&t.code)).collect()
        }
    };
    let mut out = Vec::with_capacity(picked.len());
    for target in picked {
        out.push(of_target(ctx, target, as_of, filter).await?);
    }
    Ok(PlanGapsNode(out))
}
