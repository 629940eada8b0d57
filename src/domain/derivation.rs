//! Values an indicator takes where they are not published but follow from two that are: a
//! services share from tertiary value added and GDP. A published value always wins; a derived
//! one is marked, names its two inputs, and is never stored.

use super::SeriesPoint;

/// How an indicator follows from two others: `numerator / denominator * scale`
/// (`seed/indicator_derivations.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct Derivation {
    pub indicator: String,
    pub numerator: String,
    pub denominator: String,
    pub scale: f64,
    /// Why the rule holds, for clients.
    pub why: String,
}

/// One year of an indicator's series for one subject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub year: i32,
    pub value: f64,
    /// For a derived value, the ids of the observations it was computed from (numerator,
    /// denominator); `None` for a published one.
    pub inputs: Option<(i64, i64)>,
}

/// The series of `indicator`, oldest first, from a subject's points of any indicators: its
/// published values, and for every other year with both inputs (and a positive denominator)
/// the value `rule` derives from them.
pub fn series(points: &[SeriesPoint], indicator: &str, rule: Option<&Derivation>) -> Vec<Point> {
    let mut series: Vec<Point> = points
        .iter()
        .filter(|p| *p.indicator_code == *indicator)
        .map(|p| Point { year: p.year, value: p.value, inputs: None })
        .collect();
    if let Some(rule) = rule.filter(|r| r.indicator == indicator) {
        let of = |code: &str, year: i32| points.iter().find(|p| *p.indicator_code == *code && p.year == year);
        for numerator in points.iter().filter(|p| *p.indicator_code == *rule.numerator) {
            let year = numerator.year;
            if series.iter().any(|p| p.year == year) {
                continue;
            }
            if let Some(denominator) = of(&rule.denominator, year).filter(|d| d.value > 0.0) {
                let value = numerator.value / denominator.value * rule.scale;
                series.push(Point { year, value, inputs: Some((numerator.id, denominator.id)) });
            }
        }
    }
    series.sort_by_key(|p| p.year);
    series
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn point(id: i64, indicator: &str, year: i32, value: f64) -> SeriesPoint {
        SeriesPoint { id, indicator_code: Arc::from(indicator), year, value }
    }

    fn share() -> Derivation {
        Derivation {
            indicator: "services_share_gdp".into(),
            numerator: "tertiary_value_added".into(),
            denominator: "gdp".into(),
            scale: 100.0,
            why: String::new(),
        }
    }

    #[test]
    fn a_year_with_both_inputs_and_no_published_share_is_derived() {
        let points = [
            point(1, "gdp", 2017, 2413.63),
            point(2, "tertiary_value_added", 2017, 1008.9),
            point(3, "services_share_gdp", 2013, 38.1),
        ];
        let series = series(&points, "services_share_gdp", Some(&share()));
        assert_eq!(series.len(), 2);
        assert_eq!(series[0], Point { year: 2013, value: 38.1, inputs: None });
        assert_eq!(series[1].year, 2017);
        assert!((series[1].value - 1008.9 / 2413.63 * 100.0).abs() < 1e-12);
        assert_eq!(series[1].inputs, Some((2, 1)));
    }

    #[test]
    fn a_published_share_wins_over_the_inputs() {
        // Bengbu 2017: published 42.9 where the inputs give 42.82.
        let points = [
            point(1, "services_share_gdp", 2017, 42.9),
            point(2, "gdp", 2017, 1550.66),
            point(3, "tertiary_value_added", 2017, 664.03),
        ];
        assert_eq!(
            series(&points, "services_share_gdp", Some(&share())),
            [Point { year: 2017, value: 42.9, inputs: None }]
        );
    }

    #[test]
    fn nothing_is_derived_from_one_input_a_zero_denominator_or_another_rule() {
        let points = [point(1, "gdp", 2016, 0.0), point(2, "tertiary_value_added", 2016, 5.0)];
        assert!(series(&points, "services_share_gdp", Some(&share())).is_empty());
        let points = [point(2, "tertiary_value_added", 2016, 5.0)];
        assert!(series(&points, "services_share_gdp", Some(&share())).is_empty());
        let points = [point(1, "gdp", 2016, 10.0), point(2, "tertiary_value_added", 2016, 5.0)];
        assert!(series(&points, "hightech_share", Some(&share())).is_empty());
        assert!(series(&points, "services_share_gdp", None).is_empty());
    }
}
