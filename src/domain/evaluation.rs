//! Judges one quantified plan target against a series of observations (EVALUATION.md §3).
//!
//! Pure logic: no I/O, no clock, no globals. The GraphQL layer wraps [`evaluate`] and maps
//! [`EvaluationError::code`] to error extensions. Rates, ratios and shares are **fractions**
//! (0.0786 is 7.86 %/yr, 1.0 is 100 %); values and gaps are in the indicator's own unit (§3.7).
#![warn(missing_docs)]

use InsufficientDataReason as Reason;

/// `meets(v)` tolerance, relative to `max(1, |L|)` (§3.2): absorbs rounding like `3 × (1 − 0.9)`.
const MEETS_TOLERANCE: f64 = 1e-9;
/// A required CAGR at or below this (absolute) gives no ratio (§3.4 `trendRatio`).
const MIN_REQUIRED_RATE: f64 = 1e-9;
/// Lowest `trendRatio` of each class (§3.5 rules 9–11; Eurostat 95 % / 60 % / 0 %); below: MOVING_AWAY.
const THRESHOLDS: [(f64, EvaluationStatus); 3] = [
    (0.95, EvaluationStatus::OnTrack),
    (0.60, EvaluationStatus::ModerateProgress),
    (0.0, EvaluationStatus::InsufficientProgress),
];

/// What the target's number means (§3.1 `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// Reach `target_value` (a level, in the indicator's unit) by the target year.
    Level,
    /// Change the baseline by `target_change` (a signed fraction: −0.32 is a 32 % cut).
    ChangeFromBaseline,
    /// Accumulate `target_value` as the sum of annual flows over years `b+1..=T`.
    Cumulative,
}

/// Which way the indicator should move (§3.1 `direction`; `d = ±1` in §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Larger values are better (`d = +1`).
    HigherIsBetter,
    /// Smaller values are better (`d = −1`).
    LowerIsBetter,
}

/// The metric behind `trend_ratio` and the projection (§2.2, §2.6, §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendMethod {
    /// Eurostat ratio `d·cagrActual / |cagrRequired|` with a compound projection (the default).
    CagrRatio,
    /// NDRC linear pace `progress / timeElapsedShare` with a linear projection.
    LinearPace,
}

/// The verdict (§3.5). `Default` is INSUFFICIENT_DATA, the verdict before any evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EvaluationStatus {
    /// The latest usable value meets the target level (rule 5).
    Achieved,
    /// `trend_ratio ≥ 0.95` (rule 9).
    OnTrack,
    /// `0.60 ≤ trend_ratio < 0.95` (rule 10).
    ModerateProgress,
    /// `0 ≤ trend_ratio < 0.60` (rule 11).
    InsufficientProgress,
    /// `trend_ratio < 0`, or met at the baseline and no longer met (rules 7 and 12).
    MovingAway,
    /// The target year is observed and the target was missed (rule 6, §2.5).
    NotAchieved,
    /// No verdict is possible; [`Evaluation::reason`] says why (rules 1–4 and 8).
    #[default]
    InsufficientData,
}

/// Why the status is [`EvaluationStatus::InsufficientData`] (§3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsufficientDataReason {
    /// The evaluation year precedes the baseline year (rule 1).
    EvaluationBeforeBaseline,
    /// No observation in the usable window `U` (rule 2).
    NoObservations,
    /// CHANGE_FROM_BASELINE with neither `baseline_value` nor an observation at `b` (rule 3).
    BaselineMissing,
    /// CHANGE_FROM_BASELINE with a baseline ≤ 0, where a relative change means nothing (rule 4).
    NonPositiveBaseline,
    /// Only one time point (`t = b'`), so there is no trend (rule 8).
    SingleObservation,
    /// Two or more time points, and still no trend: its growth rates overflow the numbers
    /// (values many orders of magnitude apart), so `trendRatio` is not finite (rule 8, where
    /// the specification assumes one time point is the only cause).
    TrendUndefined,
}

impl EvaluationStatus {
    /// The status as the API spells it (`ON_TRACK`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achieved => "ACHIEVED",
            Self::OnTrack => "ON_TRACK",
            Self::ModerateProgress => "MODERATE_PROGRESS",
            Self::InsufficientProgress => "INSUFFICIENT_PROGRESS",
            Self::MovingAway => "MOVING_AWAY",
            Self::NotAchieved => "NOT_ACHIEVED",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl InsufficientDataReason {
    /// The reason as the API spells it (`NO_OBSERVATIONS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EvaluationBeforeBaseline => "EVALUATION_BEFORE_BASELINE",
            Self::NoObservations => "NO_OBSERVATIONS",
            Self::BaselineMissing => "BASELINE_MISSING",
            Self::NonPositiveBaseline => "NON_POSITIVE_BASELINE",
            Self::SingleObservation => "SINGLE_OBSERVATION",
            Self::TrendUndefined => "TREND_UNDEFINED",
        }
    }
}

/// A quantified target (§3.1 `Target`); [`evaluate`] validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// What the target number means.
    pub kind: TargetKind,
    /// Which way is better.
    pub direction: Direction,
    /// `b`: the year the plan measures from.
    pub baseline_year: i32,
    /// `T`: the deadline; must be after `baseline_year`.
    pub target_year: i32,
    /// LEVEL: level to reach; CUMULATIVE: total of flows (indicator units). Ignored for CHANGE.
    pub target_value: Option<f64>,
    /// CHANGE_FROM_BASELINE only: signed relative change, a fraction (−0.18 cuts by 18 %).
    pub target_change: Option<f64>,
    /// LEVEL / CHANGE: overrides the observation at `b` (§3.3 step 1). Ignored for CUMULATIVE.
    pub baseline_value: Option<f64>,
}

/// Caller choices (§3.1 `options`); the thresholds stay fixed at 0.95 / 0.60 / 0 (§2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvaluationOptions {
    /// The status metric; `None` means [`TrendMethod::CagrRatio`] (§5 decision 4).
    pub trend_method: Option<TrendMethod>,
}

/// The result (§3.8 `TargetEvaluation`); each `None` is a null of §3.4 or §3.5.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// The verdict (§3.5).
    pub status: EvaluationStatus,
    /// Set exactly when `status` is INSUFFICIENT_DATA.
    pub reason: Option<InsufficientDataReason>,
    /// The latest usable value meets the target level; false whenever that is not demonstrated.
    pub achieved: bool,
    /// GraphQL `final`: the latest usable year is the target year (`t = T`).
    pub is_final: bool,
    /// The metric used for `trend_ratio`; `None` when INSUFFICIENT_DATA (§3.4 "Other fields").
    pub method: Option<TrendMethod>,
    /// `b'`: the effective baseline year (§3.3).
    pub baseline_year: Option<i32>,
    /// `v_b`, indicator units (0 for CUMULATIVE).
    pub baseline_value: Option<f64>,
    /// `b'` is the first observation after `b` rather than `b` (LEVEL only, §3.3 step 4).
    pub baseline_substituted: bool,
    /// `L`, indicator units.
    pub target_level: Option<f64>,
    /// `t`: the latest usable year, at most min(evaluation year, target year).
    pub latest_year: Option<i32>,
    /// `v_t`, indicator units; for CUMULATIVE the cumulative total `cum`.
    pub latest_value: Option<f64>,
    /// 时间进度 `(t − b')/(T − b')`, a fraction.
    pub time_elapsed_share: Option<f64>,
    /// 完成进度: the share of the baseline→target distance covered, a fraction.
    pub progress: Option<f64>,
    /// `progress / time_elapsed_share`, a fraction (1.0 = exactly on the linear schedule).
    pub pace_ratio: Option<f64>,
    /// Observed compound annual growth `b'→t`, a fraction per year.
    pub cagr_actual: Option<f64>,
    /// Compound annual growth needed `b'→T`, a fraction per year.
    pub cagr_required: Option<f64>,
    /// The status metric of `method`, a fraction (1.0 = exactly the required trend).
    pub trend_ratio: Option<f64>,
    /// `d·(L − v_t)`, indicator units: > 0 is a shortfall, ≤ 0 a surplus.
    pub gap: Option<f64>,
    /// The value expected at `T` on the current trend, indicator units.
    pub projected_value: Option<f64>,
    /// The share of the distance the projection covers, a fraction (= UNSD 2023 CR).
    pub projected_progress: Option<f64>,
    /// Signed compound growth per year from `v_t` that lands on `L` at `T`, a fraction per year.
    pub required_annual_rate: Option<f64>,
    /// Change (CUMULATIVE: flow) needed in each remaining year, indicator units per year.
    pub required_annual_amount: Option<f64>,
    /// CUMULATIVE years in `[b+1, t]` without data, filled with the mean flow (§3.3); ascending.
    pub imputed_years: Vec<i32>,
}

