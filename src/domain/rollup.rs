//! One indicator's values of one year for several cities, combined into one value for a
//! province or the plan area by the indicator's own rule: flows and levels add up, a share is
//! the ratio of its parts' sums, a per-capita value is a weighted mean, and some values do not
//! combine at all. The answer names the cities that contributed and those that did not.

use self::Aggregation as Rule;
use super::SeriesPoint;
use super::derivation::Derivation;

/// How values of one indicator for several places combine (`indicators.csv`, `aggregation`).
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregation {
    /// The values add up: flows and levels such as GDP or new jobs.
    Sum,
    /// A share: the sum of its numerator over the sum of its denominator (times `scale`), over
    /// the places where both are known: Σ tertiary value added ÷ Σ GDP for the services share.
    RatioOfSums { numerator: String, denominator: String, scale: f64 },
    /// A per-capita or per-unit value: the mean weighted by another quantity, which must be
    /// recorded for each place (an income per person needs each city's population).
    WeightedMean { weight: String },
    /// No combination has a meaning without more data (an intensity with unknown outputs).
    NotCombinable,
}

impl Aggregation {
    /// The rule an indicator's stored `aggregation` states: `sum`, `none` or `weighted_by:X`.
    /// A share weighted by the denominator of its own derivation is the ratio of its parts'
    /// sums (weighting services shares by GDP is summing tertiary value added over GDP).
    pub fn of(stored: &str, derivation: Option<&Derivation>) -> Self {
        match stored.strip_prefix("weighted_by:") {
            Some(weight) => match derivation {
                Some(d) if d.denominator == weight => Self::RatioOfSums {
                    numerator: d.numerator.clone(),
                    denominator: d.denominator.clone(),
                    scale: d.scale,
                },
                _ => Self::WeightedMean { weight: weight.to_string() },
            },
            None if stored == "sum" => Self::Sum,
            None => Self::NotCombinable,
        }
    }

    /// The indicators the rule reads for `indicator`.
    pub fn inputs(&self, indicator: &str) -> Vec<String> {
        match self {
            Self::Sum => vec![indicator.to_string()],
            Self::RatioOfSums { numerator, denominator, .. } => vec![numerator.clone(), denominator.clone()],
            Self::WeightedMean { weight } => vec![indicator.to_string(), weight.clone()],
            Self::NotCombinable => Vec::new(),
        }
    }
}

/// Why a roll-up has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The indicator's values do not combine across places.
    NotCombinable,
    /// A weighted mean whose weights no place in scope has.
    WeightsUnknown,
    /// The rule allows a value, but no place in scope has what it needs for the year.
    NoValues,
}

/// A roll-up: the combined value (or why there is none), and which places made it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rollup {
    pub value: Option<f64>,
    pub refusal: Option<Refusal>,
    /// Places whose values went into `value`, in the order given.
    pub contributing: Vec<String>,
    /// Places in scope that lack what the rule needs for the year.
    pub missing: Vec<String>,
    /// The observations used, by id.
    pub used: Vec<i64>,
}

