//! What is missing: for an entry whose evaluation of a target is INSUFFICIENT_DATA, the values
//! (indicator and year) that would give it a verdict, by the rules of docs/evaluation.md — the
//! baseline year (or, for a LEVEL target, a later year that stands in for it), the target year
//! (or the evaluation year, when earlier), and the inputs of a derived value (GDP and tertiary
//! value added for the services share) — each with whether it alone would settle the verdict.
//!
//! Whether a value settles is not re-derived from the rules here: the real evaluator is run on
//! the years the entry would then hold, with values that do not meet the target. A verdict
//! with such values is a verdict whatever the values are (a value that meets the target only
//! turns it into ACHIEVED), so "settles" never depends on a number nobody has yet.

use std::collections::BTreeSet;

use super::derivation::Derivation;
use super::evaluation::{
    self as eval, Evaluation, EvaluationError, EvaluationOptions, EvaluationStatus, TargetKind, TargetSpec,
};
use super::{Direction, SeriesPoint, Target};

/// Why a year is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The target's baseline year.
    Baseline,
    /// A later year that stands in for a missing baseline (LEVEL targets: the earliest year
    /// with a value does, docs/evaluation.md §3.3 step 4); asked for where the entry holds one input
    /// of a derived value that year, so one more value completes it.
    FallbackBaseline,
    /// A year between the baseline and the latest where the entry holds one input of a
    /// derived value: a second point for the trend.
    Interim,
    /// The latest year the evaluation may use: the target year, or the evaluation year when
    /// it is earlier.
    Latest,
}

/// One value an entry lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    pub indicator: String,
    pub year: i32,
    pub role: Role,
    /// For an input of a derived value: the indicator it is an input of.
    pub input_of: Option<String>,
    /// Whether this value alone gives the evaluation a verdict, whatever the value is.
    pub settles: bool,
    /// Why it is needed, in a sentence.
    pub why: String,
}

/// An entry's evaluation that has no verdict, and what would give it one.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryGaps {
    /// The evaluation as it stands (INSUFFICIENT_DATA).
    pub evaluation: Evaluation,
    /// The values it lacks, by year then indicator; never empty.
    pub missing: Vec<Missing>,
}

/// What `target` lacks for the subject whose points (of any indicators) are `points`, judged
/// as of `evaluation_year`: `None` when the evaluation has a verdict, or when no value could
/// give it one (a year before the baseline; a non-positive baseline is a value to check, not
/// one to add).
pub fn of_entry(
    target: &Target,
    points: &[SeriesPoint],
    evaluation_year: i32,
) -> Result<Option<EntryGaps>, EvaluationError> {
    let spec = TargetSpec::from(target);
    let rule = target.derivation.as_ref();
    let series = target.series(points);
    let evaluation = target.judge_series(&series, evaluation_year, &EvaluationOptions::default())?;
    if evaluation.status != EvaluationStatus::InsufficientData {
        return Ok(None);
    }
    let judge = Judge { spec: &spec, evaluation_year };
    let held: BTreeSet<i32> = series.iter().map(|p| p.year).filter(|y| judge.usable(*y)).collect();
    let mut missing = Vec::new();
    for (year, role) in judge.slots(&held, points, rule) {
        missing.extend(judge.options(target, &held, points, year, role)?);
    }
    missing.sort_by(|a, b| {
        (a.year, a.input_of.is_some(), &a.indicator).cmp(&(b.year, b.input_of.is_some(), &b.indicator))
    });
    Ok((!missing.is_empty()).then_some(EntryGaps { evaluation, missing }))
}

/// The evaluator, run on years alone.
struct Judge<'a> {
    spec: &'a TargetSpec,
    evaluation_year: i32,
}

