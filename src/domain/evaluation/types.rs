//! The evaluator's vocabulary (docs/evaluation.md §3.1 and §3.8): a target, the caller's options,
//! the result with its status and reason, and the input errors with their stable codes.

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

/// A quantified target (§3.1 `Target`); [`evaluate`](super::evaluate) validates it.
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

impl TargetSpec {
    /// Whether an observation of `year` counts, evaluated in `evaluation_year`: the usable set
    /// `U` of §3.2, years in `[b, H]` (CUMULATIVE: `(b, H]`, a flow of year `b` belongs to the
    /// period before), where `H = min(E, T)`.
    pub fn counts(&self, year: i32, evaluation_year: i32) -> bool {
        let horizon = evaluation_year.min(self.target_year);
        let after_baseline = match self.kind {
            TargetKind::Cumulative => year > self.baseline_year,
            _ => year >= self.baseline_year,
        };
        after_baseline && year <= horizon
    }
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
