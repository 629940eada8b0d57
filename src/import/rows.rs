//! What a layout makes of a file: values to record, each remembering the cells it came from
//! (so a problem the database finds is reported at its line and column too), the rows left
//! empty, and the problems found in the cells.

use std::collections::HashMap;

use super::table::{Column, Place};
use super::units;
use crate::domain::recording::{NewObservation, Problem, Subject};
use crate::domain::{Indicator, SourceGrade, SubjectKind};

/// A problem at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub place: Place,
    pub message: String,
}

/// One value to record, and where each of its parts is in the file.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub observation: NewObservation,
    pub line: usize,
    /// The column (or flag) of each field the checks may name.
    pub columns: HashMap<&'static str, Column>,
}

impl Candidate {
    /// Where a problem the checks found in `field` is.
    pub fn place(&self, field: &str) -> Place {
        let column = self.columns.get(field).cloned().unwrap_or(Column::Row);
        Place { line: self.line, column }
    }

    /// A database check's problem, at its place.
    pub fn locate(&self, problem: &Problem) -> Located {
        Located { place: self.place(problem.field), message: problem.message.clone() }
    }
}

/// What a layout read.
#[derive(Debug, Default)]
pub struct Parsed {
    pub candidates: Vec<Candidate>,
    /// Rows (long layout) or cells (wide layout) with no value: a template's rows not filled
    /// in, a yearbook's blanks. Skipped, not errors.
    pub empty: usize,
    pub problems: Vec<Located>,
    /// Notes for the report (columns a wide file's mapping left out).
    pub notes: Vec<String>,
}

/// What the command line gives every row that gives none itself.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub source: Option<String>,
    pub grade: Option<SourceGrade>,
    pub source_note: Option<String>,
    pub year: Option<i32>,
}

/// The seed's indicators by code.
pub type Indicators = HashMap<String, Indicator>;

/// A field's text from its cell, or from its flag when the cell is empty; and where it came
/// from.
pub fn cell_or_flag(
    cell: Option<(&str, Column)>,
    flag: Option<&str>,
    flag_name: &'static str,
) -> (Option<String>, Column) {
    match (cell, flag) {
        (Some((text, column)), _) if !text.is_empty() => (Some(text.to_string()), column),
        (_, Some(flag)) => (Some(flag.to_string()), Column::Flag(flag_name)),
        (Some((_, column)), None) => (None, column),
        (None, None) => (None, Column::Flag(flag_name)),
    }
}

/// A subject from a kind and a code or Chinese name; a name is resolved through the division
/// table, and must name a unit of the kind given.
pub fn subject(kind: Option<SubjectKind>, text: &str) -> Result<Subject, String> {
    match kind {
        Some(SubjectKind::Plan) => Subject::new(SubjectKind::Plan, Some(text)).map_err(str::to_string),
        Some(kind) if text.is_ascii() => Subject::new(kind, Some(text)).map_err(str::to_string),
        Some(kind) => {
            let found = super::names::resolve(text)?;
            if found.kind() != kind {
                return Err(format!("{text:?} is a {}, not a {}", name(found.kind()), name(kind)));
            }
            Ok(found)
        }
        None => super::names::resolve(text),
    }
}

fn name(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::City => "city or district",
        SubjectKind::Province => "province",
        SubjectKind::Plan => "plan area",
    }
}

/// A value's text as a number, in `indicator`'s unit: converted from `unit` (empty: the
/// indicator's own) by the known factors, or refused.
pub fn value(text: &str, unit: &str, indicator: &Indicator) -> Result<(f64, f64), String> {
    let number: f64 = text.trim().parse().map_err(|_| format!("{text:?} is not a number"))?;
    let factor = units::factor(unit, &indicator.unit)?;
    Ok((number * factor, factor))
}

/// A source grade's text, checked.
pub fn grade(text: &str) -> Result<SourceGrade, String> {
    SourceGrade::declared(text)
}
