//! Observations: reading them by subject or indicator, in pages; the series evaluations use;
//! recording and deleting user observations.

use std::collections::{HashMap, HashSet};

use super::list::{self, Listed, Table, optional_stored, stored};
use super::related::Row;
use super::{Conn, DbError, Record, reference};
use crate::domain::query::{Filter, ListQuery};
use crate::domain::recording::{self, Known, NewObservation, Problem, Subject};
use crate::domain::{
    Indicator, Membership, Observation, Origin, Recorder, Region, SeriesPoint, SourceGrade, SubjectKind,
};

/// Observations with their source address (a view, see schema.sql).
pub const OBSERVATIONS: Table = Table { name: "observation_rows", base: "observations", key: "id" };

/// Which observations a list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObservationParent {
    /// Every observation.
    All,
    /// Observations of cities, keyed by admin code.
    City,
    /// Observations of provinces as a whole, keyed by province code.
    Province,
    /// Observations of an indicator, keyed by indicator code.
    Indicator,
}

impl ObservationParent {
    fn column(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::City => Some("city_code"),
            Self::Province => Some("province_code"),
            Self::Indicator => Some("indicator_code"),
        }
    }
}

fn observation(row: &Record<'_, '_>) -> rusqlite::Result<Observation> {
    Ok(Observation {
        id: row.get("id")?,
        subject_kind: stored(row, "subject_kind", SubjectKind::parse)?,
        city_code: row.get("city_code")?,
        province_code: row.get("province_code")?,
        indicator_code: row.get("indicator_code")?,
        year: row.get("year")?,
        value: row.get("value")?,
        unit: row.get("unit")?,
        definition: row.get("definition")?,
        source_url: row.get("source_url")?,
        source_note: row.get("source_note")?,
        origin: stored(row, "origin", Origin::parse)?,
        synthetic: row.get("synthetic")?,
        recorded_version: row.get("recorded_version")?,
        recorded_by: optional_stored(row, "recorded_by", Recorder::parse)?,
        source_grade: stored(row, "source_grade", SourceGrade::parse)?,
    })
}

/// A page of observations for each key of `parent` in `keys`.
pub fn list_observations(
    conn: &Conn<'_>,
    parent: ObservationParent,
    keys: &[String],
    query: &ListQuery,
) -> Result<HashMap<String, Listed<Observation>>, DbError> {
    let parents = parent.column().map(|column| (column, keys));
    list::list(conn, &OBSERVATIONS, parents, query, observation)
}

/// Observations by id (ids are integers, passed as text like every loader key).
pub fn observations_by_id(conn: &Conn<'_>, ids: &[String]) -> Result<Vec<(String, Observation)>, DbError> {
    // Bound as integers, so the lookup uses the primary key (comparing `CAST(id AS TEXT)`
    // scanned the whole table); a key that is not a number matches nothing.
    let ids: Vec<rusqlite::types::Value> =
        ids.iter().filter_map(|id| id.parse().ok()).map(rusqlite::types::Value::Integer).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = list::keyed_rows(OBSERVATIONS.name, "id");
    conn.rows(&sql, [list::array(ids)], |row| Ok((row.get::<_, i64>("id")?.to_string(), observation(row)?)))
}

/// The writes after data version `after`, up to `upto`, that recorded observations: each
/// write's data version and writer, oldest first.
pub fn writes_since(conn: &Conn<'_>, after: u64, upto: u64) -> Result<Vec<(u64, Recorder)>, DbError> {
    let version = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let rows = conn.rows(
        "SELECT recorded_version, recorded_by FROM observations
         WHERE recorded_version > ?1 AND recorded_version <= ?2 AND recorded_by IS NOT NULL
         GROUP BY recorded_version, recorded_by ORDER BY recorded_version",
        [version(after), version(upto)],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    rows.into_iter()
        .map(|(v, by)| {
            let by =
                Recorder::parse(&by).ok_or_else(|| DbError::Corrupt(format!("unknown writer {by:?}")))?;
            Ok((u64::try_from(v).unwrap_or(0), by))
        })
        .collect()
}

/// The outcome of recording a batch of observations.
#[derive(Debug, Clone)]
pub enum Recorded {
    /// Every row was written; the stored rows, in input order.
    Written(Vec<Observation>),
    /// Nothing was written: every problem found, row by row.
    Refused(Vec<Problem>),
}

/// Checks every row, then, only if all pass, upserts them by (subject, indicator, year) as
/// user observations. Run it inside [`super::Db::write`] so the rows are written together or
/// not at all.
pub fn record(
    conn: &Conn<'_>,
    rows: &[NewObservation],
    last_year: i32,
    by: Recorder,
) -> Result<Recorded, DbError> {
    record_with(conn, rows, last_year, by, &|_| {})
}

/// [`record`], calling `written` after each row is written (an import shows its progress).
pub fn record_with(
    conn: &Conn<'_>,
    rows: &[NewObservation],
    last_year: i32,
    by: Recorder,
    written: &(dyn Fn(u64) + Sync),
) -> Result<Recorded, DbError> {
    let problems = check_rows(conn, rows, last_year)?;
    if !problems.is_empty() {
        return Ok(Recorded::Refused(problems));
    }
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        ids.push(upsert(conn, row, by)?);
        written(1);
    }
    let keys: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut stored: HashMap<String, Observation> = observations_by_id(conn, &keys)?.into_iter().collect();
    Ok(Recorded::Written(keys.iter().filter_map(|k| stored.remove(k)).collect()))
}

