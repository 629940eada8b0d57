//! The wide layout of yearbooks and research panels: one row per entry (and year), one column
//! per indicator. The entry is the first column (or `--entry-column`), by code or Chinese
//! name; the year is a `year` / `年份` column or `--year`; an indicator column is headed by its
//! code (`gdp`, `gdp(万元)`) or mapped with `--column 'HEADER=CODE'`. A unit in a header's
//! brackets is converted to the indicator's, or the column is refused. `source`,
//! `source_grade` and `source_note` columns give each row its own; flags give the rest. An
//! empty cell is skipped and counted.

use std::collections::HashMap;

use anyhow::{Context, bail};

use super::rows::{self, Candidate, Defaults, Indicators, Located, Parsed, cell_or_flag};
use super::table::{Column, Place, Table, TableRow, letter};
use super::units;
use crate::domain::recording::NewObservation;
use crate::domain::{Indicator, SourceGrade};

/// Headers a year column may have.
const YEAR_HEADERS: [&str; 4] = ["year", "年份", "年度", "年"];

/// How the command line says to read a wide file.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// `HEADER=CODE` mappings, as given.
    pub columns: Vec<String>,
    /// The header of the column naming each entry (default: the first column).
    pub entry_column: Option<String>,
}

/// An indicator column: its place, its indicator and the factor to its unit.
struct ValueColumn<'a> {
    index: usize,
    header: String,
    indicator: &'a Indicator,
    factor: f64,
    unit: Option<String>,
}

/// What each column of the file is.
struct Plan<'a> {
    entry: usize,
    year: Option<usize>,
    source: Option<usize>,
    grade: Option<usize>,
    note: Option<usize>,
    values: Vec<ValueColumn<'a>>,
    ignored: Vec<String>,
}

/// Reads a wide table.
pub fn parse(
    table: &Table,
    defaults: &Defaults,
    layout: &Layout,
    indicators: &Indicators,
) -> anyhow::Result<Parsed> {
    let plan = plan(table, defaults, layout, indicators)?;
    let mut parsed = Parsed::default();
    if !plan.ignored.is_empty() {
        parsed.notes.push(format!("columns not mapped with --column, left out: {}", plan.ignored.join(", ")));
    }
    for row in &table.rows {
        read_row(table, &plan, row, defaults, &mut parsed);
    }
    Ok(parsed)
}

fn find(table: &Table, header: &str) -> Option<usize> {
    table.headers.iter().position(|h| h == header)
}

fn plan<'a>(
    table: &Table,
    defaults: &Defaults,
    layout: &Layout,
    indicators: &'a Indicators,
) -> anyhow::Result<Plan<'a>> {
    let at = |index: usize| format!("{}, line {}, column {}", table.origin, table.header_line, letter(index));
    let entry = match &layout.entry_column {
        Some(name) => find(table, name)
            .with_context(|| format!("{}: no column is headed {name:?} (--entry-column)", table.origin))?,
        None => 0,
    };
    let year = table.headers.iter().position(|h| YEAR_HEADERS.contains(&h.to_lowercase().as_str()));
    if year == Some(entry) {
        bail!(
            "{}: the entry column is the year column: name the entry column with --entry-column",
            at(entry)
        );
    }
    match (year, defaults.year) {
        (Some(index), Some(_)) => {
            bail!("{}: the file has a year column and --year was given too: use one", at(index))
        }
        (None, None) => {
            bail!("{}: no year: add a column headed `year` (or 年份), or pass --year", table.origin)
        }
        _ => {}
    }
    let (source, grade, note) =
        (find(table, "source"), find(table, "source_grade"), find(table, "source_note"));
    let mut mapped: HashMap<usize, &str> = HashMap::new();
    for mapping in &layout.columns {
        let (header, code) = mapping
            .rsplit_once('=')
            .with_context(|| format!("--column {mapping:?}: write it as 'HEADER=CODE'"))?;
        let index = find(table, header.trim()).with_context(|| {
            format!(
                "--column {mapping:?}: no column is headed {:?}; the headers are {}",
                header.trim(),
                table.headers.join(", ")
            )
        })?;
        mapped.insert(index, code.trim());
    }
    let taken = [Some(entry), year, source, grade, note];
    let (mut values, mut ignored) = (Vec::new(), Vec::new());
    for (index, header) in table.headers.iter().enumerate() {
        if taken.contains(&Some(index)) {
            continue;
        }
        let (name, unit) = units::from_header(header);
        let code = match (mapped.get(&index), layout.columns.is_empty()) {
            (Some(code), _) => *code,
            (None, true) => name,
            (None, false) => {
                ignored.push(format!("{} ({header})", letter(index)));
                continue;
            }
        };
        let Some(indicator) = indicators.get(code) else {
            let mut codes: Vec<&str> = indicators.keys().map(String::as_str).collect();
            codes.sort();
            bail!(
                "{}: {header:?} is not an indicator code: map the column with --column '{header}=CODE' \
                 (codes: {}), or leave it out of the file",
                at(index),
                codes.join(", ")
            );
        };
        let factor = units::factor(unit.unwrap_or(""), &indicator.unit)
            .map_err(|e| anyhow::anyhow!("{}: {e}", at(index)))?;
        values.push(ValueColumn {
            index,
            header: header.clone(),
            indicator,
            factor,
            unit: unit.map(str::to_string),
        });
    }
    if values.is_empty() {
        bail!(
            "{}: no indicator column: head one with an indicator code, or map one with --column",
            table.origin
        );
    }
    Ok(Plan { entry, year, source, grade, note, values, ignored })
}