/// A target or observation set that breaks §3.1 "Validation": a request error, not a status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluationError {
    /// Rule 1: the target year must be after the baseline year.
    #[error("the target year must be after the baseline year")]
    TargetYearNotAfterBaseline,
    /// Rules 2 and 4: LEVEL and CUMULATIVE targets need `target_value`.
    #[error("a level or cumulative target needs a target value")]
    MissingTargetValue,
    /// Rule 3: CHANGE_FROM_BASELINE targets need `target_change`.
    #[error("a change-from-baseline target needs a target change")]
    MissingTargetChange,
    /// Rule 3: `target_change` must be > −1 (a cut of 100 % or more leaves no level).
    #[error("the target change must be greater than -1")]
    TargetChangeNotAboveMinusOne,
    /// Rule 3: `target_change` must be < 0 for LOWER_IS_BETTER and > 0 for HIGHER_IS_BETTER.
    #[error("the sign of the target change does not match the direction")]
    TargetChangeSignMismatch,
    /// Rule 4: a CUMULATIVE `target_value` must be > 0.
    #[error("a cumulative target value must be positive")]
    NonPositiveCumulativeTarget,
    /// Rule 4: CUMULATIVE targets must be HIGHER_IS_BETTER (caps are out of scope).
    #[error("a cumulative target must be higher-is-better")]
    CumulativeNotHigherIsBetter,
    /// Rule 5: two observations share this year.
    #[error("more than one observation for year {0}")]
    DuplicateYear(i32),
    /// Rule 5: the observation of this year is NaN or infinite.
    #[error("the observation for year {0} is not a finite number")]
    NonFiniteValue(i32),
    /// Rule 5 extended to the target's numbers (`targetValue`, `targetChange`, `baselineValue`).
    #[error("the target's {0} is not a finite number")]
    NonFiniteTargetNumber(&'static str),
}

impl EvaluationError {
    /// Stable SCREAMING_SNAKE code for GraphQL error extensions; never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TargetYearNotAfterBaseline => "TARGET_YEAR_NOT_AFTER_BASELINE",
            Self::MissingTargetValue => "MISSING_TARGET_VALUE",
            Self::MissingTargetChange => "MISSING_TARGET_CHANGE",
            Self::TargetChangeNotAboveMinusOne => "TARGET_CHANGE_NOT_ABOVE_MINUS_ONE",
            Self::TargetChangeSignMismatch => "TARGET_CHANGE_SIGN_MISMATCH",
            Self::NonPositiveCumulativeTarget => "NON_POSITIVE_CUMULATIVE_TARGET",
            Self::CumulativeNotHigherIsBetter => "CUMULATIVE_NOT_HIGHER_IS_BETTER",
            Self::DuplicateYear(_) => "DUPLICATE_YEAR",
            Self::NonFiniteValue(_) => "NON_FINITE_VALUE",
            Self::NonFiniteTargetNumber(_) => "NON_FINITE_TARGET_NUMBER",
        }
    }
}

/// Evaluates `target` in `evaluation_year` (`E`) against `observations` as EVALUATION.md §3 says.
///
/// `observations` are `(year, value)` pairs in any order: levels for LEVEL / CHANGE, annual
/// flows for CUMULATIVE. Errors are the §3.1 validation rules; data gaps are statuses (§3.5).
pub fn evaluate(
    target: &TargetSpec,
    observations: &[(i32, f64)],
    evaluation_year: i32,
    options: &EvaluationOptions,
) -> Result<Evaluation, EvaluationError> {
    let mut sorted = observations.to_vec();
    sorted.sort_by_key(|&(year, _)| year);
    validate_target(target)?;
    validate_observations(&sorted)?;
    if evaluation_year < target.baseline_year {
        // Rule 1: nothing is observable yet; only the target itself can be stated (§3.6).
        let target_level = level_from_spec(target);
        return Ok(Evaluation { target_level, ..insufficient(Reason::EvaluationBeforeBaseline) });
    }
    let usable = usable_window(target, &sorted, evaluation_year);
    let method = options.trend_method.unwrap_or(TrendMethod::CagrRatio);
    Ok(match Frame::resolve(target, &usable) {
        Ok(frame) => frame.assess(method),
        Err(reason) => without_frame(target, &usable, reason),
    })
}

fn ensure(ok: bool, error: EvaluationError) -> Result<(), EvaluationError> {
    if ok { Ok(()) } else { Err(error) }
}

/// §3.1 rules 1–4, after checking that the target's numbers are finite at all.
fn validate_target(target: &TargetSpec) -> Result<(), EvaluationError> {
    use EvaluationError as E;
    ensure(target.target_year > target.baseline_year, E::TargetYearNotAfterBaseline)?;
    // Finiteness first, so that a NaN is not misreported as a range violation.
    let numbers = [
        ("targetValue", target.target_value),
        ("targetChange", target.target_change),
        ("baselineValue", target.baseline_value),
    ];
    if let Some((field, _)) = numbers.iter().find(|(_, n)| n.is_some_and(|n| !n.is_finite())) {
        return Err(E::NonFiniteTargetNumber(field));
    }
    match target.kind {
        TargetKind::Level => ensure(target.target_value.is_some(), E::MissingTargetValue),
        TargetKind::ChangeFromBaseline => {
            let change = target.target_change.ok_or(E::MissingTargetChange)?;
            ensure(change > -1.0, E::TargetChangeNotAboveMinusOne)?;
            ensure(sign(target.direction) * change > 0.0, E::TargetChangeSignMismatch)
        }
        TargetKind::Cumulative => {
            let total = target.target_value.ok_or(E::MissingTargetValue)?;
            ensure(total > 0.0, E::NonPositiveCumulativeTarget)?;
            ensure(target.direction == Direction::HigherIsBetter, E::CumulativeNotHigherIsBetter)
        }
    }
}

/// §3.1 rule 5 on observations sorted by year.
fn validate_observations(sorted: &[(i32, f64)]) -> Result<(), EvaluationError> {
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(EvaluationError::DuplicateYear(pair[0].0));
    }
    match sorted.iter().find(|(_, value)| !value.is_finite()) {
        Some(&(year, _)) => Err(EvaluationError::NonFiniteValue(year)),
        None => Ok(()),
    }
}

/// `d` of §3.2.
fn sign(direction: Direction) -> f64 {
    match direction {
        Direction::HigherIsBetter => 1.0,
        Direction::LowerIsBetter => -1.0,
    }
}

/// Years from `from` to `to`; exact for any two `i32` (no overflow).
fn span(from: i32, to: i32) -> f64 {
    f64::from(to) - f64::from(from)
}

