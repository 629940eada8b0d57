//! `TargetEvaluation`: a target judged against a series of observations (docs/evaluation.md), for a
//! city, a province, the plan area, or a what-if series that is stored nowhere.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use crate::domain::derivation::Point;
use crate::domain::evaluation::{self as eval, Evaluation};
use crate::domain::{self, City, Province, SeriesPoint, Target};
use crate::graphql::types::city::CityNode;
use crate::graphql::types::enums::{Direction, SourceGrade, SubjectKind, TargetKind};
use crate::graphql::types::indicator::IndicatorNode;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::types::province::ProvinceNode;
use crate::graphql::types::target::TargetNode;
use crate::graphql::{ApiResult, db_error, loaders};

mod judging;

pub use judging::*;

/// Latest year an evaluation may be asked for or about; bounds the work of CUMULATIVE targets.
const LAST_YEAR: i32 = 2100;

/// How the trend is measured and projected (docs/evaluation.md §2.2, §2.6).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "eval::TrendMethod")]
pub enum TrendMethod {
    /// Compare the observed compound annual growth rate with the required one (default).
    CagrRatio,
    /// Compare the share of the distance covered with the share of the time elapsed.
    LinearPace,
}

/// The verdict (docs/evaluation.md §3.5; thresholds 0.95 / 0.60 / 0 on `trendRatio`).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[graphql(remote = "eval::EvaluationStatus")]
pub enum EvaluationStatus {
    /// The latest value meets the target.
    Achieved,
    /// On course: `trendRatio` ≥ 0.95.
    OnTrack,
    /// Short of the pace needed: 0.60 ≤ `trendRatio` < 0.95.
    ModerateProgress,
    /// Far short of the pace needed: 0 ≤ `trendRatio` < 0.60.
    InsufficientProgress,
    /// Moving in the wrong direction (or no longer meeting a target met at the baseline).
    MovingAway,
    /// The target year is observed and the target was missed.
    NotAchieved,
    /// Too little data to judge; `reason` says why.
    InsufficientData,
}

/// Why there is too little data (docs/evaluation.md §3.5 rules 1–4 and 8).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "eval::InsufficientDataReason")]
pub enum InsufficientDataReason {
    /// The evaluation year is before the baseline year.
    EvaluationBeforeBaseline,
    /// No observation between the baseline year and the horizon.
    NoObservations,
    /// A change target has no value for its baseline year.
    BaselineMissing,
    /// A change target's baseline value is zero or negative.
    NonPositiveBaseline,
    /// Only one time point: no trend can be measured.
    SingleObservation,
    /// Two or more time points, but the growth rates overflow (values many orders of
    /// magnitude apart): no trend can be computed.
    TrendUndefined,
}

/// A target to evaluate, stated directly (docs/evaluation.md §3.1).
#[derive(InputObject, Clone, Debug)]
pub struct TargetInput {
    /// Level, change from baseline, or cumulative total.
    pub kind: TargetKind,
    /// Which way is better.
    pub direction: Direction,
    /// Year progress is measured from.
    pub baseline_year: i32,
    /// Year the target falls due; must be after `baselineYear`.
    pub target_year: i32,
    /// LEVEL: the level to reach; CUMULATIVE: the total of annual flows over the years after
    /// the baseline up to the target year. In the observations' unit.
    pub target_value: Option<f64>,
    /// CHANGE_FROM_BASELINE: the signed relative change to reach, as a fraction (−0.32 for a
    /// 32 % cut); above −1, negative for LOWER_IS_BETTER, positive for HIGHER_IS_BETTER.
    pub target_change: Option<f64>,
    /// LEVEL / CHANGE: the baseline value, overriding any observation of the baseline year.
    pub baseline_value: Option<f64>,
}

/// One observed value of a what-if series.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct YearValueInput {
    /// Calendar year.
    pub year: i32,
    /// The value: a level for LEVEL and CHANGE targets, the year's flow for CUMULATIVE ones.
    pub value: f64,
}

/// One value an evaluation used: published, or derived from two published values where the
/// indicator has no published value for the year (a services share from tertiary value added
/// and GDP).
#[derive(SimpleObject, Clone, Copy, Debug, PartialEq)]
#[graphql(complex)]
pub struct YearValue {
    /// Calendar year.
    pub year: i32,
    /// The value: a level for LEVEL and CHANGE targets, the year's flow for CUMULATIVE ones.
    pub value: f64,
    /// Whether the value was computed from two published values rather than published (see
    /// `derivedFrom` and the target's `derivation`).
    pub derived: bool,
    #[graphql(skip)]
    pub inputs: Option<(i64, i64)>,
}

#[async_graphql::ComplexObject]
impl YearValue {
    /// For a derived value, the two stored observations it was computed from (numerator, then
    /// denominator), each with its source; empty for a published value.
    async fn derived_from(&self, ctx: &Context<'_>) -> ApiResult<Vec<ObservationNode>> {
        let Some((numerator, denominator)) = self.inputs else { return Ok(Vec::new()) };
        let ids = [numerator.to_string(), denominator.to_string()];
        let mut rows = loaders(ctx)?.observation().load_many(ids.iter().cloned()).await.map_err(db_error)?;
        Ok(ids.iter().filter_map(|id| rows.remove(id)).map(ObservationNode).collect())
    }
}