impl Judge<'_> {
    /// The latest year the evaluation may use (`H`).
    fn horizon(&self) -> i32 {
        self.evaluation_year.min(self.spec.target_year)
    }

    /// Whether a value of `year` counts (docs/evaluation.md §3.2, `U`).
    fn usable(&self, year: i32) -> bool {
        self.spec.counts(year, self.evaluation_year)
    }

    /// Whether values in `years` give a verdict whatever they are: judged with values that
    /// do not meet the target.
    fn settles(&self, years: &BTreeSet<i32>) -> Result<bool, EvaluationError> {
        let value = self.unmet_value();
        let pairs: Vec<(i32, f64)> = years.iter().map(|y| (*y, value)).collect();
        let result = eval::evaluate(self.spec, &pairs, self.evaluation_year, &EvaluationOptions::default())?;
        Ok(result.status != EvaluationStatus::InsufficientData)
    }

    /// A positive value that does not meet the target, in every year at once.
    fn unmet_value(&self) -> f64 {
        let s = self.spec;
        let span = f64::from((s.target_year - s.baseline_year).max(1));
        match s.kind {
            // A change target's level follows the baseline, so any constant misses it.
            TargetKind::ChangeFromBaseline => s.baseline_value.filter(|v| *v > 0.0).unwrap_or(1.0),
            TargetKind::Cumulative => s.target_value.unwrap_or(1.0).abs() / (1000.0 * span),
            TargetKind::Level => {
                let level = s.target_value.unwrap_or(0.0);
                match (s.direction, level > 0.0) {
                    (Direction::HigherIsBetter, true) => level / 2.0,
                    (Direction::HigherIsBetter, false) => level - 1.0,
                    (Direction::LowerIsBetter, true) => level * 2.0,
                    (Direction::LowerIsBetter, false) => level + 1.0,
                }
            }
        }
    }

    /// The years to ask for, each with its role: the baseline year, the latest year, and
    /// years in between where the entry holds one input of a derived value.
    fn slots(
        &self,
        held: &BTreeSet<i32>,
        points: &[SeriesPoint],
        rule: Option<&Derivation>,
    ) -> Vec<(i32, Role)> {
        let (b, h) = (self.spec.baseline_year, self.horizon());
        let mut slots = Vec::new();
        let baseline_given = self.spec.baseline_value.is_some();
        if self.spec.kind != TargetKind::Cumulative && !baseline_given && !held.contains(&b) && self.usable(b)
        {
            slots.push((b, Role::Baseline));
        }
        if let Some(rule) = rule {
            let partial: BTreeSet<i32> = points
                .iter()
                .filter(|p| *p.indicator_code == *rule.numerator || *p.indicator_code == *rule.denominator)
                .map(|p| p.year)
                .filter(|y| self.usable(*y) && !held.contains(y) && *y != b && *y != h)
                .collect();
            let earliest = held.first().copied();
            for year in partial {
                let stands_in = self.spec.kind == TargetKind::Level && earliest.is_none_or(|e| year < e);
                slots.push((year, if stands_in { Role::FallbackBaseline } else { Role::Interim }));
            }
        }
        if h > b && !held.contains(&h) && self.usable(h) {
            slots.push((h, Role::Latest));
        }
        slots
    }

    /// The values that would fill `year`: the target's indicator itself, and, for a derived
    /// one, the inputs the entry lacks that year.
    fn options(
        &self,
        target: &Target,
        held: &BTreeSet<i32>,
        points: &[SeriesPoint],
        year: i32,
        role: Role,
    ) -> Result<Vec<Missing>, EvaluationError> {
        let mut with = held.clone();
        with.insert(year);
        let completes = self.settles(&with)?;
        let partner = if completes { None } else { self.partner(held, year)? };
        if !completes && partner.is_none() {
            // No value of this year, alone or with the baseline or latest, gives a verdict.
            return Ok(Vec::new());
        }
        let what = self.role_phrase(target, year, role);
        // `partner` is set exactly when this year alone does not settle.
        let verdict = match partner {
            None => "alone it gives the evaluation a verdict".to_string(),
            Some(other) => format!("with a value for {other} too, the evaluation has a verdict"),
        };
        let mut out = vec![Missing {
            indicator: target.indicator_code.clone(),
            year,
            role,
            input_of: None,
            settles: completes,
            why: format!("{what}: {verdict}"),
        }];
        let Some(rule) = &target.derivation else { return Ok(out) };
        let has = |code: &str| points.iter().any(|p| *p.indicator_code == *code && p.year == year);
        let lacking: Vec<&str> =
            [rule.numerator.as_str(), rule.denominator.as_str()].into_iter().filter(|c| !has(c)).collect();
        let formula = format!(
            "{} {year} = {} ÷ {} × {}",
            target.indicator_code, rule.numerator, rule.denominator, rule.scale
        );
        for input in &lacking {
            let other = if *input == rule.numerator { &rule.denominator } else { &rule.numerator };
            let why = if lacking.len() == 1 {
                format!("{what}; {formula}, and {other} {year} is held: {verdict}")
            } else {
                let together = match partner {
                    None => "the two together give the evaluation a verdict".to_string(),
                    Some(p) => {
                        format!("the two together, with a value for {p}, give the evaluation a verdict")
                    }
                };
                format!("{what}; {formula}, and {other} {year} is missing too: {together}")
            };
            out.push(Missing {
                indicator: input.to_string(),
                year,
                role,
                input_of: Some(target.indicator_code.clone()),
                settles: completes && lacking.len() == 1,
                why,
            });
        }
        Ok(out)
    }

    /// Another year that, with `year`, would give a verdict: the baseline, or the latest year.
    fn partner(&self, held: &BTreeSet<i32>, year: i32) -> Result<Option<i32>, EvaluationError> {
        let candidates = [self.horizon(), self.spec.baseline_year];
        for other in candidates.into_iter().filter(|o| *o != year && self.usable(*o)) {
            let mut with = held.clone();
            with.extend([year, other]);
            if self.settles(&with)? {
                return Ok(Some(other));
            }
        }
        Ok(None)
    }

    fn role_phrase(&self, target: &Target, year: i32, role: Role) -> String {
        let b = self.spec.baseline_year;
        match role {
            Role::Baseline => format!("{year} is the baseline year of {}", target.code),
            Role::FallbackBaseline => {
                format!("{year} would stand in for the missing baseline year {b} of {}", target.code)
            }
            Role::Interim => format!("{year} would be a second year for the trend of {}", target.code),
            Role::Latest if year == self.spec.target_year => {
                format!("{year} is the target year of {}", target.code)
            }
            Role::Latest => format!("{year} is the latest year an evaluation as of {year} may use"),
        }
    }
}

#[cfg(test)]
mod tests;