/// `ratio^(1/years) − 1`: the compound annual rate that multiplies by `ratio` over `years`.
fn compound_rate(ratio: f64, years: f64) -> f64 {
    ratio.powf(years.recip()) - 1.0
}

/// GraphQL `Float` cannot carry NaN or ∞; only overflowing inputs (say 1e300/1e-300) make them.
fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

/// §3.5 rules 9–12 on the unrounded ratio.
fn classify(trend_ratio: f64) -> EvaluationStatus {
    let class = THRESHOLDS.iter().find(|(lowest, _)| trend_ratio >= *lowest);
    class.map_or(EvaluationStatus::MovingAway, |&(_, status)| status)
}

/// `U` of §3.2: years in `[b, H]` (CUMULATIVE: `(b, H]`), where `H = min(E, T)`.
fn usable_window(target: &TargetSpec, sorted: &[(i32, f64)], evaluation_year: i32) -> Vec<(i32, f64)> {
    let horizon = evaluation_year.min(target.target_year);
    // A CUMULATIVE flow of year b belongs to the previous period; b < T, so b + 1 cannot overflow.
    let first = target.baseline_year + i32::from(target.kind == TargetKind::Cumulative);
    let mut usable = sorted.to_vec();
    usable.retain(|&(year, _)| (first..=horizon).contains(&year));
    usable
}

/// `L` (§3.2) given a baseline value; `None` for CHANGE without one.
fn level_for(target: &TargetSpec, baseline_value: Option<f64>) -> Option<f64> {
    match target.kind {
        TargetKind::ChangeFromBaseline => Some(baseline_value? * (1.0 + target.target_change?)),
        _ => target.target_value,
    }
}

/// `L` from the target alone, before any observation is used (rules 1 and 2).
fn level_from_spec(target: &TargetSpec) -> Option<f64> {
    finite(level_for(target, target.baseline_value))
}

fn insufficient(reason: Reason) -> Evaluation {
    Evaluation { reason: Some(reason), ..Evaluation::default() }
}

/// Rules 2 and 3 stop before `b'` and `t` are both known; report what the inputs still fix.
fn without_frame(target: &TargetSpec, usable: &[(i32, f64)], reason: Reason) -> Evaluation {
    let mut out = insufficient(reason);
    if let (Reason::BaselineMissing, Some(&(year, value))) = (reason, usable.last()) {
        // §3.3 step 3 and §3.5: the latest observation only; `final` and `achieved` stay false.
        out.latest_year = Some(year);
        out.latest_value = Some(value);
    } else {
        // NO_OBSERVATIONS: the target level and a given (or the implicit CUMULATIVE) baseline.
        out.target_level = level_from_spec(target);
        let cumulative = target.kind == TargetKind::Cumulative;
        out.baseline_value = cumulative.then_some(0.0).or(target.baseline_value);
        out.baseline_year = out.baseline_value.map(|_| target.baseline_year);
    }
    out
}

/// §3.3 baseline `(b', v_b)`: given value, else observation at `b`, else (LEVEL) the first one.
fn resolve_baseline(target: &TargetSpec, usable: &[(i32, f64)]) -> Result<(i32, f64), Reason> {
    let b = target.baseline_year;
    let &(first_year, first_value) = usable.first().ok_or(Reason::NoObservations)?;
    match (target.kind, target.baseline_value) {
        // CUMULATIVE counts flows from zero at the end of year b.
        (TargetKind::Cumulative, _) => Ok((b, 0.0)),
        (_, Some(given)) => Ok((b, given)),
        _ if first_year == b => Ok((b, first_value)),
        // Substituting another year would change a relative target itself (step 3).
        (TargetKind::ChangeFromBaseline, None) => Err(Reason::BaselineMissing),
        _ => Ok((first_year, first_value)),
    }
}

/// The §3.2 symbols, resolved once: `b'`, `v_b`, `L`, `t` and `v_t` (CUMULATIVE: `cum`).
struct Frame<'a> {
    target: &'a TargetSpec,
    base_year: i32,
    base_value: f64,
    level: f64,
    latest_year: i32,
    latest_value: f64,
    /// CUMULATIVE: the mean observed flow, which fills gaps and drives the projection (§3.3).
    mean_flow: f64,
    imputed: Vec<i32>,
}

impl<'a> Frame<'a> {
    fn resolve(target: &'a TargetSpec, usable: &[(i32, f64)]) -> Result<Self, Reason> {
        let (base_year, base_value) = resolve_baseline(target, usable)?;
        let &(latest_year, mut latest_value) = usable.last().ok_or(Reason::NoObservations)?;
        let b = target.baseline_year;
        let (mut mean_flow, mut imputed) = (0.0, Vec::new());
        if target.kind == TargetKind::Cumulative {
            mean_flow = usable.iter().map(|&(_, flow)| flow).sum::<f64>() / usable.len() as f64;
            // cum = observed sum + meanFlow per missing year = meanFlow·(t − b) (§3.3).
            latest_value = mean_flow * span(b, latest_year);
            let observed = |year: &i32| usable.binary_search_by_key(year, |&(y, _)| y).is_ok();
            imputed = (b + 1..=latest_year).filter(|year| !observed(year)).collect();
        }
        let level = level_for(target, Some(base_value)).unwrap_or_default();
        Ok(Self { target, base_year, base_value, level, latest_year, latest_value, mean_flow, imputed })
    }

    fn meets(&self, value: f64) -> bool {
        self.d() * (value - self.level) >= -MEETS_TOLERANCE * self.level.abs().max(1.0)
    }

    /// Never for CUMULATIVE, whose baseline is the empty sum.
    fn baseline_meets_target(&self) -> bool {
        self.target.kind != TargetKind::Cumulative && self.meets(self.base_value)
    }

    /// `(value − v_b)/(L − v_b)`; with `v_b = 0` this is CUMULATIVE's `value / L`.
    fn distance_share(&self, value: f64) -> Option<f64> {
        let defined = !self.baseline_meets_target();
        defined.then(|| (value - self.base_value) / (self.level - self.base_value))
    }

    /// §3.4 `projectedValue`: compound at `cagrActual`, linear, or CUMULATIVE at the mean flow.
    fn projection(&self, method: TrendMethod, cagr_actual: Option<f64>) -> Option<f64> {
        let v_t = self.latest_value;
        let years_left = span(self.latest_year, self.target.target_year);
        let years_seen = span(self.base_year, self.latest_year);
        if years_seen == 0.0 || years_left == 0.0 {
            // One time point has no slope; at `T` the projection is the value itself.
            return (years_seen > 0.0).then_some(v_t);
        }
        match (self.target.kind, method) {
            (TargetKind::Cumulative, _) => Some(v_t + self.mean_flow * years_left),
            (_, TrendMethod::CagrRatio) => cagr_actual.map(|rate| v_t * (1.0 + rate).powf(years_left)),
            (_, TrendMethod::LinearPace) => Some(v_t + (v_t - self.base_value) / years_seen * years_left),
        }
    }

    /// §3.5 rules 5–12 (rules 1–4 ended earlier); `Err` carries the INSUFFICIENT_DATA reason.
    fn status(&self, achieved: bool, trend: Option<f64>) -> Result<EvaluationStatus, Reason> {
        if achieved {
            Ok(EvaluationStatus::Achieved)
        } else if self.latest_year == self.target.target_year {
            Ok(EvaluationStatus::NotAchieved)
        } else if self.baseline_meets_target() && self.latest_year > self.base_year {
            // Rule 7: met at the start, not met now.
            Ok(EvaluationStatus::MovingAway)
        } else {
            let undefined = if self.latest_year == self.base_year {
                Reason::SingleObservation
            } else {
                Reason::TrendUndefined
            };
            trend.map(classify).ok_or(undefined)
        }
    }