/// Every problem of every row, including rows that repeat an earlier row's key.
fn check_rows(conn: &Conn<'_>, rows: &[NewObservation], last_year: i32) -> Result<Vec<Problem>, DbError> {
    let indicator_codes: Vec<String> = rows.iter().map(|r| r.indicator_code.clone()).collect();
    let indicators: HashMap<String, Indicator> =
        reference::indicators_by_code(conn, &indicator_codes)?.into_iter().collect();
    let existing = existing_subjects(conn, rows)?;
    let mut seen: HashMap<(String, &str, i32), usize> = HashMap::new();
    let mut problems = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let known = Known {
            indicator: indicators.get(&row.indicator_code),
            subject_exists: row.subject == Subject::Plan || existing.contains(&row.subject.key()),
            last_year,
        };
        problems.extend(recording::check(index, row, &known));
        let key = (row.subject.key(), row.indicator_code.as_str(), row.year);
        if let Some(first) = seen.insert(key, index) {
            let message = format!("repeats row {first}: one value per subject, indicator and year");
            problems.push(Problem { row: index, field: "year", message });
        }
    }
    Ok(problems)
}

/// The subject keys among `rows` that exist.
fn existing_subjects(conn: &Conn<'_>, rows: &[NewObservation]) -> Result<HashSet<String>, DbError> {
    let (mut cities, mut provinces) = (Vec::new(), Vec::new());
    for row in rows {
        match &row.subject {
            Subject::City(code) => cities.push(code.clone()),
            Subject::Province(code) => provinces.push(code.clone()),
            Subject::Plan => {}
        }
    }
    let mut existing = HashSet::new();
    existing.extend(
        reference::cities_by_code(conn, &cities)?.into_iter().map(|(code, _)| format!("CITY:{code}")),
    );
    existing.extend(
        reference::provinces_by_code(conn, &provinces)?
            .into_iter()
            .map(|(code, _)| format!("PROVINCE:{code}")),
    );
    Ok(existing)
}

/// Inserts or replaces one user observation, marking it with the write's data version and its
/// writer; gives its id.
fn upsert(conn: &Conn<'_>, row: &NewObservation, by: Recorder) -> Result<i64, DbError> {
    conn.execute("INSERT INTO sources (url) VALUES (?1) ON CONFLICT (url) DO NOTHING", [row.source.trim()])?;
    let (city, province) = match &row.subject {
        Subject::City(code) => (Some(code.as_str()), None),
        Subject::Province(code) => (None, Some(code.as_str())),
        Subject::Plan => (None, None),
    };
    let ids = conn.rows(
        "INSERT INTO observations (subject_kind, city_code, province_code, subject_key, indicator_code, year,
                                   value, unit, definition, source_id, source_note, origin,
                                   recorded_version, recorded_by, source_grade)
         SELECT ?1, ?2, ?3, ?1 || ':' || coalesce(?2, ?3, ''), ?4, ?5, ?6, coalesce(?7, i.unit), coalesce(?8, ''),
                s.id, coalesce(?9, ''), 'USER', m.value, ?11, ?12
         FROM indicators i, sources s, meta m WHERE i.code = ?4 AND s.url = ?10 AND m.key = 'data_version'
         ON CONFLICT (subject_key, indicator_code, year) DO UPDATE SET value = excluded.value,
           unit = excluded.unit, definition = excluded.definition, source_id = excluded.source_id,
           source_note = excluded.source_note, origin = 'USER',
           recorded_version = excluded.recorded_version, recorded_by = excluded.recorded_by,
           source_grade = excluded.source_grade
         RETURNING id",
        rusqlite::params![
            row.subject.kind().as_str(),
            city,
            province,
            row.indicator_code,
            row.year,
            row.value,
            row.unit,
            row.definition,
            row.source_note,
            row.source.trim(),
            by.as_str(),
            row.source_grade.as_str()
        ],
        |r| r.get(0),
    )?;
    ids.into_iter().next().ok_or_else(|| DbError::Corrupt("an upsert returned no id".into()))
}

