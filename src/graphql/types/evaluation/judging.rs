//! Judging: a stored target for a subject (through the request's loaders), every target that
//! applies to a subject, and a what-if target stated in the request; each a thin wrapper of
//! the domain's evaluator.

use std::sync::Arc;

use async_graphql::Context;

use super::{
    Evaluated, EvaluationNode, EvaluationOptionsInput, LAST_YEAR, TargetInput, YearValue, YearValueInput,
};
use crate::domain::evaluation::{self as eval, Evaluation, TargetSpec};
use crate::domain::recording::FIRST_YEAR;
use crate::domain::{SeriesPoint, Target};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// Checks a year a client asked about.
pub fn check_year(name: &str, year: i32) -> Result<i32, ApiError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::BadUserInput(format!(
            "`{name}` must be between {FIRST_YEAR} and {LAST_YEAR}; it was {year}"
        )))
    }
}

fn rule(error: eval::EvaluationError) -> ApiError {
    ApiError::Rule { code: error.code(), message: error.to_string() }
}

/// Evaluates a stored target for `subject` from that subject's observations (any
/// indicators: only the target's own, and the inputs of its derivation, are used). `as_of`
/// defaults to the target year.
pub fn evaluate_stored(
    target: &Arc<Target>,
    subject: Evaluated,
    observations: &Arc<Vec<SeriesPoint>>,
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
) -> Result<EvaluationNode, ApiError> {
    let spec = TargetSpec::from(&**target);
    let evaluation_year = as_of.unwrap_or(target.target_year);
    let whole = target.series(observations);
    let result = target.judge_series(&whole, evaluation_year, &options.domain()).map_err(rule)?;
    let series = whole.iter().filter(|p| spec.counts(p.year, evaluation_year)).map(YearValue::of).collect();
    Ok(EvaluationNode {
        result,
        evaluation_year,
        target: Some(target.clone()),
        subject: Some(subject),
        stored: observations.clone(),
        series,
    })
}

/// The verdict alone: a stored target judged from a subject's points of any indicators (its
/// own, and the inputs of its derivation). `as_of` defaults to the target year.
pub fn judge(
    target: &Target,
    observations: &[SeriesPoint],
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
) -> Result<Evaluation, ApiError> {
    target.judge(observations, as_of.unwrap_or(target.target_year), &options.domain()).map_err(rule)
}

/// A what-if evaluation of a target stated in the request (stores nothing).
pub fn evaluate_input(
    target: TargetInput,
    observations: Vec<YearValueInput>,
    evaluation_year: i32,
    options: EvaluationOptionsInput,
) -> Result<EvaluationNode, ApiError> {
    check_year("evaluationYear", evaluation_year)?;
    check_year("target.baselineYear", target.baseline_year)?;
    check_year("target.targetYear", target.target_year)?;
    for o in &observations {
        check_year("observations.year", o.year)?;
    }
    let spec = TargetSpec {
        kind: target.kind.into(),
        direction: target.direction.into(),
        baseline_year: target.baseline_year,
        target_year: target.target_year,
        target_value: target.target_value,
        target_change: target.target_change,
        baseline_value: target.baseline_value,
    };
    let pairs: Vec<(i32, f64)> = observations.iter().map(|o| (o.year, o.value)).collect();
    let result = eval::evaluate(&spec, &pairs, evaluation_year, &options.domain()).map_err(rule)?;
    let mut series: Vec<YearValue> = observations
        .into_iter()
        .filter(|o| spec.counts(o.year, evaluation_year))
        .map(|o| YearValue { year: o.year, value: o.value, derived: false, inputs: None })
        .collect();
    series.sort_by_key(|o| o.year);
    Ok(EvaluationNode {
        result,
        evaluation_year,
        target: None,
        subject: None,
        stored: Arc::default(),
        series,
    })
}

/// The `evaluation` field of City, Province and Plan: every applicable target judged from the
/// subject's stored series (read through the request's loader, so a list of subjects costs
/// one statement).
pub async fn of_subject(
    ctx: &Context<'_>,
    subject: Evaluated,
    as_of: Option<i32>,
    options: Option<EvaluationOptionsInput>,
) -> ApiResult<Vec<EvaluationNode>> {
    let l = loaders(ctx)?;
    let targets = l.targets().await?;
    let key = match &subject {
        Evaluated::City(city) => format!("CITY:{}", city.admin_code),
        Evaluated::Province(province) => format!("PROVINCE:{}", province.code),
        Evaluated::Plan => "PLAN:".to_string(),
    };
    let series = l.series().load_one(key).await.map_err(db_error)?.unwrap_or_default();
    Ok(evaluate_subject(targets, subject, &series, as_of, options.unwrap_or_default())?)
}

/// Evaluates every target of `targets` that applies to `subject`: LEVEL and CHANGE targets for
/// a city or province (a plan-wide benchmark), every target for the plan area.
pub fn evaluate_subject(
    targets: &[Arc<Target>],
    subject: Evaluated,
    observations: &Arc<Vec<SeriesPoint>>,
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
) -> Result<Vec<EvaluationNode>, ApiError> {
    if let Some(year) = as_of {
        check_year("asOf", year)?;
    }
    let plan = matches!(subject, Evaluated::Plan);
    targets
        .iter()
        .filter(|t| plan || t.kind != eval::TargetKind::Cumulative)
        .map(|t| evaluate_stored(t, subject.clone(), observations, as_of, options))
        .collect()
}
