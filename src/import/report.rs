//! How an import changes evaluations: every target that applies to a subject the file touches,
//! judged before and after the rows are recorded, inside the same transaction (so a dry run
//! tells exactly what a real run would do).

use std::collections::BTreeSet;

use crate::db::observations::series;
use crate::db::{Conn, DbError, reference};
use crate::domain::evaluation::{Evaluation, TargetKind};
use crate::domain::recording::Subject;
use crate::domain::{SeriesPoint, Target};

/// One evaluation before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The subject as a person reads it: `340300 蚌埠市`, `province 340000 安徽省`, `the plan area`.
    pub subject: String,
    pub target: String,
    pub before: String,
    pub after: String,
}

/// The evaluations the rows touch: for each subject, every target that applies to it (LEVEL
/// and CHANGE targets for a city or province, every target for the plan area) whose indicator,
/// or an input of whose derivation, a row records; by (subject key, target code).
pub fn evaluations(
    conn: &Conn<'_>,
    touched: &BTreeSet<(Subject, String)>,
) -> Result<Vec<(String, String, String)>, DbError> {
    let targets = reference::all_targets(conn)?;
    let subjects: BTreeSet<&Subject> = touched.iter().map(|(s, _)| s).collect();
    let keys: Vec<String> = subjects.iter().map(|s| s.key()).collect();
    let read = series(conn, &keys)?;
    let mut out = Vec::new();
    for subject in subjects {
        let key = subject.key();
        let points: &[SeriesPoint] = read.iter().find(|(k, _)| *k == key).map_or(&[], |(_, p)| p.as_slice());
        let plan = *subject == Subject::Plan;
        let reads = |t: &Target, code: &str| {
            t.indicator_code == code
                || t.derivation.as_ref().is_some_and(|d| d.numerator == code || d.denominator == code)
        };
        let applies = |t: &&Target| {
            (plan || t.kind != TargetKind::Cumulative)
                && touched.iter().any(|(s, code)| s == subject && reads(t, code))
        };
        for target in targets.iter().filter(applies) {
            out.push((key.clone(), target.code.clone(), verdict(target, points)));
        }
    }
    Ok(out)
}

fn verdict(target: &Target, points: &[SeriesPoint]) -> String {
    match target.judge(points, target.target_year, &Default::default()) {
        Ok(evaluation) => describe(&evaluation),
        Err(error) => format!("error: {error}"),
    }
}

/// `INSUFFICIENT_DATA (NO_OBSERVATIONS)`, `ON_TRACK`, … as the API spells them.
fn describe(evaluation: &Evaluation) -> String {
    let status = evaluation.status.as_str();
    evaluation.reason.map_or(status.to_string(), |r| format!("{status} ({})", r.as_str()))
}

/// Pairs the evaluations before and after, naming each subject.
pub fn changes(
    conn: &Conn<'_>,
    before: &[(String, String, String)],
    after: &[(String, String, String)],
) -> Result<Vec<Change>, DbError> {
    let codes: Vec<String> =
        before.iter().filter_map(|(k, _, _)| k.strip_prefix("CITY:").map(str::to_string)).collect();
    let cities = reference::cities_by_code(conn, &codes)?;
    let provinces: Vec<String> =
        before.iter().filter_map(|(k, _, _)| k.strip_prefix("PROVINCE:").map(str::to_string)).collect();
    let provinces = reference::provinces_by_code(conn, &provinces)?;
    let label = |key: &str| {
        if let Some(code) = key.strip_prefix("CITY:") {
            let name = cities.iter().find(|(c, _)| c == code).map_or("", |(_, city)| city.name_zh.as_str());
            return format!("{code} {name}");
        }
        if let Some(code) = key.strip_prefix("PROVINCE:") {
            let name = provinces.iter().find(|(c, _)| c == code).map_or("", |(_, p)| p.name_zh.as_str());
            return format!("province {code} {name}");
        }
        "the plan area".to_string()
    };
    Ok(before
        .iter()
        .map(|(key, target, was)| {
            let now = after
                .iter()
                .find(|(k, t, _)| k == key && t == target)
                .map_or(String::new(), |(_, _, v)| v.clone());
            Change { subject: label(key), target: target.clone(), before: was.clone(), after: now }
        })
        .collect())
}

/// Columns a text takes on a terminal: a Chinese character takes two.
fn columns(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// The changes as a table: one line each, unchanged ones marked.
pub fn table(changes: &[Change]) -> String {
    let width = changes.iter().map(|c| columns(&c.subject)).max().unwrap_or(0);
    let target_width = changes.iter().map(|c| c.target.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in changes {
        let pad = width - columns(&c.subject);
        let mark = if c.before == c.after { "  (unchanged)".to_string() } else { String::new() };
        out.push_str(&format!(
            "  {}{}  {:target_width$}  {} → {}{mark}\n",
            c.subject,
            " ".repeat(pad),
            c.target,
            c.before,
            c.after
        ));
    }
    out
}
