//! Indicators, their physical ranges and derivations, and the plan's targets.

use std::collections::BTreeSet;

use rusqlite::{Transaction, params};
use serde::Deserialize;

use super::super::DbError;
use super::{EMBEDDED, Seed, csv_rows, delete_missing, source_id};

#[derive(Deserialize)]
pub(super) struct DerivationRow {
    code: String,
    numerator: String,
    denominator: String,
    scale: f64,
    why: String,
}

#[derive(Deserialize)]
pub(super) struct IndicatorRow {
    code: String,
    name_en: String,
    name_zh: Option<String>,
    unit: String,
    direction: String,
    aggregation: String,
    description: String,
}

#[derive(Deserialize)]
pub(super) struct RangeRow {
    code: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct TargetRow {
    code: String,
    indicator: String,
    name_en: String,
    unit: String,
    kind: String,
    baseline_year: i32,
    baseline_value: Option<f64>,
    target_year: i32,
    target_value: f64,
    direction: String,
    scope: String,
    caveats: String,
    source: String,
}

/// Every indicator of the embedded seed (users cannot add any): its unit and its names, for an
/// import that converts units before anything is written.
pub fn indicators() -> Result<Vec<crate::domain::Indicator>, DbError> {
    let rows: Vec<IndicatorRow> = csv_rows("indicators.csv", EMBEDDED.indicators)?;
    rows.into_iter()
        .map(|i| {
            let direction = crate::domain::parse_direction(&i.direction).ok_or_else(|| {
                DbError::Seed(format!("indicators.csv: {} has direction {:?}", i.code, i.direction))
            })?;
            Ok(crate::domain::Indicator {
                code: i.code,
                name_en: i.name_en,
                name_zh: i.name_zh.filter(|n| !n.is_empty()),
                unit: i.unit,
                direction,
                aggregation: i.aggregation,
                derivation: None,
                description: i.description,
                min_value: None,
                max_value: None,
            })
        })
        .collect()
}

/// How indicators follow from others where they are not published.
pub(super) fn apply_derivations(tx: &Transaction<'_>, rows: &[DerivationRow]) -> Result<(), DbError> {
    tx.execute("DELETE FROM indicator_derivations", [])?;
    for r in rows {
        tx.execute(
            "INSERT INTO indicator_derivations VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.code, r.numerator, r.denominator, r.scale, r.why],
        )?;
    }
    Ok(())
}

pub(super) fn apply_indicators(tx: &Transaction<'_>, seed: &Seed) -> Result<(), DbError> {
    let rows: Vec<IndicatorRow> = csv_rows("indicators.csv", seed.indicators)?;
    let ranges: Vec<RangeRow> = csv_rows("indicator_ranges.csv", seed.indicator_ranges)?;
    for i in &rows {
        let range = ranges.iter().find(|r| r.code == i.code);
        tx.execute(
            "INSERT INTO indicators VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh,
               unit = excluded.unit, direction = excluded.direction,
               aggregation = excluded.aggregation, description = excluded.description,
               min_value = excluded.min_value, max_value = excluded.max_value",
            params![
                i.code,
                i.name_en,
                i.name_zh.as_deref().filter(|s| !s.is_empty()),
                i.unit,
                i.direction,
                i.aggregation,
                i.description,
                range.and_then(|r| r.min_value),
                range.and_then(|r| r.max_value)
            ],
        )?;
    }
    let keep: BTreeSet<&str> = rows.iter().map(|i| i.code.as_str()).collect();
    delete_missing(tx, "indicators", "code", &keep)
}

pub(super) fn apply_targets(tx: &Transaction<'_>, rows: &[TargetRow]) -> Result<(), DbError> {
    for t in rows {
        // The CSV states a change target in percent (−32); the evaluator works in fractions.
        let (value, change) = match t.kind.as_str() {
            "change_from_baseline" => (None, Some(t.target_value / 100.0)),
            _ => (Some(t.target_value), None),
        };
        let source = source_id(tx, &t.source, None)?;
        tx.execute(
            "INSERT OR REPLACE INTO targets VALUES
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                t.code,
                t.indicator,
                t.name_en,
                t.unit,
                t.kind,
                t.direction,
                t.baseline_year,
                t.baseline_value,
                t.target_year,
                value,
                change,
                t.scope,
                t.caveats,
                source
            ],
        )?;
    }
    let keep: BTreeSet<&str> = rows.iter().map(|t| t.code.as_str()).collect();
    delete_missing(tx, "targets", "code", &keep)
}
