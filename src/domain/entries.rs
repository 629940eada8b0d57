//! The checks a plan entry must pass before `rustbelt import cities` writes it: a current
//! GB/T 2260 code of the right level for its tier, in a known province, with a source and a
//! grade; codes, names and coordinates checked against (and filled in from) the vendored
//! division table, so an entry can be given by its Chinese name alone.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use super::divisions::{Division, Divisions, Found, Level};
use super::recording::Problem;
use super::{City, CityTier, EvidenceGrade, ProvinceKind};

/// One row of an entries file, as written (every field optional until checked).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EntryRow {
    pub admin_code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub province_code: Option<String>,
    pub tier: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub evidence: Option<String>,
    pub source: Option<String>,
    pub note: Option<String>,
}

/// An entry that passed every check, filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub admin_code: String,
    pub name_en: String,
    pub name_zh: String,
    pub province_code: String,
    pub tier: CityTier,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub evidence: EvidenceGrade,
    pub source: String,
    pub note: String,
}

/// What the database knows that the checks need.
pub struct Known<'a> {
    /// Every province, by code.
    pub provinces: &'a HashMap<String, ProvinceKind>,
    /// The entries already stored with the codes the file names.
    pub entries: &'a HashMap<String, City>,
}

/// How far (in degrees) a given point may lie from the table's point for the same unit: a
/// city's area spans a degree or two, so this catches swapped or mistyped coordinates only.
const POINT_TOLERANCE: f64 = 1.0;

/// Checks row `index` and fills it in; every problem found, by field, when it does not pass.
pub fn check(
    index: usize,
    row: &EntryRow,
    table: &Divisions,
    known: &Known<'_>,
) -> Result<NewEntry, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem =
        |field: &'static str, message: String| problems.push(Problem { row: index, field, message });
    let text = |value: &Option<String>| {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
    };

    let evidence = match text(&row.evidence) {
        None => {
            problem("evidence", "give a grade: NAMES_PLAN, NATIONAL_DESIGNATION or INDIRECT".into());
            None
        }
        Some(grade) => {
            let parsed = EvidenceGrade::parse(&grade);
            if parsed.is_none() {
                problem("evidence", format!("{grade:?} is not NAMES_PLAN, NATIONAL_DESIGNATION or INDIRECT"));
            }
            parsed
        }
    };
    let source = text(&row.source);
    if source.is_none() {
        problem("source", "give the address or citation of the source that names the entry".into());
    }
    let division = find(row, table, &mut problem);
    let tier = division.and_then(|d| tier(row, d, known, &mut problem));
    let province = division.and_then(|d| province(row, d, known, &mut problem));
    let existing = division.and_then(|d| known.entries.get(&d.code));
    let name_en = text(&row.name_en).or_else(|| existing.map(|c| c.name_en.clone()));
    if division.is_some() && name_en.is_none() {
        let message = "give the English name (Hanyu Pinyin, as the seed writes them): the division table has Chinese names only";
        problem("name_en", message.into());
    }
    let point = division.and_then(|d| point(row, d, &mut problem));
    match (division, tier, province, name_en, point, evidence, source) {
        (
            Some(d),
            Some(tier),
            Some(province_code),
            Some(name_en),
            Some((latitude, longitude)),
            Some(evidence),
            Some(source),
        ) if problems.is_empty() => Ok(NewEntry {
            admin_code: d.code.clone(),
            name_en,
            name_zh: table.full_name(d),
            province_code,
            tier,
            latitude,
            longitude,
            evidence,
            source,
            note: text(&row.note).unwrap_or_default(),
        }),
        _ => Err(problems),
    }
}