impl YearValue {
    fn of(point: &Point) -> Self {
        Self { year: point.year, value: point.value, derived: point.inputs.is_some(), inputs: point.inputs }
    }
}

/// How to evaluate.
#[derive(InputObject, Clone, Copy, Debug, Default)]
#[graphql(name = "EvaluationOptions")]
pub struct EvaluationOptionsInput {
    /// Trend measure (default CAGR_RATIO; LINEAR_PACE is used anyway where values are not all
    /// positive, and always for CUMULATIVE targets).
    pub trend_method: Option<TrendMethod>,
}

impl EvaluationOptionsInput {
    fn domain(self) -> eval::EvaluationOptions {
        eval::EvaluationOptions { trend_method: self.trend_method.map(Into::into) }
    }
}

/// What an evaluation is about.
#[derive(Clone)]
pub enum Evaluated {
    City(Arc<City>),
    Province(Arc<Province>),
    /// The plan area as a whole.
    Plan,
}

/// One target judged for one subject and one year. Targets, subjects and observations are
/// shared, not copied: a dashboard evaluates thousands of them.
#[derive(Clone)]
pub struct EvaluationNode {
    pub result: Evaluation,
    pub evaluation_year: i32,
    /// The stored target; `None` for a what-if evaluation.
    pub target: Option<Arc<Target>>,
    /// The subject; `None` for a what-if evaluation.
    pub subject: Option<Evaluated>,
    /// The subject's stored series (of any indicator; `observations` picks the used points).
    pub stored: Arc<Vec<SeriesPoint>>,
    /// The values the evaluation used (inside its window), oldest first.
    pub series: Vec<YearValue>,
}

impl EvaluationNode {
    /// The ids of the stored observations behind the values used: the published ones, and
    /// both inputs of each derived one.
    fn used_ids(&self) -> Vec<String> {
        let Some(target) = &self.target else { return Vec::new() };
        let published = self.stored.iter().filter(|o| *o.indicator_code == *target.indicator_code);
        let published = published.filter(|o| self.series.iter().any(|v| !v.derived && v.year == o.year));
        let mut ids: Vec<i64> = published.map(|o| o.id).collect();
        ids.extend(self.series.iter().filter_map(|v| v.inputs).flat_map(|(n, d)| [n, d]));
        ids.iter().map(i64::to_string).collect()
    }
}

/// A target judged against a series of observations for one subject and one evaluation year:
/// the verdict and the numbers behind it (docs/evaluation.md §3). Rates, ratios and shares are
/// fractions (0.0786 is 7.86 % a year); values and gaps are in the indicator's unit.
#[Object(name = "TargetEvaluation")]
impl EvaluationNode {
    /// The verdict.
    async fn status(&self) -> EvaluationStatus {
        self.result.status.into()
    }

    /// Why the data is insufficient, when `status` is INSUFFICIENT_DATA.
    async fn reason(&self) -> Option<InsufficientDataReason> {
        self.result.reason.map(Into::into)
    }

    /// Whether the latest usable value meets the target.
    async fn achieved(&self) -> bool {
        self.result.achieved
    }

    /// Whether the target year itself is observed, so the verdict can no longer change.
    #[graphql(name = "final")]
    async fn is_final(&self) -> bool {
        self.result.is_final
    }

    /// The trend measure used; null when the status is INSUFFICIENT_DATA.
    async fn method(&self) -> Option<TrendMethod> {
        self.result.method.map(Into::into)
    }

    /// The year evaluated as of (observations after it, and after the target year, are ignored).
    async fn evaluation_year(&self) -> i32 {
        self.evaluation_year
    }

    /// Effective baseline year (the first observed year when the baseline year is missing).
    async fn baseline_year(&self) -> Option<i32> {
        self.result.baseline_year
    }

    /// Effective baseline value, in the indicator's unit.
    async fn baseline_value(&self) -> Option<f64> {
        self.result.baseline_value
    }

    /// Whether the baseline year had no value and the first observed year stood in for it.
    async fn baseline_substituted(&self) -> bool {
        self.result.baseline_substituted
    }

    /// The level to reach, in the indicator's unit (for CHANGE targets, baseline × (1 + change)).
    async fn target_level(&self) -> Option<f64> {
        self.result.target_level
    }

    /// Latest usable year.
    async fn latest_year(&self) -> Option<i32> {
        self.result.latest_year
    }

    /// Value in the latest usable year (CUMULATIVE: the total to date), in the indicator's unit.
    async fn latest_value(&self) -> Option<f64> {
        self.result.latest_value
    }

    /// Share of the baseline-to-target period elapsed by the latest year (时间进度), a fraction.
    async fn time_elapsed_share(&self) -> Option<f64> {
        self.result.time_elapsed_share
    }

    /// Share of the distance from baseline to target covered (完成进度), a fraction.
    async fn progress(&self) -> Option<f64> {
        self.result.progress
    }

