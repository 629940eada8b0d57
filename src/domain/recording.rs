//! Recording observations: what a new row says, and the rules it must pass before anything is
//! written. The same rules serve the GraphQL mutation and the CSV import.

use super::{Indicator, SourceGrade, SubjectKind};

/// Earliest year an observation may refer to (the People's Republic's statistics begin here).
pub const FIRST_YEAR: i32 = 1949;

/// The calendar year (UTC) of a moment given as seconds since 1970-01-01; callers pass the
/// clock's reading, so this stays pure. Howard Hinnant's `civil_from_days`.
pub fn year_of_unix_seconds(seconds: i64) -> i32 {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400 + i64::from(month_index >= 10);
    i32::try_from(year).unwrap_or(i32::MAX)
}

/// The current calendar year (UTC): the latest year an observation may refer to. The one
/// clock reading of the domain, kept beside the pure conversion it feeds.
pub fn current_year() -> i32 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    year_of_unix_seconds(since_epoch.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
}

/// What an observation is about, by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A plan entry, by admin code.
    City(String),
    /// A province as a whole, by code.
    Province(String),
    /// The plan area as a whole.
    Plan,
}

impl Subject {
    /// Builds a subject from its kind and code; the plan takes no code.
    pub fn new(kind: SubjectKind, code: Option<&str>) -> Result<Self, &'static str> {
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        match (kind, code) {
            (SubjectKind::City, Some(code)) => Ok(Self::City(code.to_string())),
            (SubjectKind::Province, Some(code)) => Ok(Self::Province(code.to_string())),
            (SubjectKind::Plan, None) => Ok(Self::Plan),
            (SubjectKind::Plan, Some(_)) => Err("the plan area takes no subject code"),
            (_, None) => Err("a city or province subject needs its code"),
        }
    }

    /// The kind of subject.
    pub fn kind(&self) -> SubjectKind {
        match self {
            Self::City(_) => SubjectKind::City,
            Self::Province(_) => SubjectKind::Province,
            Self::Plan => SubjectKind::Plan,
        }
    }

    /// The key stored in `observations.subject_key`.
    pub fn key(&self) -> String {
        match self {
            Self::City(code) => format!("CITY:{code}"),
            Self::Province(code) => format!("PROVINCE:{code}"),
            Self::Plan => "PLAN:".to_string(),
        }
    }
}

/// One observation to record (insert, or replace the one with the same subject, indicator
/// and year).
#[derive(Debug, Clone, PartialEq)]
pub struct NewObservation {
    pub subject: Subject,
    pub indicator_code: String,
    pub year: i32,
    pub value: f64,
    /// Unit as the source states it; the indicator's unit when absent.
    pub unit: Option<String>,
    /// What exactly was measured.
    pub definition: Option<String>,
    /// Where the value comes from: an address or a citation. Required.
    pub source: String,
    /// A note on the source (what it is, the carrier: a repost, a copy).
    pub source_note: Option<String>,
    /// How far to trust the value: what kind of source it comes from. Never UNGRADED (see
    /// [`check`]).
    pub source_grade: SourceGrade,
}

/// Why one field of one row was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Position of the row in the request or file, from 0.
    pub row: usize,
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// What the database knows about a row's references, looked up before checking it.
pub struct Known<'a> {
    /// The row's indicator, if it exists.
    pub indicator: Option<&'a Indicator>,
    /// Whether the row's subject exists.
    pub subject_exists: bool,
    /// The latest year an observation may refer to (the current calendar year).
    pub last_year: i32,
}

/// Every problem with row `row`; empty when it may be written.
pub fn check(row: usize, observation: &NewObservation, known: &Known<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |field, message: String| problems.push(Problem { row, field, message });
    if !known.subject_exists {
        problem(
            "subject",
            format!("no {} with code {:?}", kind_name(&observation.subject), code(&observation.subject)),
        );
    }
    if !(FIRST_YEAR..=known.last_year).contains(&observation.year) {
        let message = format!("year {} is outside {FIRST_YEAR}–{}", observation.year, known.last_year);
        problem("year", message);
    }
    if observation.source.trim().is_empty() {
        problem("source", "a source (address or citation) is required".into());
    }
    if let Err(message) = SourceGrade::declared(observation.source_grade.as_str()) {
        problem("source_grade", message);
    }
    match known.indicator {
        None => problem("indicator", format!("no indicator with code {:?}", observation.indicator_code)),
        Some(indicator) => {
            if let Some(message) = range_problem(observation.value, indicator) {
                problem("value", message);
            }
        }
    }
    problems
}