fn read_row(table: &Table, plan: &Plan<'_>, row: &TableRow, defaults: &Defaults, parsed: &mut Parsed) {
    let column = |index: usize| Column::Cell { index, header: table.headers[index].clone() };
    let cell = |index: Option<usize>| index.map(|i| (row.cell(i), column(i)));
    let located =
        |column: Column, message: String| Located { place: Place { line: row.line, column }, message };
    let cells: Vec<&ValueColumn<'_>> = plan.values.iter().filter(|v| !row.cell(v.index).is_empty()).collect();
    parsed.empty += plan.values.len() - cells.len();
    if cells.is_empty() {
        return;
    }
    let mut problems = Vec::new();
    let subject = rows::subject(None, row.cell(plan.entry))
        .map_err(|m| problems.push(located(column(plan.entry), m)))
        .ok();
    let (year_text, year_column) = match plan.year {
        Some(index) => (row.cell(index).to_string(), column(index)),
        None => (defaults.year.map(|y| y.to_string()).unwrap_or_default(), Column::Flag("--year")),
    };
    let year = year_text
        .parse::<i32>()
        .map_err(|_| {
            problems.push(located(year_column.clone(), format!("{year_text:?} is not a whole year")))
        })
        .ok();
    let (source, source_column) = cell_or_flag(cell(plan.source), defaults.source.as_deref(), "--source");
    if source.is_none() {
        let message = "a value needs its source (an address or a citation): fill the cell or pass --source";
        problems.push(located(source_column.clone(), message.into()));
    }
    let (grade_text, grade_column) =
        cell_or_flag(cell(plan.grade), defaults.grade.map(SourceGrade::as_str), "--grade");
    let grade = match grade_text {
        Some(text) => rows::grade(&text).map_err(|m| problems.push(located(grade_column.clone(), m))).ok(),
        None => {
            let message =
                "a value needs its source's grade: BULLETIN, OFFICIAL or SECONDARY (or pass --grade)";
            problems.push(located(grade_column.clone(), message.into()));
            None
        }
    };
    let note = cell(plan.note)
        .map(|(t, _)| t.to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| defaults.source_note.clone());
    for value_column in cells {
        let text = row.cell(value_column.index);
        let value = match text.parse::<f64>() {
            Ok(number) => Some(number * value_column.factor),
            Err(_) => {
                problems.push(located(column(value_column.index), format!("{text:?} is not a number")));
                None
            }
        };
        if let (Some(subject), Some(year), Some(value), Some(source), Some(grade)) =
            (&subject, year, value, &source, grade)
        {
            let converted = (value_column.factor != 1.0).then(|| {
                format!(
                    "; converted from {} to {}",
                    value_column.unit.as_deref().unwrap_or(""),
                    value_column.indicator.unit
                )
            });
            let columns = HashMap::from([
                ("subject", column(plan.entry)),
                ("year", year_column.clone()),
                ("value", column(value_column.index)),
                ("indicator", column(value_column.index)),
                ("source", source_column.clone()),
                ("source_grade", grade_column.clone()),
            ]);
            parsed.candidates.push(Candidate {
                observation: NewObservation {
                    subject: subject.clone(),
                    indicator_code: value_column.indicator.code.clone(),
                    year,
                    value,
                    unit: Some(value_column.indicator.unit.clone()),
                    definition: Some(format!(
                        "column {}{}",
                        value_column.header,
                        converted.unwrap_or_default()
                    )),
                    source: source.clone(),
                    source_note: note.clone(),
                    source_grade: grade,
                },
                line: row.line,
                columns,
            });
        }
    }
    parsed.problems.append(&mut problems);
}
