//! The gaps of the services-share target and of a change target, and "settles" checked
//! against the evaluator on every set of years.
use std::sync::Arc;

use super::*;

fn share_target() -> Target {
    Target {
        code: "services_share_2017".into(),
        indicator_code: "services_share_gdp".into(),
        name_en: String::new(),
        unit: "%".into(),
        kind: TargetKind::Level,
        direction: Direction::HigherIsBetter,
        baseline_year: 2012,
        baseline_value: None,
        target_year: 2017,
        target_value: Some(45.0),
        target_change: None,
        scope: "plan".into(),
        caveats: String::new(),
        source_url: String::new(),
        derivation: Some(Derivation {
            indicator: "services_share_gdp".into(),
            numerator: "tertiary_value_added".into(),
            denominator: "gdp".into(),
            scale: 100.0,
            why: String::new(),
        }),
    }
}

fn point(id: i64, indicator: &str, year: i32, value: f64) -> SeriesPoint {
    SeriesPoint { id, indicator_code: Arc::from(indicator), year, value }
}

fn keys(gaps: &EntryGaps) -> Vec<(String, i32, Role, bool)> {
    gaps.missing.iter().map(|m| (m.indicator.clone(), m.year, m.role, m.settles)).collect()
}

fn row(indicator: &str, year: i32, role: Role, settles: bool) -> (String, i32, Role, bool) {
    (indicator.to_string(), year, role, settles)
}

#[test]
fn an_entry_with_nothing_needs_the_target_year_or_both_its_inputs_and_the_baseline() {
    let gaps = of_entry(&share_target(), &[], 2017).unwrap().expect("insufficient");
    assert_eq!(
        keys(&gaps),
        [
            row("services_share_gdp", 2012, Role::Baseline, false),
            row("gdp", 2012, Role::Baseline, false),
            row("tertiary_value_added", 2012, Role::Baseline, false),
            row("services_share_gdp", 2017, Role::Latest, true),
            row("gdp", 2017, Role::Latest, false),
            row("tertiary_value_added", 2017, Role::Latest, false),
        ]
    );
    assert!(gaps.missing[0].why.contains("with a value for 2017 too"), "{}", gaps.missing[0].why);
    assert!(gaps.missing[5].why.contains("the two together give"), "{}", gaps.missing[5].why);
}

#[test]
fn a_held_input_makes_the_other_input_alone_settle_and_offers_a_fallback_year() {
    // Luoyang: GDP 2013 and 2017, no tertiary value added, no share.
    let points = [point(1, "gdp", 2013, 3140.8), point(2, "gdp", 2017, 4343.1)];
    let gaps = of_entry(&share_target(), &points, 2017).unwrap().expect("insufficient");
    let tertiary_2017 = gaps.missing.iter().find(|m| m.indicator == "tertiary_value_added" && m.year == 2017);
    let tertiary_2017 = tertiary_2017.expect("asked for");
    assert!(tertiary_2017.settles);
    assert!(tertiary_2017.why.contains("and gdp 2017 is held: alone"), "{}", tertiary_2017.why);
    let fallback: Vec<_> = gaps.missing.iter().filter(|m| m.role == Role::FallbackBaseline).collect();
    assert_eq!(fallback.len(), 2, "the share and tertiary value added of 2013");
    assert!(fallback.iter().all(|m| m.year == 2013 && !m.settles), "one year alone is no trend");
    assert!(gaps.missing.iter().all(|m| m.indicator != "gdp" || m.year == 2012));
}

#[test]
fn a_single_year_needs_either_end() {
    // Neijiang: a share derived for 2013 only (21.7 %, short of 45).
    let points = [point(1, "gdp", 2013, 1069.34), point(2, "tertiary_value_added", 2013, 231.69)];
    let gaps = of_entry(&share_target(), &points, 2017).unwrap().expect("insufficient");
    let shares: Vec<_> =
        gaps.missing.iter().filter(|m| m.input_of.is_none()).map(|m| (m.year, m.role, m.settles)).collect();
    assert_eq!(shares, [(2012, Role::Baseline, true), (2017, Role::Latest, true)]);
}