    fn d(&self) -> f64 {
        sign(self.target.direction)
    }

    /// §2.2: the CAGR needs `v_b`, `v_t` and `L` all > 0; otherwise linear pace (never CUMULATIVE).
    fn method(&self, option: TrendMethod) -> TrendMethod {
        let cagr_defined = self.target.kind != TargetKind::Cumulative
            && self.base_value > 0.0
            && self.latest_value > 0.0
            && self.level > 0.0;
        if cagr_defined { option } else { TrendMethod::LinearPace }
    }

    /// 时间进度; `b' = T` (a baseline substituted at the deadline) would be 0/0, so null.
    fn time_share(&self) -> Option<f64> {
        let whole = span(self.base_year, self.target.target_year);
        (whole > 0.0).then(|| span(self.base_year, self.latest_year) / whole)
    }

    /// `(cagrActual, cagrRequired)`, fractions per year; null on one time point or values ≤ 0.
    fn cagrs(&self) -> Option<(f64, f64)> {
        let defined = self.method(TrendMethod::CagrRatio) == TrendMethod::CagrRatio;
        let (b, t) = (self.base_year, self.latest_year);
        let rate = |to: f64, year: i32| compound_rate(to / self.base_value, span(b, year));
        (defined && t > b).then(|| (rate(self.latest_value, t), rate(self.level, self.target.target_year)))
    }

    /// §3.4 `trendRatio` of `method`, null where undefined or not finite.
    fn trend(&self, method: TrendMethod, cagrs: Option<(f64, f64)>, pace: Option<f64>) -> Option<f64> {
        finite(match method {
            TrendMethod::CagrRatio => cagrs
                .filter(|&(_, required)| required.abs() > MIN_REQUIRED_RATE)
                .map(|(actual, required)| self.d() * actual / required.abs()),
            TrendMethod::LinearPace => pace,
        })
    }