/// The outcome of deleting observations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// These ids were deleted (ids that did not exist are left out).
    Done(Vec<i64>),
    /// Nothing was deleted: these ids are seeded reference observations, which only change
    /// with the seed.
    SeedRows(Vec<i64>),
}

/// Deletes user observations by id, all or none.
pub fn delete(conn: &Conn<'_>, ids: &[i64]) -> Result<Deleted, DbError> {
    let keys: Vec<String> = ids.iter().map(i64::to_string).collect();
    let found = observations_by_id(conn, &keys)?;
    let seeded: Vec<i64> =
        found.iter().filter(|(_, o)| o.origin == Origin::Seed).map(|(_, o)| o.id).collect();
    if !seeded.is_empty() {
        return Ok(Deleted::SeedRows(seeded));
    }
    let (mut deleted, mut removed) = (Vec::new(), Vec::new());
    for (_, observation) in found {
        conn.execute("DELETE FROM observations WHERE id = ?1", [observation.id])?;
        deleted.push(observation.id);
        if let Some(city) = observation.city_code {
            removed.push((city, observation.indicator_code, observation.year));
        }
    }
    // A user's value that had replaced a seeded one leaves the seeded one behind.
    super::seed::restore_observations(conn, &removed)?;
    Ok(Deleted::Done(deleted))
}

/// The series (id, indicator, year, value) of the given subjects (by subject key) for every
/// indicator that has a target, and the inputs of derived ones: what evaluations are computed
/// from, read in one statement from
/// the `observations_series` index alone. One entry per subject that has any.
pub fn series(conn: &Conn<'_>, subject_keys: &[String]) -> Result<SeriesByGroup, DbError> {
    if subject_keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = "SELECT subject_key, id, indicator_code, year, value FROM observations
               WHERE subject_key IN rarray(?) AND indicator_code IN (SELECT indicator_code FROM targets
                 UNION SELECT numerator FROM indicator_derivations
                 UNION SELECT denominator FROM indicator_derivations)
               ORDER BY subject_key, indicator_code, year";
    let keys = list::array(subject_keys.iter().map(|k| rusqlite::types::Value::Text(k.clone())));
    grouped_series(conn, sql, [keys])
}

/// The series of some indicators (a target's, and the inputs of its derivation) for the given
/// subjects (by subject key), as [`series`] reads them for every indicator with a target.
pub fn indicator_series(
    conn: &Conn<'_>,
    subject_keys: &[String],
    indicators: &[&str],
) -> Result<SeriesByGroup, DbError> {
    if subject_keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = "SELECT subject_key, id, indicator_code, year, value FROM observations
               WHERE subject_key IN rarray(?) AND indicator_code IN rarray(?)
               ORDER BY subject_key, indicator_code, year";
    let keys = list::array(subject_keys.iter().map(|k| rusqlite::types::Value::Text(k.clone())));
    let codes = list::array(indicators.iter().map(|k| rusqlite::types::Value::Text(k.to_string())));
    grouped_series(conn, sql, rusqlite::params![keys, codes])
}

/// Series points grouped by subject (a subject key or a city code), in the order read.
pub type SeriesByGroup = Vec<(String, Vec<SeriesPoint>)>;