/// Combines `places`, each with its points of the rule's inputs for the year, by `rule`.
pub fn roll_up(rule: &Aggregation, indicator: &str, places: &[(String, Vec<SeriesPoint>)]) -> Rollup {
    let inputs = rule.inputs(indicator);
    let mut rollup = Rollup::default();
    if inputs.is_empty() {
        rollup.refusal = Some(Refusal::NotCombinable);
        rollup.missing = places.iter().map(|(code, _)| code.clone()).collect();
        return rollup;
    }
    let (mut first, mut second) = (0.0, 0.0);
    for (code, points) in places {
        let of = |input: &str| points.iter().find(|p| *p.indicator_code == *input);
        let found: Vec<&SeriesPoint> = inputs.iter().filter_map(|input| of(input)).collect();
        if found.len() < inputs.len() {
            rollup.missing.push(code.clone());
            continue;
        }
        match rule {
            Rule::Sum => first += found[0].value,
            Rule::RatioOfSums { .. } => (first, second) = (first + found[0].value, second + found[1].value),
            Rule::WeightedMean { .. } => {
                (first, second) = (first + found[0].value * found[1].value, second + found[1].value)
            }
            Rule::NotCombinable => unreachable!("a rule without inputs returned above"),
        }
        rollup.contributing.push(code.clone());
        rollup.used.extend(found.iter().map(|p| p.id));
    }
    if rollup.contributing.is_empty() {
        let weights = matches!(rule, Rule::WeightedMean { .. });
        rollup.refusal = Some(if weights { Refusal::WeightsUnknown } else { Refusal::NoValues });
        return rollup;
    }
    rollup.value = match rule {
        Rule::Sum => Some(first),
        Rule::RatioOfSums { scale, .. } => (second > 0.0).then(|| first / second * scale),
        Rule::WeightedMean { .. } => (second > 0.0).then(|| first / second),
        Rule::NotCombinable => None,
    };
    rollup
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn point(id: i64, indicator: &str, value: f64) -> SeriesPoint {
        SeriesPoint { id, indicator_code: Arc::from(indicator), year: 2017, value }
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
    fn the_stored_rule_is_read_with_the_indicators_derivation() {
        assert_eq!(Aggregation::of("sum", None), Aggregation::Sum);
        assert_eq!(Aggregation::of("none", None), Aggregation::NotCombinable);
        assert!(matches!(
            Aggregation::of("weighted_by:gdp", Some(&share())),
            Aggregation::RatioOfSums { .. }
        ));
        assert_eq!(
            Aggregation::of("weighted_by:urban_population", None),
            Aggregation::WeightedMean { weight: "urban_population".into() }
        );
    }

    #[test]
    fn shares_combine_as_the_ratio_of_their_parts_sums() {
        // Bengbu and Jingdezhen 2017 (seed): (664.03 + 386.23) / (1550.66 + 878.25).
        let places = vec![
            ("340300".to_string(), vec![point(1, "tertiary_value_added", 664.03), point(2, "gdp", 1550.66)]),
            ("360200".to_string(), vec![point(3, "tertiary_value_added", 386.23), point(4, "gdp", 878.25)]),
            ("360400".to_string(), vec![point(5, "gdp", 2413.63)]),
        ];
        let rule = Aggregation::of("weighted_by:gdp", Some(&share()));
        let rollup = roll_up(&rule, "services_share_gdp", &places);
        let expected = (664.03 + 386.23) / (1550.66 + 878.25) * 100.0;
        assert!((rollup.value.unwrap() - expected).abs() < 1e-12);
        assert_eq!(rollup.contributing, ["340300", "360200"]);
        assert_eq!(rollup.missing, ["360400"], "Jiujiang has no tertiary value added for 2017");
        assert_eq!(rollup.used, [1, 2, 3, 4]);
    }

    #[test]
    fn flows_add_up_and_the_rest_is_refused_with_a_reason() {
        let places = vec![
            ("a".to_string(), vec![point(1, "gdp", 2.0)]),
            ("b".to_string(), vec![point(2, "gdp", 3.0)]),
        ];
        assert_eq!(roll_up(&Aggregation::Sum, "gdp", &places).value, Some(5.0));
        let income = Aggregation::WeightedMean { weight: "urban_population".into() };
        let refused = roll_up(&income, "disposable_income_urban", &places);
        assert_eq!((refused.value, refused.refusal), (None, Some(Refusal::WeightsUnknown)));
        let none = roll_up(&Aggregation::NotCombinable, "hightech_share", &places);
        assert_eq!(none.refusal, Some(Refusal::NotCombinable));
        assert_eq!(roll_up(&Aggregation::Sum, "new_jobs", &places).refusal, Some(Refusal::NoValues));
    }
}
