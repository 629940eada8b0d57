//! Plan entries users add (`rustbelt import cities`): every row checked, then all written in one
//! transaction or none. An entry's membership follows from its graded sources, so an import
//! only ever adds evidence: it never deletes an entry or a source, and never rewrites the
//! seed's description of an entry.

use std::collections::HashMap;

use super::list::stored;
use super::{Conn, DbError, reference};
use crate::domain::divisions::{Divisions, Found};
use crate::domain::entries::{self, EntryRow, Known, NewEntry};
use crate::domain::recording::Problem;
use crate::domain::{City, Membership, ProvinceKind};

/// What became of one imported entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub admin_code: String,
    pub name_zh: String,
    /// Its membership before the import; `None` for a new entry.
    pub before: Option<Membership>,
    pub after: Membership,
}

/// The outcome of importing a file of entries.
#[derive(Debug, Clone)]
pub enum Imported {
    /// Every row was written, in file order.
    Written(Vec<Outcome>),
    /// Nothing was written: every problem found, row by row.
    Refused(Vec<Problem>),
}

/// Checks every row against the division table and the database, then, only if all pass,
/// upserts the entries and their sources and grades them. Run it inside [`super::Db::write`].
pub fn import(conn: &Conn<'_>, rows: &[EntryRow]) -> Result<Imported, DbError> {
    let table = Divisions::embedded();
    let provinces: HashMap<String, ProvinceKind> = conn
        .rows("SELECT code, kind FROM provinces", [], |r| {
            Ok((r.get("code")?, stored(r, "kind", ProvinceKind::parse)?))
        })?
        .into_iter()
        .collect();
    let codes: Vec<String> = rows.iter().filter_map(|row| code_meant(row, table)).collect();
    let stored_entries: HashMap<String, City> =
        reference::cities_by_code(conn, &codes)?.into_iter().collect();
    let known = Known { provinces: &provinces, entries: &stored_entries };
    let (mut checked, mut problems) = (Vec::new(), Vec::new());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        match entries::check(index, row, table, &known) {
            Ok(entry) => {
                if let Some(first) = seen.insert(entry.admin_code.clone(), index) {
                    let message =
                        format!("{} repeats row {}: one row per entry", entry.admin_code, first + 1);
                    problems.push(Problem { row: index, field: "admin_code", message });
                }
                checked.push(entry);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Ok(Imported::Refused(problems));
    }
    for entry in &checked {
        write(conn, entry)?;
    }
    conn.execute(reference::GRADE_ENTRIES, [])?;
    let written: HashMap<String, City> = reference::cities_by_code(conn, &codes)?.into_iter().collect();
    Ok(Imported::Written(
        checked
            .into_iter()
            .map(|entry| Outcome {
                before: stored_entries.get(&entry.admin_code).map(|c| c.membership),
                after: written.get(&entry.admin_code).map_or(Membership::Candidate, |c| c.membership),
                admin_code: entry.admin_code,
                name_zh: entry.name_zh,
            })
            .collect(),
    ))
}

/// The code a row may mean, for looking up what is stored before checking it.
fn code_meant(row: &EntryRow, table: &Divisions) -> Option<String> {
    let code = row.admin_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    match (code, row.name_zh.as_deref()) {
        (Some(code), _) => Some(code.to_string()),
        (None, Some(name)) => match table.find(name) {
            Found::One(division) => Some(division.code.clone()),
            _ => None,
        },
        (None, None) => None,
    }
}

/// Upserts one entry (a stored entry of the seed keeps the seed's description) and its source.
fn write(conn: &Conn<'_>, entry: &NewEntry) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO cities (admin_code, name_en, name_zh, province_code, tier, latitude, longitude,
                             membership, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'CANDIDATE', 'USER')
         ON CONFLICT (admin_code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh,
           province_code = excluded.province_code, tier = excluded.tier, latitude = excluded.latitude,
           longitude = excluded.longitude
         WHERE origin = 'USER'",
        rusqlite::params![
            entry.admin_code,
            entry.name_en,
            entry.name_zh,
            entry.province_code,
            entry.tier.as_str(),
            entry.latitude,
            entry.longitude
        ],
    )?;
    conn.execute("INSERT INTO sources (url) VALUES (?1) ON CONFLICT (url) DO NOTHING", [&entry.source])?;
    conn.execute(
        "INSERT INTO city_sources (city_code, source_id, note, evidence, origin)
         SELECT ?1, id, ?2, ?3, 'USER' FROM sources WHERE url = ?4
         ON CONFLICT (city_code, source_id) DO UPDATE SET note = excluded.note,
           evidence = excluded.evidence, origin = 'USER'",
        rusqlite::params![entry.admin_code, entry.note, entry.evidence.as_str(), entry.source],
    )?;
    Ok(())
}
