//! The embedded seed: the verified reference data of `seed/`, compiled into the binary through
//! one manifest, parsed from file contents (never paths) and applied in one transaction.
//!
//! Applying is an idempotent refresh: reference rows are upserted and rows that left the seed
//! are deleted; observations are touched only where `origin = 'SEED'`, so user rows survive.

use std::collections::BTreeSet;

use rusqlite::{Transaction, params};
use serde::Deserialize;

use super::DbError;

mod entries;
mod indicators;
mod observations;
mod plan;

use entries::{Entries, apply_cities, apply_coverage, apply_provinces};
pub use indicators::indicators;
use indicators::{apply_derivations, apply_indicators, apply_targets};
use observations::apply_observations;
pub use observations::restore_observations;
use plan::{PlanFile, apply_plan};

/// The seed files, in the order they are applied.
pub struct Seed {
    pub plan: &'static str,
    pub provinces: &'static str,
    pub cities: &'static str,
    pub city_candidates: &'static str,
    pub city_sources: &'static str,
    pub province_coverage: &'static str,
    pub indicators: &'static str,
    pub indicator_derivations: &'static str,
    pub indicator_ranges: &'static str,
    pub targets: &'static str,
    pub observations: &'static str,
}

/// The seed shipped with this binary.
pub const EMBEDDED: Seed = Seed {
    plan: include_str!("../../seed/plan.json"),
    provinces: include_str!("../../seed/provinces.csv"),
    cities: include_str!("../../seed/cities.csv"),
    city_candidates: include_str!("../../seed/cities_candidates.csv"),
    city_sources: include_str!("../../seed/city_sources.csv"),
    province_coverage: include_str!("../../seed/province_coverage.csv"),
    indicators: include_str!("../../seed/indicators.csv"),
    indicator_derivations: include_str!("../../seed/indicator_derivations.csv"),
    indicator_ranges: include_str!("../../seed/indicator_ranges.csv"),
    targets: include_str!("../../seed/plan_targets.csv"),
    observations: include_str!("../../seed/observations.csv"),
};

/// Parses one CSV file into rows, naming the file in any error.
pub(super) fn csv_rows<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<Vec<T>, DbError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| DbError::Seed(format!("{name}: {e}")))
}

/// Refreshes the reference data from the embedded seed in one transaction.
pub fn apply(connection: &mut rusqlite::Connection) -> Result<(), DbError> {
    apply_seed(connection, &EMBEDDED)
}

/// Refreshes the reference data from `seed` in one transaction: all of it, or none.
pub fn apply_seed(connection: &mut rusqlite::Connection, seed: &Seed) -> Result<(), DbError> {
    let plan: PlanFile =
        serde_json::from_str(seed.plan).map_err(|e| DbError::Seed(format!("plan.json: {e}")))?;
    let tx = connection.transaction()?;
    // The version moves first, so observations the seed changes are marked with it.
    super::version::bump(&tx)?;
    apply_plan(&tx, &plan)?;
    apply_provinces(&tx, &csv_rows("provinces.csv", seed.provinces)?)?;
    let entries = Entries::parse(seed)?;
    apply_cities(&tx, &entries)?;
    apply_coverage(&tx, &csv_rows("province_coverage.csv", seed.province_coverage)?, &entries.confirmed)?;
    apply_indicators(&tx, seed)?;
    apply_derivations(&tx, &csv_rows("indicator_derivations.csv", seed.indicator_derivations)?)?;
    apply_targets(&tx, &csv_rows("plan_targets.csv", seed.targets)?)?;
    apply_observations(&tx, &csv_rows("observations.csv", seed.observations)?)?;
    tx.commit()?;
    tracing::info!("reference data refreshed from the embedded seed");
    Ok(())
}

/// Returns the id of the source with this address, adding it if new.
pub(super) fn source_id(tx: &Transaction<'_>, url: &str, description: Option<&str>) -> Result<i64, DbError> {
    tx.execute(
        "INSERT INTO sources (url, description) VALUES (?1, ?2)
         ON CONFLICT (url) DO UPDATE SET description = coalesce(excluded.description, description)",
        params![url, description],
    )?;
    Ok(tx.query_row("SELECT id FROM sources WHERE url = ?1", [url], |r| r.get(0))?)
}

/// Deletes the rows of `table` whose key is not in `keep`: rows that left the seed.
pub(super) fn delete_missing(
    tx: &Transaction<'_>,
    table: &str,
    key: &str,
    keep: &BTreeSet<&str>,
) -> Result<(), DbError> {
    let existing: Vec<String> = {
        let mut statement = tx.prepare(&format!("SELECT {key} FROM {table}"))?;
        let rows = statement.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for code in existing.iter().filter(|c| !keep.contains(c.as_str())) {
        tx.execute(&format!("DELETE FROM {table} WHERE {key} = ?1"), [code])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