/// The division the row means, by its code, its Chinese name, or both (then they must agree).
fn find<'t>(
    row: &EntryRow,
    table: &'t Divisions,
    problem: &mut impl FnMut(&'static str, String),
) -> Option<&'t Division> {
    let code = row.admin_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let name = row.name_zh.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let by_code = match code {
        None => None,
        Some(code) if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) => {
            problem("admin_code", format!("{code:?} is not a 6-digit GB/T 2260 code"));
            return None;
        }
        Some(code) => match table.get(code) {
            Some(division) => Some(division),
            None => {
                problem("admin_code", format!("{code} is not a current GB/T 2260 code (assets/divisions)"));
                return None;
            }
        },
    };
    let by_name = match name {
        None => None,
        Some(name) => match table.find(name) {
            Found::One(division) => Some(division),
            Found::Ambiguous(names) => {
                if by_code.is_none() {
                    problem(
                        "name_zh",
                        format!("{name:?} names several units: write one of {}", names.join(", ")),
                    );
                    return None;
                }
                None
            }
            Found::None => {
                problem(
                    "name_zh",
                    format!("{name:?} is not the name of a current division (assets/divisions)"),
                );
                return None;
            }
        },
    };
    match (by_code, by_name) {
        (Some(a), Some(b)) if a.code != b.code => {
            let message = format!(
                "{:?} is {} ({}), not {}",
                name.unwrap_or_default(),
                b.code,
                table.full_name(b),
                a.code
            );
            problem("name_zh", message);
            None
        }
        (Some(division), _) | (None, Some(division)) => Some(division),
        (None, None) => {
            problem("admin_code", "give the entry's admin_code, its Chinese name (name_zh), or both".into());
            None
        }
    }
}