    /// `progress` ÷ `timeElapsedShare`.
    async fn pace_ratio(&self) -> Option<f64> {
        self.result.pace_ratio
    }

    /// Observed compound annual growth rate from the baseline, a fraction per year.
    async fn cagr_actual(&self) -> Option<f64> {
        self.result.cagr_actual
    }

    /// Compound annual growth rate needed from the baseline to the target, a fraction per year.
    async fn cagr_required(&self) -> Option<f64> {
        self.result.cagr_required
    }

    /// The ratio the status thresholds apply to (observed ÷ required trend).
    async fn trend_ratio(&self) -> Option<f64> {
        self.result.trend_ratio
    }

    /// Distance still to go, in the indicator's unit: > 0 a shortfall, ≤ 0 met (the size is the
    /// surplus).
    async fn gap(&self) -> Option<f64> {
        self.result.gap
    }

    /// Value projected for the target year on the observed trend, in the indicator's unit.
    async fn projected_value(&self) -> Option<f64> {
        self.result.projected_value
    }

    /// `progress` the projection would reach by the target year, a fraction.
    async fn projected_progress(&self) -> Option<f64> {
        self.result.projected_progress
    }

    /// Growth rate per year from the latest value that lands on the target, a fraction.
    async fn required_annual_rate(&self) -> Option<f64> {
        self.result.required_annual_rate
    }

    /// Change per year from the latest value that lands on the target, in units per year
    /// (CUMULATIVE: the flow needed in each remaining year).
    async fn required_annual_amount(&self) -> Option<f64> {
        self.result.required_annual_amount
    }

    /// CUMULATIVE: years with no observed flow, filled with the mean observed flow.
    async fn imputed_years(&self) -> &[i32] {
        &self.result.imputed_years
    }

    /// The values the evaluation used, oldest first; each says whether it was published or
    /// derived.
    async fn series(&self) -> &[YearValue] {
        &self.series
    }

    /// The weakest grade among the stored values the evaluation used (both inputs of a derived
    /// one included), so a verdict says how far to trust it: BULLETIN only when every value
    /// comes from a bulletin; UNGRADED when any value never declared a grade. Null when no
    /// stored value was used (a what-if evaluation, or no values at all).
    async fn source_grade(&self, ctx: &Context<'_>) -> ApiResult<Option<SourceGrade>> {
        let used = self.used_ids();
        if used.is_empty() {
            return Ok(None);
        }
        let rows = loaders(ctx)?.observation().load_many(used).await.map_err(db_error)?;
        Ok(domain::SourceGrade::weakest(rows.values().map(|o| o.source_grade)).map(Into::into))
    }

    /// Whether any value the evaluation used was derived rather than published (`series`
    /// says which, with the observations it came from).
    async fn derived(&self) -> bool {
        self.series.iter().any(|v| v.derived)
    }

    /// The stored observations the evaluation used, with their sources (empty for what-if):
    /// the published values, and both inputs of each derived one.
    async fn observations(&self, ctx: &Context<'_>) -> ApiResult<Vec<ObservationNode>> {
        let used = self.used_ids();
        // Full rows only now that they are asked for, all evaluations' at once.
        let mut rows = loaders(ctx)?.observation().load_many(used.iter().cloned()).await.map_err(db_error)?;
        Ok(used.iter().filter_map(|id| rows.remove(id)).map(ObservationNode).collect())
    }

    /// The target evaluated; null for a what-if evaluation.
    async fn target(&self) -> Option<TargetNode> {
        self.target.clone().map(TargetNode)
    }

    /// The indicator the target is set on; null for a what-if evaluation.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<Option<IndicatorNode>> {
        let Some(target) = &self.target else { return Ok(None) };
        let code = target.indicator_code.clone();
        Ok(loaders(ctx)?.indicator().load_one(code).await.map_err(db_error)?.map(IndicatorNode))
    }

    /// What was evaluated; null for a what-if evaluation.
    async fn subject_kind(&self) -> Option<SubjectKind> {
        self.subject.as_ref().map(|s| match s {
            Evaluated::City(_) => SubjectKind::City,
            Evaluated::Province(_) => SubjectKind::Province,
            Evaluated::Plan => SubjectKind::Plan,
        })
    }

    /// The city evaluated, when the subject is a city.
    async fn city(&self) -> Option<CityNode> {
        match &self.subject {
            Some(Evaluated::City(city)) => Some(CityNode(city.clone())),
            _ => None,
        }
    }

    /// The province evaluated, when the subject is a province as a whole.
    async fn province(&self) -> Option<ProvinceNode> {
        match &self.subject {
            Some(Evaluated::Province(province)) => Some(ProvinceNode(province.clone())),
            _ => None,
        }
    }
}

/// How many evaluations have a status.
#[derive(SimpleObject, Clone, Copy)]
pub struct StatusCount {
    /// The status.
    pub status: EvaluationStatus,
    /// Evaluations with it.
    pub count: u32,
}

/// Every field of a evaluation is resolved by the executor.
impl crate::graphql::types::plain::PlainFields for EvaluationNode {}
