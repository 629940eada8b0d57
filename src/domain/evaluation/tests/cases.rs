//! Hand-derived cases: each rule and edge case of §3.3–3.6 the fixtures do not cover, and
//! the §3.1 validation rules.

use super::super::*;

/// Hand-derived values below are written to 7+ significant digits.
const HAND_TOLERANCE: f64 = 1e-6;

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
    assert_eq!((e.baseline_year, e.baseline_value, e.baseline_substituted), (Some(2010), Some(20.0), false));
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
        (error_of(&level(UP, 2012, 2017, 1.0), &[(2013, 1.0), (2014, 2.0), (2013, 3.0)]), "DUPLICATE_YEAR"),
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
