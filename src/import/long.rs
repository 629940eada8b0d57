//! The long layout: one value per row, in the columns of `domain::template` (the `gaps` view's
//! fill-in template is one). Columns may come in any order; the template's context columns
//! are skipped; `source` and `source_grade` may be left to flags. A row whose value is empty is
//! skipped and counted; every other row must be whole.

use std::collections::HashMap;

use anyhow::bail;

use super::rows::{self, Candidate, Defaults, Indicators, Located, Parsed, cell_or_flag};
use super::table::{Column, Place, Table, TableRow, letter};
use crate::domain::recording::NewObservation;
use crate::domain::template::{self, COLUMNS};
use crate::domain::{SourceGrade, SubjectKind};

/// Columns a long file must have (source and source_grade unless a flag gives them).
const REQUIRED: [&str; 5] = ["subject_kind", "subject_code", "indicator", "year", "value"];

/// Whether a table is in the long layout: it has `indicator` and `value` columns.
pub fn is_long(table: &Table) -> bool {
    let has = |name: &str| table.headers.iter().any(|h| h == name);
    has("indicator") && has("value")
}

/// The column of each field the file has.
struct Header(HashMap<&'static str, usize>);

impl Header {
    fn read(table: &Table, defaults: &Defaults) -> anyhow::Result<Self> {
        let mut found = HashMap::new();
        for (index, header) in table.headers.iter().enumerate() {
            let place = format!("{}, line {}, column {}", table.origin, table.header_line, letter(index));
            if let Some(column) = COLUMNS.iter().find(|c| **c == header) {
                if found.insert(*column, index).is_some() {
                    bail!("{place}: a second {header:?} column");
                }
            } else if !template::is_context(header) {
                bail!(
                    "{place}: {header:?} is not a column of an observations file. Its columns are {} \
                     (any order); the template's context columns ({}) are skipped",
                    COLUMNS.join(", "),
                    template::CONTEXT.join(", ")
                );
            }
        }
        let mut missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| !found.contains_key(c)).collect();
        if !found.contains_key("source") && defaults.source.is_none() {
            missing.push("source (or --source)");
        }
        if !found.contains_key("source_grade") && defaults.grade.is_none() {
            missing.push("source_grade (or --grade)");
        }
        if !missing.is_empty() {
            bail!("{}: the header has no {} column", table.origin, missing.join(", no "));
        }
        Ok(Self(found))
    }

    fn cell<'a>(&self, table: &Table, row: &'a TableRow, field: &str) -> Option<(&'a str, Column)> {
        let index = *self.0.get(field)?;
        Some((row.cell(index), Column::Cell { index, header: table.headers[index].clone() }))
    }
}

/// Reads a long table.
pub fn parse(table: &Table, defaults: &Defaults, indicators: &Indicators) -> anyhow::Result<Parsed> {
    let header = Header::read(table, defaults)?;
    let mut parsed = Parsed::default();
    for row in &table.rows {
        match header.cell(table, row, "value") {
            Some(("", _)) => parsed.empty += 1,
            _ => match candidate(table, &header, row, defaults, indicators) {
                Ok(candidate) => parsed.candidates.push(candidate),
                Err(mut problems) => parsed.problems.append(&mut problems),
            },
        }
    }
    Ok(parsed)
}

/// One row's value, or every problem of the row.
fn candidate(
    table: &Table,
    header: &Header,
    row: &TableRow,
    defaults: &Defaults,
    indicators: &Indicators,
) -> Result<Candidate, Vec<Located>> {
    let mut problems = Vec::new();
    let mut columns = HashMap::new();
    let cell = |field: &str| header.cell(table, row, field);
    let mut field = |name: &'static str, column: Column| {
        columns.insert(name, column.clone());
        move |message: String| Located { place: Place { line: row.line, column }, message }
    };
    let text = |field: &str| cell(field).map_or("", |(t, _)| t);

    let (kind_text, kind_column) = cell("subject_kind").map_or(("", Column::Row), |(t, c)| (t, c));
    let at_kind = field("subject_kind", kind_column);
    let kind = SubjectKind::parse(&kind_text.to_ascii_uppercase());
    if kind.is_none() {
        problems.push(at_kind(format!("{kind_text:?} is not CITY, PROVINCE or PLAN")));
    }
    let at_subject = field("subject", cell("subject_code").map_or(Column::Row, |(_, c)| c));
    let subject = match kind {
        Some(kind) => {
            rows::subject(Some(kind), text("subject_code")).map_err(|m| problems.push(at_subject(m))).ok()
        }
        None => None,
    };
    let indicator_code = text("indicator").to_string();
    let at_indicator = field("indicator", cell("indicator").map_or(Column::Row, |(_, c)| c));
    let indicator = indicators.get(&indicator_code);
    if indicator.is_none() {
        problems.push(at_indicator(format!("no indicator with code {indicator_code:?}")));
    }
    let at_year = field("year", cell("year").map_or(Column::Row, |(_, c)| c));
    let year = text("year")
        .parse::<i32>()
        .map_err(|_| problems.push(at_year(format!("{:?} is not a whole year", text("year")))))
        .ok();
    let at_value = field("value", cell("value").map_or(Column::Row, |(_, c)| c));
    let _ = field("unit", cell("unit").map_or(Column::Row, |(_, c)| c));
    let unit = text("unit").to_string();
    let value = indicator
        .and_then(|i| rows::value(text("value"), &unit, i).map_err(|m| problems.push(at_value(m))).ok());
    let (source, source_column) = cell_or_flag(cell("source"), defaults.source.as_deref(), "--source");
    let at_source = field("source", source_column);
    if source.is_none() {
        problems.push(at_source(
            "a value needs its source (an address or a citation): fill the cell or pass --source".into(),
        ));
    }
    let (grade_text, grade_column) =
        cell_or_flag(cell("source_grade"), defaults.grade.map(SourceGrade::as_str), "--grade");
    let at_grade = field("source_grade", grade_column);
    let grade = match grade_text {
        Some(text) => rows::grade(&text).map_err(|m| problems.push(at_grade(m))).ok(),
        None => {
            problems.push(at_grade(
                "a value needs its source's grade: BULLETIN, OFFICIAL or SECONDARY (or pass --grade)".into(),
            ));
            None
        }
    };
    let note = Some(text("source_note")).filter(|n| !n.is_empty()).map(str::to_string);
    match (subject, indicator, year, value, source, grade) {
        (
            Some(subject),
            Some(indicator),
            Some(year),
            Some((value, factor)),
            Some(source),
            Some(source_grade),
        ) if problems.is_empty() => {
            let definition = Some(text("definition").to_string()).filter(|d| !d.is_empty());
            let (unit, definition) = if factor == 1.0 {
                (Some(unit).filter(|u| !u.is_empty()), definition)
            } else {
                let converted = format!("converted from {unit} to {}", indicator.unit);
                let definition = definition.map_or(converted.clone(), |d| format!("{d}; {converted}"));
                (Some(indicator.unit.clone()), Some(definition))
            };
            Ok(Candidate {
                observation: NewObservation {
                    subject,
                    indicator_code,
                    year,
                    value,
                    unit,
                    definition,
                    source,
                    source_note: note.or_else(|| defaults.source_note.clone()),
                    source_grade,
                },
                line: row.line,
                columns,
            })
        }
        _ => Err(problems),
    }
}