    /// All §3.4 quantities and the §3.5 status.
    fn assess(&self, option: TrendMethod) -> Evaluation {
        if self.target.kind == TargetKind::ChangeFromBaseline && self.base_value <= 0.0 {
            // Rule 4: a level computed from a non-positive baseline means nothing, so a gap or a
            // projection against it would read as met or missed when it is neither (§3.5).
            return Evaluation {
                reason: Some(Reason::NonPositiveBaseline),
                baseline_year: Some(self.base_year),
                baseline_value: Some(self.base_value),
                latest_year: Some(self.latest_year),
                latest_value: finite(Some(self.latest_value)),
                ..Evaluation::default()
            };
        }
        let (v_t, level, method) = (self.latest_value, self.level, self.method(option));
        let single = self.latest_year == self.base_year;
        let is_final = self.latest_year == self.target.target_year;
        let years_left = span(self.latest_year, self.target.target_year);
        let share = self.time_share();
        let progress = finite(self.distance_share(v_t).filter(|_| !single));
        let pace = finite(progress.zip(share).map(|(progress, share)| progress / share));
        let cagrs = self.cagrs();
        let trend = self.trend(method, cagrs, pace);
        let projected = finite(self.projection(method, cagrs.map(|(actual, _)| actual)));
        let achieved = self.meets(v_t);
        let verdict = self.status(achieved, trend);
        let rate_defined = self.target.kind != TargetKind::Cumulative && v_t > 0.0 && level > 0.0;
        Evaluation {
            status: verdict.unwrap_or_default(),
            reason: verdict.err(),
            achieved,
            is_final,
            method: verdict.is_ok().then_some(method),
            baseline_year: Some(self.base_year),
            baseline_value: Some(self.base_value),
            baseline_substituted: self.base_year != self.target.baseline_year,
            target_level: finite(Some(level)),
            latest_year: Some(self.latest_year),
            latest_value: finite(Some(v_t)),
            time_elapsed_share: share,
            progress,
            pace_ratio: pace,
            cagr_actual: finite(cagrs.map(|(actual, _)| actual)),
            cagr_required: finite(cagrs.map(|(_, required)| required)),
            trend_ratio: trend,
            gap: finite(Some(self.d() * (level - v_t))),
            projected_value: projected,
            projected_progress: finite(projected.and_then(|value| self.distance_share(value))),
            required_annual_rate: finite(
                (rate_defined && !is_final).then(|| compound_rate(level / v_t, years_left)),
            ),
            required_annual_amount: finite((!is_final).then(|| (level - v_t) / years_left)),
            imputed_years: self.imputed.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const FIXTURES: &str = include_str!("../../tests/fixtures/evaluation-fixtures.json");
    /// §3.7: fixture values are rounded to 4 decimals.
    const FIXTURE_TOLERANCE: f64 = 5.1e-5;
    /// Hand-derived values below are written to 7+ significant digits.
    const HAND_TOLERANCE: f64 = 1e-6;

    // ---------- name mappings (GraphQL spellings of §3.8) ----------

    fn kind_named(name: &str) -> TargetKind {
        match name {
            "LEVEL" => TargetKind::Level,
            "CHANGE_FROM_BASELINE" => TargetKind::ChangeFromBaseline,
            "CUMULATIVE" => TargetKind::Cumulative,
            other => panic!("unknown kind {other}"),
        }
    }

    fn direction_named(name: &str) -> Direction {
        match name {
            "HIGHER_IS_BETTER" => Direction::HigherIsBetter,
            "LOWER_IS_BETTER" => Direction::LowerIsBetter,
            other => panic!("unknown direction {other}"),
        }
    }

    fn method_name(method: TrendMethod) -> &'static str {
        match method {
            TrendMethod::CagrRatio => "CAGR_RATIO",
            TrendMethod::LinearPace => "LINEAR_PACE",
        }
    }

    /// The §3.8 `TargetEvaluation` shape, so fixtures compare field by field.
    fn as_graphql(e: &Evaluation) -> Value {
        json!({
            "status": e.status.as_str(),
            "reason": e.reason.map(InsufficientDataReason::as_str),
            "achieved": e.achieved,
            "final": e.is_final,
            "method": e.method.map(method_name),
            "baselineYear": e.baseline_year,
            "baselineValue": e.baseline_value,
            "baselineSubstituted": e.baseline_substituted,
            "targetLevel": e.target_level,
            "latestYear": e.latest_year,
            "latestValue": e.latest_value,
            "timeElapsedShare": e.time_elapsed_share,
            "progress": e.progress,
            "paceRatio": e.pace_ratio,
            "cagrActual": e.cagr_actual,
            "cagrRequired": e.cagr_required,
            "trendRatio": e.trend_ratio,
            "gap": e.gap,
            "projectedValue": e.projected_value,
            "projectedProgress": e.projected_progress,
            "requiredAnnualRate": e.required_annual_rate,
            "requiredAnnualAmount": e.required_annual_amount,
            "imputedYears": e.imputed_years,
        })
    }

    fn same_value(expected: &Value, actual: &Value) -> bool {
        match (expected, actual) {
            (Value::Number(x), Value::Number(y)) => {
                (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= FIXTURE_TOLERANCE
            }
            (Value::Array(xs), Value::Array(ys)) => {
                xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_value(x, y))
            }
            _ => expected == actual,
        }
    }

    fn spec_from_json(target: &Value) -> TargetSpec {
        TargetSpec {
            kind: kind_named(target["kind"].as_str().unwrap()),
            direction: direction_named(target["direction"].as_str().unwrap()),
            baseline_year: target["baselineYear"].as_i64().unwrap() as i32,
            target_year: target["targetYear"].as_i64().unwrap() as i32,
            target_value: target["targetValue"].as_f64(),
            target_change: target["targetChange"].as_f64(),
            baseline_value: target["baselineValue"].as_f64(),
        }
    }

    fn observations_from_json(observations: &Value) -> Vec<(i32, f64)> {
        let map = observations.as_object().unwrap();
        map.iter().map(|(year, value)| (year.parse().unwrap(), value.as_f64().unwrap())).collect()
    }

    /// Every mismatch of one fixture as "id.field: expected …, got …".
    fn fixture_failures(fixture: &Value) -> Vec<String> {
        let id = fixture["id"].as_str().unwrap();
        let target = spec_from_json(&fixture["target"]);
        let observations = observations_from_json(&fixture["observations"]);
        let year = fixture["evaluationYear"].as_i64().unwrap() as i32;
        let actual = match evaluate(&target, &observations, year, &EvaluationOptions::default()) {
            Ok(evaluation) => as_graphql(&evaluation),
            Err(error) => return vec![format!("{id}: unexpected error {error}")],
        };
        let expected = fixture["expected"].as_object().unwrap();
        let mut failures: Vec<String> = expected
            .iter()
            .filter(|(field, want)| !same_value(want, &actual[field.as_str()]))
            .map(|(field, want)| format!("{id}.{field}: expected {want}, got {}", actual[field.as_str()]))
            .collect();
        for field in actual.as_object().unwrap().keys().filter(|f| !expected.contains_key(*f)) {
            failures.push(format!("{id}.{field}: output field not in the fixture"));
        }
        failures
    }

    #[test]
    fn every_fixture_matches_every_field() {
        let fixtures: Vec<Value> = serde_json::from_str(FIXTURES).unwrap();
        assert_eq!(fixtures.len(), 14, "E01–E14 expected");
        let failures: Vec<String> = fixtures.iter().flat_map(fixture_failures).collect();
        assert!(failures.is_empty(), "fixture mismatches:\n{}", failures.join("\n"));
    }

    // ---------- helpers for hand-derived cases ----------

    fn level(direction: Direction, b: i32, t: i32, value: f64) -> TargetSpec {
        TargetSpec {
            kind: TargetKind::Level,
            direction,
            baseline_year: b,
            target_year: t,
            target_value: Some(value),
            target_change: None,
            baseline_value: None,
        }
    }

    fn change(direction: Direction, b: i32, t: i32, change: f64) -> TargetSpec {
        TargetSpec {
            kind: TargetKind::ChangeFromBaseline,
            target_value: None,
            target_change: Some(change),
            ..level(direction, b, t, 0.0)
        }
    }

    fn cumulative(b: i32, t: i32, total: f64) -> TargetSpec {
        TargetSpec { kind: TargetKind::Cumulative, ..level(Direction::HigherIsBetter, b, t, total) }
    }

    fn with_baseline(spec: TargetSpec, baseline_value: f64) -> TargetSpec {
        TargetSpec { baseline_value: Some(baseline_value), ..spec }
    }

    fn run(target: &TargetSpec, observations: &[(i32, f64)], year: i32) -> Evaluation {
        evaluate(target, observations, year, &EvaluationOptions::default()).expect("valid input")
    }

    fn run_linear(target: &TargetSpec, observations: &[(i32, f64)], year: i32) -> Evaluation {
        let options = EvaluationOptions { trend_method: Some(TrendMethod::LinearPace) };
        evaluate(target, observations, year, &options).expect("valid input")
    }

    #[track_caller]
    fn close(actual: Option<f64>, expected: f64) {
        let value = actual.unwrap_or_else(|| panic!("expected {expected}, got None"));
        assert!((value - expected).abs() <= HAND_TOLERANCE, "expected {expected}, got {value}");
    }

    const UP: Direction = Direction::HigherIsBetter;
    const DOWN: Direction = Direction::LowerIsBetter;

    // ---------- §3.5 thresholds ----------

    #[test]
    fn classifier_boundaries() {
        assert_eq!(classify(0.95), EvaluationStatus::OnTrack);
        assert_eq!(classify(0.9499), EvaluationStatus::ModerateProgress);
        assert_eq!(classify(0.60), EvaluationStatus::ModerateProgress);
        assert_eq!(classify(0.5999), EvaluationStatus::InsufficientProgress);
        assert_eq!(classify(0.0), EvaluationStatus::InsufficientProgress);
        assert_eq!(classify(-0.0), EvaluationStatus::InsufficientProgress);
        assert_eq!(classify(-0.0001), EvaluationStatus::MovingAway);
    }

    #[test]
    fn threshold_boundaries_through_evaluate() {
        // LEVEL ↑, b = 2000, T = 2010, given v_b = 20, L = 120, t = 2005 ⇒ share = 5/10 = 0.5,
        // trendRatio (LINEAR_PACE) = ((v − 20)/100)/0.5. Halving/doubling is exact in binary, so
        // v = 67.5 gives round(0.475)·2 = round(0.95) = 0.95 and v = 50 gives exactly 0.60.
        let target = with_baseline(level(UP, 2000, 2010, 120.0), 20.0);
        let cases = [
            (67.5, EvaluationStatus::OnTrack),                // 47.5/100/0.5 = 0.95
            (67.495, EvaluationStatus::ModerateProgress),     // 47.495/100/0.5 = 0.9499
            (50.0, EvaluationStatus::ModerateProgress),       // 30/100/0.5 = 0.60
            (49.995, EvaluationStatus::InsufficientProgress), // 29.995/100/0.5 = 0.5999
            (20.0, EvaluationStatus::InsufficientProgress),   // 0/100/0.5 = 0
            (19.995, EvaluationStatus::MovingAway),           // −0.005/100/0.5 = −0.0001
        ];
        for (value, status) in cases {
            let e = run_linear(&target, &[(2005, value)], 2005);
            assert_eq!(e.status, status, "v_t = {value}, ratio {:?}", e.trend_ratio);
        }
        assert_eq!(run_linear(&target, &[(2005, 67.5)], 2005).trend_ratio, Some(0.95));
        assert_eq!(run_linear(&target, &[(2005, 50.0)], 2005).trend_ratio, Some(0.60));
    }

    #[test]
    fn unchanged_lower_is_better_value_is_zero_not_moving_away() {
        // CHANGE ↓ −20 %, v_b = v_t = 10: cagrActual = 0, trendRatio = −1·0/|cr| = −0.0,
        // which is ≥ 0 ⇒ INSUFFICIENT_PROGRESS (rule 11), not MOVING_AWAY.
        let e = run(&change(DOWN, 2010, 2015, -0.2), &[(2010, 10.0), (2012, 10.0)], 2012);
        assert_eq!(e.status, EvaluationStatus::InsufficientProgress);
        close(e.trend_ratio, 0.0);
    }

    // ---------- hand-derived branches the fixtures do not cover ----------

    #[test]
    fn change_from_baseline_rising() {
        // CHANGE ↑ +46.41 %, b = 2010, T = 2014; 2010: 100, 2012: 115.5625 (= 100·1.075²).
        let e = run(&change(UP, 2010, 2014, 0.4641), &[(2010, 100.0), (2012, 115.5625)], 2012);
        assert_eq!(e.status, EvaluationStatus::ModerateProgress); // 0.60 ≤ 0.75 < 0.95
        assert_eq!(e.method, Some(TrendMethod::CagrRatio));
        close(e.target_level, 146.41); // 100·(1 + 0.4641)
        close(e.time_elapsed_share, 0.5); // (2012 − 2010)/(2014 − 2010)
        close(e.progress, 0.3353264); // 15.5625/46.41
        close(e.pace_ratio, 0.6706529); // 0.3353264/0.5
        close(e.cagr_actual, 0.075); // (1.155625)^(1/2) − 1 = 1.075 − 1
        close(e.cagr_required, 0.1); // (1.4641)^(1/4) − 1 = 1.1 − 1
        close(e.trend_ratio, 0.75); // +1·0.075/|0.1|
        close(e.gap, 30.8475); // +1·(146.41 − 115.5625)
        close(e.projected_value, 133.5469141); // 115.5625·1.075² = 100·1.075⁴
        close(e.projected_progress, 0.7228381); // 33.5469141/46.41
        close(e.required_annual_rate, 0.1255814); // (1.1⁴/1.075²)^(1/2) − 1 = 1.21/1.075 − 1
        close(e.required_annual_amount, 15.42375); // 30.8475/2
        assert!(!e.achieved && !e.is_final);
    }

    #[test]
    fn zero_baseline_falls_back_to_linear_pace() {
        // LEVEL ↑ 10, b = 2010, T = 2020; 2010: 0, 2014: 4. v_b = 0 ⇒ no CAGR (§2.2) ⇒ LINEAR_PACE
        // even though CAGR_RATIO is the default.
        let e = run(&level(UP, 2010, 2020, 10.0), &[(2010, 0.0), (2014, 4.0)], 2014);
        assert_eq!(e.method, Some(TrendMethod::LinearPace));
        assert_eq!((e.cagr_actual, e.cagr_required), (None, None));
        close(e.progress, 0.4); // (4 − 0)/(10 − 0)
        close(e.time_elapsed_share, 0.4); // 4/10
        close(e.trend_ratio, 1.0); // paceRatio = 0.4/0.4
        assert_eq!(e.status, EvaluationStatus::OnTrack);
        close(e.projected_value, 10.0); // 4 + (4 − 0)/4·6
        close(e.projected_progress, 1.0); // 10/10
        close(e.gap, 6.0); // 10 − 4
        // §3.4 table: the rate needs only v_t > 0 and L > 0 (see report: §3.6 reads stricter).
        close(e.required_annual_rate, 0.1649931); // (10/4)^(1/6) − 1
        close(e.required_annual_amount, 1.0); // 6/6
    }

    #[test]
    fn negative_target_level_lower_is_better() {
        // LEVEL ↓ −5 (net negative), b = 2010, T = 2020; 2010: 10, 2015: 2. L ≤ 0 ⇒ LINEAR_PACE.
        let e = run(&level(DOWN, 2010, 2020, -5.0), &[(2010, 10.0), (2015, 2.0)], 2015);
        assert_eq!(e.method, Some(TrendMethod::LinearPace));
        close(e.progress, 0.5333333); // (2 − 10)/(−5 − 10) = 8/15
        close(e.trend_ratio, 1.0666667); // (8/15)/0.5
        assert_eq!(e.status, EvaluationStatus::OnTrack);
        close(e.gap, 7.0); // −1·(−5 − 2)
        close(e.projected_value, -6.0); // 2 + (2 − 10)/5·5
        close(e.projected_progress, 1.0666667); // (−6 − 10)/(−15)
        assert_eq!(e.required_annual_rate, None); // L ≤ 0
        close(e.required_annual_amount, -1.4); // (−5 − 2)/5
        assert_eq!(e.cagr_actual, None);
    }

    #[test]
    fn zero_target_works_and_can_be_achieved() {
        // LEVEL ↓ 0, b = 2010, T = 2018; 2010: 8, 2013: 5, 2018: 0.
        let target = level(DOWN, 2010, 2018, 0.0);
        let observations = [(2010, 8.0), (2013, 5.0), (2018, 0.0)];
        let mid = run(&target, &observations, 2013);
        close(mid.time_elapsed_share, 0.375); // 3/8
        close(mid.progress, 0.375); // (5 − 8)/(0 − 8)
        close(mid.trend_ratio, 1.0); // 0.375/0.375
        assert_eq!(mid.status, EvaluationStatus::OnTrack);
        close(mid.projected_value, 0.0); // 5 + (5 − 8)/3·5
        close(mid.gap, 5.0); // −1·(0 − 5)
        close(mid.required_annual_amount, -1.0); // (0 − 5)/5
        assert_eq!(mid.required_annual_rate, None); // L = 0
        let end = run(&target, &observations, 2018);
        assert_eq!(end.status, EvaluationStatus::Achieved); // −1·(0 − 0) ≥ −tol
        assert!(end.achieved && end.is_final);
    }

    #[test]
    fn negative_latest_value_is_moving_away_without_a_rate() {
        // LEVEL ↑ 5, b = 2010, T = 2020; 2010: 2, 2012: −1. v_t ≤ 0 ⇒ LINEAR_PACE, no rate.
        let e = run(&level(UP, 2010, 2020, 5.0), &[(2010, 2.0), (2012, -1.0)], 2012);
        close(e.progress, -1.0); // (−1 − 2)/(5 − 2)
        close(e.trend_ratio, -5.0); // −1/0.2
        assert_eq!(e.status, EvaluationStatus::MovingAway);
        assert_eq!(e.required_annual_rate, None);
        close(e.required_annual_amount, 0.75); // (5 + 1)/8
        close(e.projected_value, -13.0); // −1 + (−3/2)·8
        close(e.projected_progress, -5.0); // (−13 − 2)/3
    }

    #[test]
    fn change_with_zero_observed_baseline_is_non_positive_baseline() {
        // CHANGE ↓ −20 %, b = 2010, T = 2015; 2010: 0, 2012: 1 ⇒ rule 4.
        let e = run(&change(DOWN, 2010, 2015, -0.2), &[(2010, 0.0), (2012, 1.0)], 2012);
        assert_eq!(e.status, EvaluationStatus::InsufficientData);
        assert_eq!(e.reason, Some(InsufficientDataReason::NonPositiveBaseline));
        assert_eq!((e.method, e.trend_ratio, e.cagr_actual), (None, None, None));
        assert_eq!((e.baseline_year, e.baseline_value), (Some(2010), Some(0.0)));
        assert_eq!((e.latest_year, e.latest_value), (Some(2012), Some(1.0)));
        // §3.5: every other number is null, and final and achieved are false.
        let only_the_four = Evaluation {
            reason: e.reason,
            baseline_year: e.baseline_year,
            baseline_value: e.baseline_value,
            latest_year: e.latest_year,
            latest_value: e.latest_value,
            ..Evaluation::default()
        };
        assert_eq!(e, only_the_four);
    }

    #[test]
    fn a_missing_baseline_reports_the_latest_value_only_and_is_never_final() {
        // CHANGE ↓ −18 %, b = 2012, T = 2017; only 2017 observed ⇒ rule 3, even at T.
        let e = run(&change(DOWN, 2012, 2017, -0.18), &[(2017, 0.8)], 2017);
        assert_eq!(e.reason, Some(InsufficientDataReason::BaselineMissing));
        let only_the_latest = Evaluation {
            reason: e.reason,
            latest_year: Some(2017),
            latest_value: Some(0.8),
            ..Evaluation::default()
        };
        assert_eq!(e, only_the_latest);
    }

    #[test]
    fn change_with_negative_given_baseline_never_claims_achievement() {
        // CHANGE ↑ +10 %, given v_b = −10 ⇒ L = −11; v_t = −9 "meets" it arithmetically, but the
        // level is meaningless, so rule 4 wins over rule 5 and achieved stays false.
        let target = with_baseline(change(UP, 2010, 2015, 0.1), -10.0);
        let e = run(&target, &[(2012, -9.0)], 2012);
        assert_eq!(e.reason, Some(InsufficientDataReason::NonPositiveBaseline));
        assert!(!e.achieved && !e.is_final);
        assert_eq!((e.target_level, e.gap, e.progress), (None, None, None));
    }

    #[test]
    fn cumulative_final_year_achieved() {
        // CUMUL 13.0, b = 2012, T = 2017; flows 2013..2017: 2.5, 2.6, 2.7, 2.8, 2.9; 2018 ignored.
        let flows = [(2017, 2.9), (2013, 2.5), (2015, 2.7), (2014, 2.6), (2016, 2.8), (2018, 9.0)];
        let e = run(&cumulative(2012, 2017, 13.0), &flows, 2018);
        assert_eq!(e.status, EvaluationStatus::Achieved);
        assert!(e.achieved && e.is_final);
        close(e.latest_value, 13.5); // mean 2.7 × 5 years
        close(e.progress, 1.0384615); // 13.5/13
        close(e.trend_ratio, 1.0384615); // progress/1.0
        close(e.gap, -0.5); // 13 − 13.5
        close(e.projected_value, 13.5); // t = T ⇒ cum
        assert_eq!((e.required_annual_amount, e.required_annual_rate), (None, None));
        assert!(e.imputed_years.is_empty());
    }

    #[test]
    fn cumulative_final_year_missed_with_a_gap() {
        // CUMUL 13.0, b = 2012, T = 2017; 2013: 2.0, 2014: 2.2, 2016: 2.4, 2017: 2.6 (2015 missing).
        let flows = [(2013, 2.0), (2014, 2.2), (2016, 2.4), (2017, 2.6)];
        let e = run(&cumulative(2012, 2017, 13.0), &flows, 2017);
        assert_eq!(e.status, EvaluationStatus::NotAchieved);
        assert!(!e.achieved && e.is_final);
        assert_eq!(e.imputed_years, vec![2015]);
        close(e.latest_value, 11.5); // mean 9.2/4 = 2.3, × (2017 − 2012)
        close(e.progress, 0.8846154); // 11.5/13
        close(e.gap, 1.5); // 13 − 11.5
        assert_eq!(e.method, Some(TrendMethod::LinearPace));
    }

    #[test]
    fn level_baseline_given_in_target_overrides_observation() {
        // LEVEL ↑ 30, b = 2010, T = 2015, given v_b = 20; observed 2010: 18 (ignored), 2012: 22.05.
        let target = with_baseline(level(UP, 2010, 2015, 30.0), 20.0);
        let e = run(&target, &[(2010, 18.0), (2012, 22.05)], 2012);
        assert_eq!(
            (e.baseline_year, e.baseline_value, e.baseline_substituted),
            (Some(2010), Some(20.0), false)
        );
        close(e.progress, 0.205); // 2.05/10
        close(e.pace_ratio, 0.5125); // 0.205/0.4
        close(e.cagr_actual, 0.05); // (22.05/20)^(1/2) − 1 = 1.05 − 1
        close(e.cagr_required, 0.0844718); // 1.5^(1/5) − 1
        close(e.trend_ratio, 0.5919137); // 0.05/0.0844718
        assert_eq!(e.status, EvaluationStatus::InsufficientProgress);
        close(e.projected_value, 25.5256313); // 22.05·1.05³ = 20·1.05⁵
        close(e.required_annual_rate, 0.1080794); // (30/22.05)^(1/3) − 1
        close(e.required_annual_amount, 2.65); // (30 − 22.05)/3
    }

    #[test]
    fn change_baseline_given_in_target_when_not_observed() {
        // E08's data, but the target supplies v_b = 1.0 (§3.6: "unless the target supplies it").
        let target = with_baseline(change(DOWN, 2012, 2017, -0.18), 1.0);
        let e = run(&target, &[(2013, 0.95), (2014, 0.92)], 2014);
        close(e.target_level, 0.82); // 1.0·(1 − 0.18)
        close(e.progress, 0.4444444); // (0.92 − 1)/(0.82 − 1)
        close(e.pace_ratio, 1.1111111); // 0.4444444/0.4
        close(e.cagr_actual, -0.0408337); // 0.92^(1/2) − 1
        close(e.cagr_required, -0.0389129); // 0.82^(1/5) − 1
        close(e.trend_ratio, 1.0493627); // −1·(−0.0408337)/0.0389129
        assert_eq!(e.status, EvaluationStatus::OnTrack);
        close(e.projected_value, 0.8118384); // 0.92·0.9591663³
        close(e.projected_progress, 1.0453424); // (0.8118384 − 1)/(0.82 − 1)
    }

    #[test]
    fn linear_pace_option_on_e01() {
        // E01 data with trendMethod LINEAR_PACE (§2.6 states the expected outcome).
        let obs = [(2012, 12.0), (2013, 13.1), (2014, 14.2), (2015, 15.3)];
        let e = run_linear(&level(UP, 2012, 2017, 17.8), &obs, 2015);
        assert_eq!(e.method, Some(TrendMethod::LinearPace));
        close(e.trend_ratio, 0.9482759); // (3.3/5.8)/0.6
        assert_eq!(e.status, EvaluationStatus::ModerateProgress);
        close(e.projected_value, 17.5); // 15.3 + (3.3/3)·2
        close(e.projected_progress, 0.9482759); // 5.5/5.8
        close(e.cagr_actual, 0.0843514); // still reported: (15.3/12)^(1/3) − 1 = 1.275^(1/3) − 1
    }

    #[test]
    fn evaluation_year_before_baseline() {
        let before = |target: &TargetSpec| run(target, &[(2012, 40.0), (2013, 41.0)], 2011);
        let given = before(&with_baseline(change(DOWN, 2012, 2017, -0.2), 100.0));
        assert_eq!(given.reason, Some(InsufficientDataReason::EvaluationBeforeBaseline));
        close(given.target_level, 80.0); // 100·(1 − 0.2), from the target alone
        assert_eq!((given.baseline_year, given.latest_year, given.gap), (None, None, None));
        // Without a given baseline, a CHANGE level cannot be derived from the target alone.
        assert_eq!(before(&change(DOWN, 2012, 2017, -0.2)).target_level, None);
        close(before(&cumulative(2012, 2017, 13.0)).target_level, 13.0);
    }

    #[test]
    fn single_observation_that_already_meets_the_target() {
        // LEVEL ↑ 45; only 2014: 46 ⇒ b' = t = 2014 (substituted); achieved is still evaluated.
        let e = run(&level(UP, 2012, 2017, 45.0), &[(2014, 46.0)], 2015);
        assert_eq!(e.status, EvaluationStatus::Achieved);
        assert_eq!((e.trend_ratio, e.progress, e.projected_value), (None, None, None));
        assert!(e.baseline_substituted);
        close(e.gap, -1.0); // 45 − 46
        close(e.required_annual_rate, -0.0072995); // (45/46)^(1/3) − 1
        close(e.required_annual_amount, -0.3333333); // −1/3
    }

    #[test]
    fn a_trend_that_overflows_has_its_own_reason_not_single_observation() {
        // LEVEL ↑ 1e301 from 1e-300 in 2012 to 1e300 in 2015: two points, but 1e300 / 1e-300
        // overflows, so the growth rate (and trendRatio) cannot be computed.
        let e = run(&level(UP, 2012, 2017, 1e301), &[(2012, 1e-300), (2015, 1e300)], 2015);
        assert_eq!(e.status, EvaluationStatus::InsufficientData);
        assert_eq!(e.reason, Some(InsufficientDataReason::TrendUndefined));
        assert_eq!((e.baseline_year, e.latest_year), (Some(2012), Some(2015)));
        assert_eq!(e.trend_ratio, None);
    }

    #[test]
    fn single_observation_at_the_change_baseline() {
        // CHANGE ↓ −10 %, b = 2010, T = 2020; only 2010: 5 ⇒ L = 4.5, t = b' ⇒ rule 8.
        let e = run(&change(DOWN, 2010, 2020, -0.1), &[(2010, 5.0)], 2012);
        assert_eq!(e.reason, Some(InsufficientDataReason::SingleObservation));
        assert_eq!(e.method, None);
        close(e.time_elapsed_share, 0.0); // 0/10
        close(e.gap, 0.5); // −1·(4.5 − 5)
        close(e.required_annual_rate, -0.0104807); // 0.9^(1/10) − 1
        close(e.required_annual_amount, -0.05); // −0.5/10
    }

    #[test]
    fn after_target_year_without_a_target_year_observation() {
        // LEVEL ↑ 45, b = 2012, T = 2017; 2012: 40, 2016: 44, 2018: 50 (after T, ignored), E = 2019.
        let e = run(&level(UP, 2012, 2017, 45.0), &[(2012, 40.0), (2016, 44.0), (2018, 50.0)], 2019);
        assert!(!e.is_final);
        assert_eq!(e.latest_year, Some(2016));
        close(e.cagr_actual, 0.0241137); // 1.1^(1/4) − 1
        close(e.cagr_required, 0.0238363); // 1.125^(1/5) − 1
        close(e.trend_ratio, 1.0116391); // 0.0241137/0.0238363
        assert_eq!(e.status, EvaluationStatus::OnTrack);
        close(e.projected_value, 45.0610023); // 44·1.1^(1/4)
        close(e.required_annual_rate, 0.0227273); // 45/44 − 1
    }

    #[test]
    fn meets_tolerance_absorbs_rounding_of_the_target_level() {
        // CHANGE ↓ −90 %, v_b = 3 ⇒ L = 3·(1 − 0.9) = 0.29999999999999993 in doubles; observing
        // 0.3 at T misses by 5.6e-17, far inside 1e-9·max(1, |L|) ⇒ ACHIEVED.
        let e = run(&change(DOWN, 2010, 2015, -0.9), &[(2010, 3.0), (2015, 0.3)], 2015);
        assert!(e.target_level.unwrap() < 0.3);
        assert_eq!(e.status, EvaluationStatus::Achieved);
    }

    #[test]
    fn substituted_baseline_at_the_target_year() {
        // Only the target-year value exists: b' = t = T, so 0/0 time share is null; final holds.
        let target = level(UP, 2012, 2017, 45.0);
        let met = run(&target, &[(2017, 46.0)], 2018);
        assert_eq!(met.status, EvaluationStatus::Achieved);
        assert!(met.is_final);
        assert_eq!((met.time_elapsed_share, met.projected_value), (None, None));
        assert_eq!(run(&target, &[(2017, 44.0)], 2018).status, EvaluationStatus::NotAchieved);
    }

    #[test]
    fn no_usable_observations() {
        // Observations only before b and after E ⇒ rule 2; the target's own numbers are reported.
        let target = with_baseline(level(UP, 2012, 2017, 45.0), 40.0);
        let e = run(&target, &[(2010, 39.0), (2016, 44.0)], 2015);
        assert_eq!(e.reason, Some(InsufficientDataReason::NoObservations));
        assert_eq!((e.baseline_year, e.baseline_value, e.target_level), (Some(2012), Some(40.0), Some(45.0)));
        assert_eq!((e.latest_year, e.gap), (None, None));
        // CUMULATIVE: a flow in year b belongs to the previous period, so it is not usable.
        let flows = run(&cumulative(2012, 2017, 13.0), &[(2012, 2.0)], 2015);
        assert_eq!(flows.reason, Some(InsufficientDataReason::NoObservations));
        assert_eq!(run(&level(UP, 2012, 2017, 45.0), &[], 2015).baseline_year, None);
    }

    #[test]
    fn order_and_out_of_window_observations_do_not_matter() {
        let target = level(UP, 2012, 2017, 17.8);
        let sorted = [(2012, 12.0), (2013, 13.1), (2014, 14.2), (2015, 15.3)];
        let shuffled = [(2015, 15.3), (2016, 99.0), (2012, 12.0), (2010, 1.0), (2014, 14.2), (2013, 13.1)];
        assert_eq!(run(&target, &shuffled, 2015), run(&target, &sorted, 2015));
    }

    #[test]
    fn overflowing_inputs_never_yield_non_finite_numbers() {
        let e = run(&level(UP, 2000, 2010, 1e308), &[(2000, 1e-300), (2001, 1e300)], 2001);
        let floats = [e.cagr_actual, e.cagr_required, e.trend_ratio, e.projected_value, e.progress];
        assert!(floats.iter().flatten().all(|v| v.is_finite()), "{e:?}");
    }

    // ---------- §3.1 validation ----------

    fn error_of(target: &TargetSpec, observations: &[(i32, f64)]) -> EvaluationError {
        evaluate(target, observations, 2015, &EvaluationOptions::default()).unwrap_err()
    }

    #[test]
    fn each_validation_rule_is_an_error_with_a_stable_code() {
        let no_value = TargetSpec { target_value: None, ..level(UP, 2012, 2017, 1.0) };
        let cases = [
            (error_of(&level(UP, 2017, 2017, 1.0), &[]), "TARGET_YEAR_NOT_AFTER_BASELINE"),
            (error_of(&no_value, &[]), "MISSING_TARGET_VALUE"),
            (
                error_of(&TargetSpec { target_change: None, ..change(DOWN, 2012, 2017, -0.1) }, &[]),
                "MISSING_TARGET_CHANGE",
            ),
            (error_of(&change(DOWN, 2012, 2017, -1.0), &[]), "TARGET_CHANGE_NOT_ABOVE_MINUS_ONE"),
            (error_of(&change(DOWN, 2012, 2017, 0.1), &[]), "TARGET_CHANGE_SIGN_MISMATCH"),
            (error_of(&change(UP, 2012, 2017, -0.1), &[]), "TARGET_CHANGE_SIGN_MISMATCH"),
            (error_of(&change(UP, 2012, 2017, 0.0), &[]), "TARGET_CHANGE_SIGN_MISMATCH"),
            (
                error_of(&TargetSpec { kind: TargetKind::Cumulative, ..no_value.clone() }, &[]),
                "MISSING_TARGET_VALUE",
            ),
            (error_of(&cumulative(2012, 2017, 0.0), &[]), "NON_POSITIVE_CUMULATIVE_TARGET"),
            (
                error_of(&TargetSpec { direction: DOWN, ..cumulative(2012, 2017, 5.0) }, &[]),
                "CUMULATIVE_NOT_HIGHER_IS_BETTER",
            ),
            (
                error_of(&level(UP, 2012, 2017, 1.0), &[(2013, 1.0), (2014, 2.0), (2013, 3.0)]),
                "DUPLICATE_YEAR",
            ),
            (error_of(&level(UP, 2012, 2017, 1.0), &[(2013, 1.0), (2020, f64::NAN)]), "NON_FINITE_VALUE"),
            (error_of(&level(UP, 2012, 2017, f64::INFINITY), &[]), "NON_FINITE_TARGET_NUMBER"),
        ];
        for (error, code) in &cases {
            assert_eq!(error.code(), *code, "{error}");
        }
        assert_eq!(
            error_of(&level(UP, 2012, 2017, 1.0), &[(2014, 2.0), (2014, 3.0)]),
            EvaluationError::DuplicateYear(2014)
        );
        assert_eq!(
            error_of(&level(UP, 2012, 2017, 1.0), &[(2013, f64::NEG_INFINITY)]),
            EvaluationError::NonFiniteValue(2013)
        );
        // A NaN change is reported as non-finite, not as a range violation.
        assert_eq!(
            error_of(&change(DOWN, 2012, 2017, f64::NAN), &[]),
            EvaluationError::NonFiniteTargetNumber("targetChange")
        );
    }
}
