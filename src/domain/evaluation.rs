//! Judges one quantified plan target against a series of observations (docs/evaluation.md §3).
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

mod types;

pub use types::*;

/// Evaluates `target` in `evaluation_year` (`E`) against `observations` as docs/evaluation.md §3 says.
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

/// `U` of §3.2 ([`TargetSpec::counts`]).
fn usable_window(target: &TargetSpec, sorted: &[(i32, f64)], evaluation_year: i32) -> Vec<(i32, f64)> {
    sorted.iter().copied().filter(|&(year, _)| target.counts(year, evaluation_year)).collect()
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
mod tests;