/// Reads rows of (group, id, indicator_code, year, value), ordered by group, into one series per
/// group.
fn grouped_series(
    conn: &Conn<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<SeriesByGroup, DbError> {
    let mut groups: SeriesByGroup = Vec::new();
    let mut indicators = Interned::default();
    conn.rows(sql, params, |row| {
        let group = row.text(0)?;
        if groups.last().is_none_or(|(last, _)| last != group) {
            groups.push((group.to_string(), Vec::new()));
        }
        let point = SeriesPoint {
            id: row.get(1)?,
            indicator_code: indicators.get(row.text(2)?),
            year: row.get(3)?,
            value: row.get(4)?,
        };
        if let Some((_, points)) = groups.last_mut() {
            points.push(point);
        }
        Ok(())
    })?;
    Ok(groups)
}

/// Indicator codes allocated once each, not once per row: a series read on large data holds
/// hundreds of thousands of points of a handful of indicators.
#[derive(Default)]
struct Interned(Vec<std::sync::Arc<str>>);

impl Interned {
    fn get(&mut self, code: &str) -> std::sync::Arc<str> {
        if let Some(known) = self.0.iter().find(|known| &***known == code) {
            return known.clone();
        }
        let new: std::sync::Arc<str> = code.into();
        self.0.push(new.clone());
        new
    }
}

/// Which cities a target's evaluations or a ranking cover.
#[derive(Debug, Clone, Default)]
pub struct CityScope {
    /// Only cities of this province (6-digit code).
    pub province_code: Option<String>,
    /// Only cities whose province lies in this region.
    pub region: Option<Region>,
    /// Only cities with one of these memberships.
    pub memberships: Vec<Membership>,
    /// Only cities matching this filter, as a city list's (relation filters included).
    pub filter: Option<Filter>,
}

impl CityScope {
    /// The scope as a condition on `cities c` joined to `provinces p`, with its parameters.
    fn condition(&self) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
        let marks = vec!["?"; self.memberships.len()].join(", ");
        let mut sql = format!("c.membership IN ({marks})");
        let mut params: Vec<Value> =
            self.memberships.iter().map(|m| Value::Text(m.as_str().into())).collect();
        if let Some(code) = &self.province_code {
            sql.push_str(" AND c.province_code = ?");
            params.push(Value::Text(code.clone()));
        }
        if let Some(region) = self.region {
            sql.push_str(" AND p.region = ?");
            params.push(Value::Text(region.as_str().into()));
        }
        if let Some(filter) = &self.filter {
            // Rendered on the plain table, as a list's filter is: the statement's own joins
            // (observations beside cities) share column names with it.
            let condition = list::filter_sql(filter, Row::of("cities"), &mut params);
            sql.push_str(&format!(
                " AND c.admin_code IN (SELECT cities.admin_code FROM cities WHERE {condition})"
            ));
        }
        (sql, params)
    }
}

/// One city of a scope with its points of some indicators, in no particular order (empty when
/// it has none).
pub struct CityPoints<'a> {
    pub admin_code: &'a str,
    pub name_en: &'a str,
    /// What the city's facets count: its province, region, tier, membership and grade.
    pub facets: &'a CityFacets,
    pub points: &'a [SeriesPoint],
}

/// A city's values of the fields lists are faceted by, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityFacets {
    pub province_code: String,
    pub region: String,
    pub tier: String,
    pub membership: String,
    pub evidence: Option<String>,
}

/// Hands `each` every city in `scope`, in admin-code order, with its points of `indicators`
/// (a target's, and the inputs of its derivation), as they are read: one statement, and one
/// city's points held at a time however many cities the scope has (a target's evaluations
/// judge every city before sorting and paging).
pub fn each_city_series(
    conn: &Conn<'_>,
    scope: &CityScope,
    indicators: &[&str],
    mut each: impl FnMut(CityPoints<'_>),
) -> Result<(), DbError> {
    let (condition, condition_params) = scope.condition();
    let codes = indicators.iter().map(|code| rusqlite::types::Value::Text(code.to_string()));
    let mut params: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(list::array(codes))];
    params.extend(condition_params.into_iter().map(|v| Box::new(v) as Box<dyn rusqlite::ToSql>));
    // Joined through `subject_key` so each city's points come from the covering
    // `observations_series` index; joined on `city_code`, SQLite read every observation of the
    // indicator from the table (0.9 s against 0.16 s on 18,000 cities). LEFT: a city without
    // observations is still judged (INSUFFICIENT_DATA).
    let sql = format!(
        "SELECT c.admin_code, c.name_en, o.id, o.indicator_code, o.year, o.value,
                c.province_code, p.region, c.tier, c.membership, c.evidence FROM cities c
         JOIN provinces p ON p.code = c.province_code
         LEFT JOIN observations o ON o.subject_key = 'CITY:' || c.admin_code
           AND o.indicator_code IN rarray(?)
         WHERE {condition} ORDER BY c.admin_code"
    );
    let (mut code, mut name, mut points) = (String::new(), String::new(), Vec::new());
    let mut facets = CityFacets::default();
    let mut interned = Interned::default();
    conn.rows(&sql, rusqlite::params_from_iter(&params), |row| {
        let next = row.text(0)?;
        if next != code {
            if !code.is_empty() {
                each(CityPoints { admin_code: &code, name_en: &name, facets: &facets, points: &points });
            }
            (code, name) = (next.to_string(), row.text(1)?.to_string());
            facets = CityFacets {
                province_code: row.get(6)?,
                region: row.get(7)?,
                tier: row.get(8)?,
                membership: row.get(9)?,
                evidence: row.get(10)?,
            };
            points.clear();
        }
        if let Some(id) = row.get::<_, Option<i64>>(2)? {
            let indicator_code = interned.get(row.text(3)?);
            points.push(SeriesPoint { id, indicator_code, year: row.get(4)?, value: row.get(5)? });
        }
        Ok(())
    })?;
    if !code.is_empty() {
        each(CityPoints { admin_code: &code, name_en: &name, facets: &facets, points: &points });
    }
    Ok(())
}