/// Why `value` cannot be a value of `indicator`, if it cannot.
fn range_problem(value: f64, indicator: &Indicator) -> Option<String> {
    if !value.is_finite() {
        return Some("the value must be a finite number".into());
    }
    let below = indicator.min_value.is_some_and(|min| value < min);
    let above = indicator.max_value.is_some_and(|max| value > max);
    if !(below || above) {
        return None;
    }
    let bound = |b: Option<f64>| b.map_or("∞".to_string(), |b| b.to_string());
    Some(format!(
        "{value} is outside the possible range {}–{} of {} ({})",
        bound(indicator.min_value),
        bound(indicator.max_value),
        indicator.code,
        indicator.unit
    ))
}

fn kind_name(subject: &Subject) -> &'static str {
    match subject {
        Subject::City(_) => "city",
        Subject::Province(_) => "province",
        Subject::Plan => "plan",
    }
}

fn code(subject: &Subject) -> &str {
    match subject {
        Subject::City(code) | Subject::Province(code) => code,
        Subject::Plan => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Direction;

    fn share() -> Indicator {
        Indicator {
            code: "services_share_gdp".into(),
            name_en: "Services share".into(),
            name_zh: None,
            unit: "% of GDP".into(),
            direction: Direction::HigherIsBetter,
            aggregation: "none".into(),
            derivation: None,
            description: String::new(),
            min_value: Some(0.0),
            max_value: Some(100.0),
        }
    }

    fn row(value: f64, year: i32, source: &str) -> NewObservation {
        NewObservation {
            subject: Subject::City("340300".into()),
            indicator_code: "services_share_gdp".into(),
            year,
            value,
            unit: None,
            definition: None,
            source: source.into(),
            source_note: None,
            source_grade: SourceGrade::Bulletin,
        }
    }

    fn fields(problems: Vec<Problem>) -> Vec<&'static str> {
        problems.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_good_row_passes() {
        let indicator = share();
        let known = Known { indicator: Some(&indicator), subject_exists: true, last_year: 2026 };
        assert!(check(0, &row(42.9, 2017, "bulletin"), &known).is_empty());
    }

    #[test]
    fn every_problem_of_a_row_is_reported() {
        let indicator = share();
        let known = Known { indicator: Some(&indicator), subject_exists: false, last_year: 2026 };
        let problems = check(3, &row(120.0, 2031, " "), &known);
        assert!(problems.iter().all(|p| p.row == 3));
        assert_eq!(fields(problems), ["subject", "year", "source", "value"]);
    }

    #[test]
    fn values_must_be_finite_and_within_the_physical_range() {
        let indicator = share();
        let known = Known { indicator: Some(&indicator), subject_exists: true, last_year: 2026 };
        for bad in [f64::NAN, f64::INFINITY, -0.1, 100.5] {
            assert_eq!(fields(check(0, &row(bad, 2017, "s"), &known)), ["value"], "{bad}");
        }
        for good in [0.0, 100.0] {
            assert!(check(0, &row(good, 2017, "s"), &known).is_empty(), "{good}");
        }
    }

    #[test]
    fn unknown_indicators_and_early_years_are_refused() {
        let known = Known { indicator: None, subject_exists: true, last_year: 2026 };
        assert_eq!(fields(check(0, &row(1.0, 1948, "s"), &known)), ["year", "indicator"]);
    }

    #[test]
    fn years_of_unix_seconds() {
        assert_eq!(year_of_unix_seconds(0), 1970);
        assert_eq!(year_of_unix_seconds(1_356_998_399), 2012); // 2012-12-31T23:59:59Z
        assert_eq!(year_of_unix_seconds(1_356_998_400), 2013); // 2013-01-01T00:00:00Z
        assert_eq!(year_of_unix_seconds(1_803_859_200), 2027); // 2027-03-01T00:00:00Z
        assert_eq!(year_of_unix_seconds(-1), 1969);
    }

    #[test]
    fn subjects_need_a_code_except_the_plan() {
        assert_eq!(Subject::new(SubjectKind::City, Some(" 340300 ")), Ok(Subject::City("340300".into())));
        assert!(Subject::new(SubjectKind::Province, None).is_err());
        assert!(Subject::new(SubjectKind::Plan, Some("x")).is_err());
        assert_eq!(Subject::new(SubjectKind::Plan, Some("")).map(|s| s.key()), Ok("PLAN:".to_string()));
    }
}
