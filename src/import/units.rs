//! Units a file declares, converted to the indicator's, or refused: never guessed. A unit is
//! known when it is the indicator's own (perhaps with a note in brackets: "100 million yuan
//! (current prices)"), or one of a few scales of the same quantity (元, 万元, 亿元; 人, 万人);
//! anything else is refused with the units that would be accepted.

/// A quantity and the scales it is written in, each as (spellings, size in the base unit).
struct Quantity {
    scales: &'static [(&'static [&'static str], f64)],
}

const MONEY: Quantity = Quantity {
    scales: &[
        (&["元", "yuan"], 1.0),
        (&["万元", "10000 yuan", "10,000 yuan", "ten thousand yuan"], 1e4),
        (&["亿元", "100 million yuan"], 1e8),
    ],
};

const PERSONS: Quantity = Quantity {
    scales: &[(&["人", "persons", "people"], 1.0), (&["万人", "10000 persons", "10,000 persons"], 1e4)],
};

/// Money per person (per-capita income): written in yuan, as yearbooks do.
const PER_PERSON: Quantity = Quantity {
    scales: &[
        (&["元", "yuan", "元/人", "yuan per person", "yuan per person per year"], 1.0),
        (&["万元", "万元/人"], 1e4),
    ],
};

const PERCENT: Quantity = Quantity { scales: &[(&["%", "percent", "百分比"], 1.0)] };

/// The quantity an indicator's unit measures, and its size in that quantity's base unit.
fn quantity_of(indicator_unit: &str) -> Option<(&'static Quantity, f64)> {
    let unit = normal(indicator_unit);
    if unit.starts_with('%') {
        return Some((&PERCENT, 1.0));
    }
    if unit == "yuan per person per year" {
        return Some((&PER_PERSON, 1.0));
    }
    [&MONEY, &PERSONS].into_iter().find_map(|q| size(q, &unit).map(|s| (q, s)))
}

fn size(quantity: &Quantity, unit: &str) -> Option<f64> {
    quantity.scales.iter().find(|(names, _)| names.contains(&unit)).map(|(_, s)| *s)
}

/// Lower case, one space between words, a trailing bracketed note dropped ("(current
/// prices)", "（现价）").
fn normal(unit: &str) -> String {
    let mut unit = unit.trim().to_lowercase();
    for (open, close) in [('(', ')'), ('（', '）')] {
        if unit.ends_with(close)
            && let Some(at) = unit.rfind(open)
            && at > 0
        {
            unit.truncate(at);
        }
    }
    unit.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a value declared in `declared` becomes one in `indicator_unit`: the factor to multiply
/// it by (1 when the units are the same). An empty `declared` is the indicator's own unit.
pub fn factor(declared: &str, indicator_unit: &str) -> Result<f64, String> {
    let given = normal(declared);
    if given.is_empty() || given == normal(indicator_unit) {
        return Ok(1.0);
    }
    let refused = |accepted: String| {
        format!(
            "the unit {declared:?} is not {indicator_unit:?} and is not converted to it: give the value in {accepted}"
        )
    };
    let Some((quantity, indicator_size)) = quantity_of(indicator_unit) else {
        return Err(refused(format!("{indicator_unit:?}")));
    };
    match size(quantity, &given) {
        Some(declared_size) => Ok(declared_size / indicator_size),
        None => {
            let names: Vec<String> =
                quantity.scales.iter().map(|(names, _)| format!("{:?}", names[0])).collect();
            Err(refused(format!("{indicator_unit:?} or one of {}", names.join(", "))))
        }
    }
}

/// The unit a column header declares in trailing brackets: `生产总值(亿元)` → `亿元`,
/// `常住人口（万人）` → `万人`; the header without it is the column's name.
pub fn from_header(header: &str) -> (&str, Option<&str>) {
    let header = header.trim();
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(inner) = header.strip_suffix(close)
            && let Some(at) = inner.rfind(open)
        {
            let unit = inner[at + open.len_utf8()..].trim();
            return (inner[..at].trim(), (!unit.is_empty()).then_some(unit));
        }
    }
    (header, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_of_money_and_people_convert_both_ways() {
        assert_eq!(factor("万元", "100 million yuan"), Ok(1e-4));
        assert_eq!(factor("亿元", "100 million yuan"), Ok(1.0));
        assert_eq!(factor("100 million yuan (current prices)", "100 million yuan"), Ok(1.0));
        assert_eq!(factor("万人", "persons"), Ok(1e4));
        assert_eq!(factor("元", "yuan per person per year"), Ok(1.0));
        assert_eq!(factor("%", "% of GDP"), Ok(1.0));
        assert_eq!(factor("", "persons"), Ok(1.0));
    }

    #[test]
    fn other_units_are_refused_never_guessed() {
        let refused = factor("万吨", "100 million yuan").unwrap_err();
        assert!(refused.contains("\"万吨\"") && refused.contains("\"万元\""), "{refused}");
        assert!(factor("万元", "persons").is_err(), "money is not people");
        assert!(factor("吨标准煤/万元", "tonnes of standard coal equivalent per 10000 yuan").is_err());
        assert_eq!(
            factor(
                "tonnes of standard coal equivalent per 10000 yuan",
                "tonnes of standard coal equivalent per 10000 yuan"
            ),
            Ok(1.0)
        );
    }

    #[test]
    fn a_header_declares_its_unit_in_brackets() {
        assert_eq!(from_header("生产总值(亿元)"), ("生产总值", Some("亿元")));
        assert_eq!(from_header("常住人口（万人）"), ("常住人口", Some("万人")));
        assert_eq!(from_header("gdp"), ("gdp", None));
    }
}
