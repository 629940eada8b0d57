//! The evaluator against every fixture of the specification, field by field, and against
//! hand-derived cases for each rule and edge case.

use super::*;
use serde_json::{Value, json};

const FIXTURES: &str = include_str!("../../../tests/fixtures/evaluation-fixtures.json");
/// §3.7: fixture values are rounded to 4 decimals.
const FIXTURE_TOLERANCE: f64 = 5.1e-5;

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

mod cases;