#[test]
fn an_evaluation_with_a_verdict_lacks_nothing() {
    let points = [point(1, "services_share_gdp", 2017, 44.0)];
    assert_eq!(of_entry(&share_target(), &points, 2017).unwrap(), None, "final: NOT_ACHIEVED");
    assert_eq!(of_entry(&share_target(), &[], 2011).unwrap(), None, "before the baseline nothing settles");
}

#[test]
fn a_change_target_has_no_fallback_baseline() {
    let target = Target {
        kind: TargetKind::ChangeFromBaseline,
        direction: Direction::LowerIsBetter,
        target_value: None,
        target_change: Some(-0.18),
        indicator_code: "energy_intensity_gdp".into(),
        derivation: None,
        ..share_target()
    };
    let points = [point(1, "energy_intensity_gdp", 2015, 0.9)];
    let gaps = of_entry(&target, &points, 2017).unwrap().expect("BASELINE_MISSING");
    assert_eq!(
        keys(&gaps),
        [
            row("energy_intensity_gdp", 2012, Role::Baseline, true),
            row("energy_intensity_gdp", 2017, Role::Latest, false)
        ]
    );
    assert!(gaps.missing[1].why.contains("with a value for 2012 too"), "{}", gaps.missing[1].why);
}

/// "Settles" agrees with the evaluator: for every subset of years 2010–2018 of a LEVEL
/// target, adding a settling year to values that miss the target gives a verdict, and a
/// year said not to settle leaves INSUFFICIENT_DATA for values that miss it.
#[test]
fn settling_agrees_with_the_evaluator_on_every_year_set() {
    let target = Target { derivation: None, ..share_target() };
    let spec = TargetSpec::from(&target);
    for mask in 0u32..(1 << 9) {
        let years: Vec<i32> = (0..9).filter(|i| mask & (1 << i) != 0).map(|i| 2010 + i).collect();
        let points: Vec<SeriesPoint> =
            years.iter().enumerate().map(|(i, y)| point(i as i64, "services_share_gdp", *y, 20.0)).collect();
        let judge = |extra: &[i32]| {
            let mut pairs: Vec<(i32, f64)> = years.iter().map(|y| (*y, 20.0)).collect();
            pairs.extend(extra.iter().filter(|y| !years.contains(y)).map(|y| (*y, 21.0)));
            eval::evaluate(&spec, &pairs, 2017, &EvaluationOptions::default()).unwrap().status
        };
        let insufficient = judge(&[]) == EvaluationStatus::InsufficientData;
        let gaps = of_entry(&target, &points, 2017).unwrap();
        assert_eq!(gaps.is_some(), insufficient, "{years:?}: listed exactly when there is no verdict");
        let Some(gaps) = gaps else { continue };
        let one_settles = (2012..=2017).any(|y| judge(&[y]) != EvaluationStatus::InsufficientData);
        assert_eq!(
            gaps.missing.iter().any(|m| m.settles),
            one_settles,
            "{years:?}: a settling year is offered"
        );
        let baseline_asked = gaps.missing.iter().any(|m| m.year == 2012);
        assert_eq!(baseline_asked, !years.contains(&2012), "{years:?}: the baseline year is asked for");
        for m in &gaps.missing {
            let mut pairs: Vec<(i32, f64)> = years.iter().map(|y| (*y, 20.0)).collect();
            pairs.push((m.year, 21.0));
            let after = eval::evaluate(&spec, &pairs, 2017, &EvaluationOptions::default()).unwrap();
            assert_eq!(
                after.status != EvaluationStatus::InsufficientData,
                m.settles,
                "{years:?} + {}",
                m.year
            );
        }
    }
}