/// The tier, given or told from the unit: a prefecture-level city's is `prefecture_level`, a
/// district of a municipality's `municipality`; which district is a capital's or a
/// sub-provincial city's the table does not say, so that must be given.
fn tier(
    row: &EntryRow,
    d: &Division,
    known: &Known<'_>,
    problem: &mut impl FnMut(&'static str, String),
) -> Option<CityTier> {
    let in_municipality = known.provinces.get(&d.province) == Some(&ProvinceKind::Municipality);
    let given = row.tier.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let tier = match given {
        Some(text) => match CityTier::parse(text) {
            Some(tier) => tier,
            None => {
                let message = format!(
                    "{text:?} is not prefecture_level, municipality, sub_provincial or provincial_capital"
                );
                problem("tier", message);
                return None;
            }
        },
        None if d.level == Level::Prefecture => CityTier::PrefectureLevel,
        None if d.is_district() && in_municipality => CityTier::Municipality,
        None => {
            problem(
                "tier",
                format!("{} is a district: give its tier (provincial_capital or sub_provincial)", d.code),
            );
            return None;
        }
    };
    let real_city = d.level == Level::Prefecture && !d.is_placeholder();
    let fits = match tier {
        CityTier::PrefectureLevel => real_city,
        CityTier::Municipality => d.is_district() && in_municipality,
        // A capital's or sub-provincial city's entry is a district; or, where the district is
        // not known, the city itself (Harbin's entry).
        CityTier::ProvincialCapital | CityTier::SubProvincial => {
            (d.is_district() && !in_municipality) || real_city
        }
    };
    if !fits {
        let what = match d.level {
            Level::Province => "a province-level division",
            Level::Prefecture if d.is_placeholder() => "a statistical placeholder, not a unit",
            Level::Prefecture => "a prefecture-level city",
            Level::County if d.is_district() => "a district",
            Level::County => "a county-level unit that is not a district (区)",
        };
        problem("tier", format!("{} ({}) is {what}: it cannot be a {} entry", d.code, d.name, tier.as_str()));
        return None;
    }
    Some(tier)
}

/// The province: the unit's own, which a given code must match and the database must know.
fn province(
    row: &EntryRow,
    d: &Division,
    known: &Known<'_>,
    problem: &mut impl FnMut(&'static str, String),
) -> Option<String> {
    let given = row.province_code.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if let Some(given) = given {
        if !known.provinces.contains_key(given) {
            problem("province_code", format!("{given:?} is not the code of a province (e.g. 340000)"));
            return None;
        }
        if given != d.province {
            problem("province_code", format!("{} lies in {}, not {given}", d.code, d.province));
            return None;
        }
    }
    if !known.provinces.contains_key(&d.province) {
        problem(
            "province_code",
            format!("{} lies in {}, which this database does not know", d.code, d.province),
        );
        return None;
    }
    Some(d.province.clone())
}

/// The point: as given (checked against the table's), or the table's.
fn point(
    row: &EntryRow,
    d: &Division,
    problem: &mut impl FnMut(&'static str, String),
) -> Option<(Option<f64>, Option<f64>)> {
    let read = |field: &'static str,
                value: &Option<String>,
                range: RangeInclusive<f64>,
                problem: &mut dyn FnMut(&'static str, String)| {
        let text = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        let number = text.parse::<f64>().ok().filter(|n| range.contains(n));
        if number.is_none() {
            problem(
                field,
                format!("{text:?} is not a number of degrees from {} to {}", range.start(), range.end()),
            );
        }
        Some(number.ok_or(()))
    };
    let lat = read("lat", &row.lat, -90.0..=90.0, problem);
    let lon = read("lon", &row.lon, -180.0..=180.0, problem);
    match (lat, lon) {
        (None, None) => Some((d.latitude, d.longitude)),
        (Some(Ok(lat)), Some(Ok(lon))) => {
            if let (Some(t_lat), Some(t_lon)) = (d.latitude, d.longitude)
                && ((lat - t_lat).abs() > POINT_TOLERANCE || (lon - t_lon).abs() > POINT_TOLERANCE)
            {
                let message =
                    format!("{lat}, {lon} lies far from {} ({t_lat}, {t_lon} in the division table)", d.name);
                problem("lat", message);
                return None;
            }
            Some((Some(lat), Some(lon)))
        }
        (Some(Err(())), _) | (_, Some(Err(()))) => None,
        _ => {
            problem(
                "lat",
                "give both lat and lon, or neither (then the division table's point is used)".into(),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> (HashMap<String, ProvinceKind>, HashMap<String, City>) {
        let provinces = [("230000", ProvinceKind::Province), ("500000", ProvinceKind::Municipality)];
        (provinces.into_iter().map(|(c, k)| (c.to_string(), k)).collect(), HashMap::new())
    }

    fn row(code: &str, tier: &str) -> EntryRow {
        EntryRow {
            admin_code: Some(code.into()),
            name_en: Some("Test".into()),
            tier: Some(tier.into()),
            evidence: Some("NAMES_PLAN".into()),
            source: Some("https://example.org".into()),
            ..EntryRow::default()
        }
    }

    fn checked(row: &EntryRow) -> Result<NewEntry, Vec<Problem>> {
        let (provinces, entries) = known();
        check(0, row, Divisions::embedded(), &Known { provinces: &provinces, entries: &entries })
    }

    #[test]
    fn tiers_follow_the_unit_or_must_be_given() {
        // A municipality's district: the tier is told from the province.
        let dadukou = checked(&row("500104", "")).expect("大渡口区");
        assert_eq!((dadukou.tier, dadukou.name_zh.as_str()), (CityTier::Municipality, "重庆市大渡口区"));
        // A capital's district must say so; the capital itself stands for a district not known.
        let problems = checked(&row("230110", "")).unwrap_err();
        assert_eq!(problems[0].field, "tier");
        assert_eq!(checked(&row("230110", "provincial_capital")).unwrap().tier, CityTier::ProvincialCapital);
        let harbin = checked(&row("230100", "provincial_capital")).expect("Harbin, district not known");
        assert_eq!(harbin.name_zh, "哈尔滨市");
        // A prefecture-level city is never a municipality's entry, nor a district a city.
        assert_eq!(checked(&row("230100", "municipality")).unwrap_err()[0].field, "tier");
        assert_eq!(checked(&row("230110", "prefecture_level")).unwrap_err()[0].field, "tier");
    }

    #[test]
    fn coordinates_are_filled_in_or_checked() {
        let filled = checked(&row("230100", "provincial_capital")).unwrap();
        assert!(filled.latitude.is_some_and(|lat| (45.0..46.5).contains(&lat)));
        let far = EntryRow {
            lat: Some("10".into()),
            lon: Some("10".into()),
            ..row("230100", "provincial_capital")
        };
        assert_eq!(checked(&far).unwrap_err()[0].field, "lat");
        let half = EntryRow { lat: Some("45.8".into()), ..row("230100", "provincial_capital") };
        assert_eq!(checked(&half).unwrap_err()[0].field, "lat");
    }
}