/// Observations of `indicator` in `year` for the cities in `scope`: what a ranking ranks.
pub fn city_values(
    conn: &Conn<'_>,
    scope: &CityScope,
    indicator: &str,
    year: i32,
) -> Result<Vec<Observation>, DbError> {
    let (condition, mut params) = scope.condition();
    params.push(rusqlite::types::Value::Text(indicator.to_string()));
    params.push(rusqlite::types::Value::Integer(i64::from(year)));
    conn.rows(
        &format!(
            "SELECT o.* FROM observation_rows o JOIN cities c ON c.admin_code = o.city_code
             JOIN provinces p ON p.code = c.province_code
             WHERE {condition} AND o.indicator_code = ? AND o.year = ? ORDER BY o.city_code"
        ),
        rusqlite::params_from_iter(&params),
        observation,
    )
}

/// The points a roll-up combines: for each province in `provinces` (or, with `None`, for the
/// plan area, grouped as `""`), every city with one of `memberships`, with its points of
/// `indicators` in `year` (none when it has none). One statement for all of them.
pub fn rollup_points(
    conn: &Conn<'_>,
    provinces: Option<&[String]>,
    memberships: &[Membership],
    indicators: &[String],
    year: i32,
) -> Result<Vec<(String, String, Vec<SeriesPoint>)>, DbError> {
    use rusqlite::types::Value;
    let text = |values: &mut dyn Iterator<Item = String>| list::array(values.map(Value::Text));
    let mut params: Vec<Box<dyn rusqlite::ToSql>> = vec![
        Box::new(text(&mut indicators.iter().cloned())),
        Box::new(year),
        Box::new(text(&mut memberships.iter().map(|m| m.as_str().to_string()))),
    ];
    let (group, condition) = match provinces {
        Some(codes) => {
            params.push(Box::new(text(&mut codes.iter().cloned())));
            ("c.province_code", "AND c.province_code IN rarray(?)")
        }
        None => ("''", ""),
    };
    let sql = format!(
        "SELECT {group} AS _group, c.admin_code, o.id, o.indicator_code, o.value FROM cities c
         LEFT JOIN observations o ON o.subject_key = 'CITY:' || c.admin_code
           AND o.indicator_code IN rarray(?) AND o.year = ?
         WHERE c.membership IN rarray(?) {condition} ORDER BY _group, c.admin_code"
    );
    let mut out: Vec<(String, String, Vec<SeriesPoint>)> = Vec::new();
    let mut interned = Interned::default();
    conn.rows(&sql, rusqlite::params_from_iter(&params), |row| {
        let (group, city) = (row.text(0)?, row.text(1)?);
        if out.last().is_none_or(|(g, c, _)| g != group || c != city) {
            out.push((group.to_string(), city.to_string(), Vec::new()));
        }
        if let (Some(id), Some((_, _, points))) = (row.get::<_, Option<i64>>(2)?, out.last_mut()) {
            let indicator_code = interned.get(row.text(3)?);
            points.push(SeriesPoint { id, indicator_code, year, value: row.get(4)? });
        }
        Ok(())
    })?;
    Ok(out)
}
