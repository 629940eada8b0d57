//! The plan itself from `plan.json`: its record, periods, sources, milestones and the
//! strategic industries it names.

use rusqlite::{Transaction, params};
use serde::Deserialize;

use super::super::DbError;
use super::source_id;

#[derive(Deserialize)]
pub(super) struct PlanFile {
    title_en: String,
    title_zh: String,
    document_number: String,
    approval_number: String,
    issued_on: String,
    announced_on: String,
    official_start_year: i32,
    official_end_year: i32,
    reported_start_year: i32,
    reported_end_year: i32,
    declared_cities: i32,
    declared_prefecture_level: i32,
    declared_districts: i32,
    declared_provinces: i32,
    blueprint_2011_cities: i32,
    notes: String,
    source_url: String,
    sources: Vec<SourceRow>,
    milestones: Vec<MilestoneRow>,
    strategic_industries: Industries,
}

#[derive(Deserialize)]
pub(super) struct SourceRow {
    url: String,
    description: String,
}

#[derive(Deserialize)]
pub(super) struct MilestoneRow {
    year: i32,
    date: Option<String>,
    title: String,
    description: String,
    evidence: String,
    source_url: String,
}

#[derive(Deserialize)]
pub(super) struct Industries {
    source_url: String,
    names: Vec<String>,
}

pub(super) fn apply_plan(tx: &Transaction<'_>, plan: &PlanFile) -> Result<(), DbError> {
    for source in &plan.sources {
        source_id(tx, &source.url, Some(&source.description))?;
    }
    let source = source_id(tx, &plan.source_url, None)?;
    tx.execute(
        "INSERT OR REPLACE INTO plan VALUES
         (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            plan.title_en,
            plan.title_zh,
            plan.document_number,
            plan.approval_number,
            plan.issued_on,
            plan.announced_on,
            plan.official_start_year,
            plan.official_end_year,
            plan.reported_start_year,
            plan.reported_end_year,
            plan.declared_cities,
            plan.declared_prefecture_level,
            plan.declared_districts,
            plan.declared_provinces,
            plan.blueprint_2011_cities,
            plan.notes,
            source
        ],
    )?;
    tx.execute("DELETE FROM milestones", [])?;
    for (position, m) in plan.milestones.iter().enumerate() {
        let source = source_id(tx, &m.source_url, None)?;
        tx.execute(
            "INSERT INTO milestones VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![position as i64, m.year, m.date, m.title, m.description, m.evidence, source],
        )?;
    }
    tx.execute("DELETE FROM strategic_industries", [])?;
    let source = source_id(tx, &plan.strategic_industries.source_url, None)?;
    for (position, name) in plan.strategic_industries.names.iter().enumerate() {
        tx.execute(
            "INSERT INTO strategic_industries VALUES (?1, ?2, ?3)",
            params![position as i64, name, source],
        )?;
    }
    Ok(())
}
