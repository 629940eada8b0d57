//! Reference tables: provinces, cities, their sources, indicators and targets. Each entity has
//! its row mapping, a batched read by key, a batched list (see [`super::list`]) and, for the
//! places, a lookup by any identifier a person would type.

use std::collections::HashMap;
use std::rc::Rc;

use rusqlite::types::Value;

use super::list::{self, Listed, Table, array, by_keys, optional_stored, stored};
use super::{Conn, DbError, Record};
use crate::domain::derivation::Derivation;
use crate::domain::query::ListQuery;
use crate::domain::{
    City, CityFacet, CitySource, CityTier, Completeness, EvidenceGrade, Indicator, Membership, Origin,
    Province, ProvinceCoverage, ProvinceKind, Region, Source, Target, parse_direction, parse_target_kind,
};

pub const PROVINCES: Table = Table {
    name: "provinces",
    base: "provinces",
    key: "code",
    columns: &["code", "name_en", "name_zh", "iso_code", "kind", "region"],
    texts: &["name_en", "name_zh", "iso_code"],
    joined: &[],
};
pub const CITIES: Table = Table {
    name: "cities",
    base: "cities",
    key: "admin_code",
    columns: &[
        "admin_code",
        "name_en",
        "name_zh",
        "province_code",
        "tier",
        "latitude",
        "longitude",
        "membership",
        "synthetic",
        "origin",
        "evidence",
    ],
    texts: &["name_en", "name_zh", "province_code"],
    joined: &[],
};
/// Indicators with how each is derived where it is not published.
pub const INDICATORS: Table = Table {
    name: "(SELECT i.*, d.numerator, d.denominator, d.scale, d.note AS derivation_note
            FROM indicators i LEFT JOIN indicator_derivations d ON d.indicator_code = i.code)",
    base: "indicators",
    key: "code",
    columns: &[],
    texts: &[],
    joined: &[],
};
/// Targets with their source address, and how their indicator is derived where it is not
/// published.
pub const TARGETS: Table = Table {
    name: "(SELECT t.*, s.url AS source_url, d.numerator, d.denominator, d.scale, d.note AS derivation_note
            FROM targets t JOIN sources s ON s.id = t.source_id
            LEFT JOIN indicator_derivations d ON d.indicator_code = t.indicator_code)",
    base: "targets",
    key: "code",
    columns: &[],
    texts: &[],
    joined: &[],
};

/// A Chinese name is also found without its administrative suffix (安徽 → 安徽省).
pub const ZH_SUFFIXES: [&str; 6] = ["市", "省", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区"];

/// The Chinese names `text` may stand for: itself, and itself with each suffix.
fn zh_names(text: &str) -> Rc<Vec<Value>> {
    let suffixed = ZH_SUFFIXES.iter().map(|suffix| Value::Text(format!("{text}{suffix}")));
    array(std::iter::once(Value::Text(text.to_string())).chain(suffixed))
}

fn province(row: &Record<'_, '_>) -> rusqlite::Result<Province> {
    Ok(Province {
        code: row.get("code")?,
        name_en: row.text_or_empty("name_en")?,
        name_zh: row.text_or_empty("name_zh")?,
        iso_code: row.text_or_empty("iso_code")?,
        kind: stored(row, "kind", ProvinceKind::parse)?,
        region: stored(row, "region", Region::parse)?,
    })
}

/// Maps a `cities` row.
pub fn city(row: &Record<'_, '_>) -> rusqlite::Result<City> {
    Ok(City {
        admin_code: row.get("admin_code")?,
        name_en: row.text_or_empty("name_en")?,
        name_zh: row.text_or_empty("name_zh")?,
        province_code: row.text_or_empty("province_code")?,
        tier: stored(row, "tier", CityTier::parse)?,
        latitude: row.get("latitude")?,
        longitude: row.get("longitude")?,
        membership: stored(row, "membership", Membership::parse)?,
        evidence: optional_stored(row, "evidence", EvidenceGrade::parse)?,
        origin: stored(row, "origin", Origin::parse)?,
        synthetic: row.get("synthetic")?,
    })
}

/// Grades every real entry from its sources: its strongest grade, and CONFIRMED exactly when
/// that grade confirms (domain `EvidenceGrade::confirms`). Run after any change to entries or
/// their sources, in the same transaction.
pub const GRADE_ENTRIES: &str = "UPDATE cities SET (evidence, membership) = (
        SELECT best, CASE WHEN best IN ('NAMES_PLAN', 'NATIONAL_DESIGNATION') THEN 'CONFIRMED'
                          ELSE 'CANDIDATE' END
        FROM (SELECT CASE min(CASE evidence WHEN 'NAMES_PLAN' THEN 0
                                            WHEN 'NATIONAL_DESIGNATION' THEN 1 ELSE 2 END)
                       WHEN 0 THEN 'NAMES_PLAN' WHEN 1 THEN 'NATIONAL_DESIGNATION'
                       WHEN 2 THEN 'INDIRECT' END AS best
              FROM city_sources WHERE city_code = cities.admin_code))
    WHERE synthetic = 0";

fn indicator(row: &Record<'_, '_>) -> rusqlite::Result<Indicator> {
    Ok(Indicator {
        code: row.get("code")?,
        name_en: row.get("name_en")?,
        name_zh: row.get("name_zh")?,
        unit: row.get("unit")?,
        direction: stored(row, "direction", parse_direction)?,
        aggregation: row.get("aggregation")?,
        description: row.get("description")?,
        min_value: row.get("min_value")?,
        max_value: row.get("max_value")?,
        derivation: derivation(row, "code")?,
    })
}

/// The derivation joined to an indicator's or a target's row, if its indicator has one.
fn derivation(row: &Record<'_, '_>, indicator: &str) -> rusqlite::Result<Option<Derivation>> {
    let Some(numerator) = row.get::<_, Option<String>>("numerator")? else { return Ok(None) };
    Ok(Some(Derivation {
        indicator: row.get(indicator)?,
        numerator,
        denominator: row.get("denominator")?,
        scale: row.get("scale")?,
        why: row.get("derivation_note")?,
    }))
}

fn target(row: &Record<'_, '_>) -> rusqlite::Result<Target> {
    Ok(Target {
        code: row.get("code")?,
        indicator_code: row.get("indicator_code")?,
        name_en: row.get("name_en")?,
        unit: row.get("unit")?,
        kind: stored(row, "kind", parse_target_kind)?,
        direction: stored(row, "direction", parse_direction)?,
        baseline_year: row.get("baseline_year")?,
        baseline_value: row.get("baseline_value")?,
        target_year: row.get("target_year")?,
        target_value: row.get("target_value")?,
        target_change: row.get("target_change")?,
        scope: row.get("scope")?,
        caveats: row.get("caveats")?,
        source_url: row.get("source_url")?,
        derivation: derivation(row, "indicator_code")?,
    })
}

/// Provinces by code.
pub fn provinces_by_code(conn: &Conn<'_>, codes: &[String]) -> Result<Vec<(String, Province)>, DbError> {
    by_keys(conn, PROVINCES.name, "code", codes, province)
}

/// Cities by admin code.
pub fn cities_by_code(conn: &Conn<'_>, codes: &[String]) -> Result<Vec<(String, City)>, DbError> {
    by_keys(conn, CITIES.name, "admin_code", codes, city)
}

/// Indicators by code.
pub fn indicators_by_code(conn: &Conn<'_>, codes: &[String]) -> Result<Vec<(String, Indicator)>, DbError> {
    by_keys(conn, INDICATORS.name, "code", codes, indicator)
}

/// Targets by code.
pub fn targets_by_code(conn: &Conn<'_>, codes: &[String]) -> Result<Vec<(String, Target)>, DbError> {
    by_keys(conn, TARGETS.name, "code", codes, target)
}

/// A page of provinces (no parent: provinces belong to the plan).
pub fn list_provinces(conn: &Conn<'_>, query: &ListQuery) -> Result<Listed<Province>, DbError> {
    Ok(list::list(conn, &PROVINCES, None, query, province)?.remove("").unwrap_or_default())
}

/// A page of cities for each province in `provinces`, or of all cities with `None`.
pub fn list_cities(
    conn: &Conn<'_>,
    provinces: Option<&[String]>,
    query: &ListQuery,
) -> Result<HashMap<String, Listed<City>>, DbError> {
    list::list(conn, &CITIES, provinces.map(|p| ("province_code", p)), query, city)
}

/// A page of indicators.
pub fn list_indicators(conn: &Conn<'_>, query: &ListQuery) -> Result<Listed<Indicator>, DbError> {
    Ok(list::list(conn, &INDICATORS, None, query, indicator)?.remove("").unwrap_or_default())
}

/// A page of targets for each indicator in `indicators`, or of all targets with `None`.
pub fn list_targets(
    conn: &Conn<'_>,
    indicators: Option<&[String]>,
    query: &ListQuery,
) -> Result<HashMap<String, Listed<Target>>, DbError> {
    list::list(conn, &TARGETS, indicators.map(|i| ("indicator_code", i)), query, target)
}

/// The province a person means by `text`: its code, ISO code, English or Chinese name.
pub fn find_province(conn: &Conn<'_>, text: &str) -> Result<Option<Province>, DbError> {
    let sql = "SELECT * FROM provinces WHERE code = ?1 OR lower(iso_code) = lower(?1)
           OR lower(name_en) = lower(?1) OR name_zh IN rarray(?2)
         ORDER BY code = ?1 DESC, code LIMIT 1";
    Ok(conn.rows(sql, (text, zh_names(text)), province)?.into_iter().next())
}

/// The city a person means by `text`: its admin code, English or Chinese name. An exact code
/// wins over a name, then a confirmed city over a candidate, then the lower code.
pub fn find_city(conn: &Conn<'_>, text: &str) -> Result<Option<City>, DbError> {
    // Three searches, each on its own index: as one OR, SQLite without statistics scans the
    // table instead, which grows with the cities. The few matches are ranked here: an ORDER
    // BY, or an IN list, would cost SQLite a temporary b-tree each, opened and closed on every
    // lookup (`benches/execute.rs`, lookup).
    let sql = "SELECT *, 0 AS inexact FROM cities WHERE admin_code = ?1
         UNION ALL SELECT *, 1 FROM cities WHERE name_en = ?1 COLLATE NOCASE
         UNION ALL SELECT c.*, 1 FROM rarray(?2) r CROSS JOIN cities c ON c.name_zh = r.value";
    let mut found =
        conn.rows(sql, (text, zh_names(text)), |row| Ok((row.get::<_, bool>("inexact")?, city(row)?)))?;
    if found.is_empty() {
        // "Harbin" for "Harbin (district not known)": an English name before its note, asked for
        // only when nothing matched, so a lookup that finds its city costs one statement.
        let escaped: String = text
            .chars()
            .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
            .collect();
        // The best match only, ranked as below: a prefix may be shared by many entries.
        let noted = "SELECT *, 1 AS inexact FROM cities WHERE name_en LIKE ?1 ESCAPE '\\'
             ORDER BY membership <> 'CONFIRMED', admin_code LIMIT 1";
        found = conn.rows(noted, [format!("{escaped} (%")], |row| Ok((true, city(row)?)))?;
    }
    let rank = |(inexact, city): &(bool, City)| (*inexact, city.membership != Membership::Confirmed);
    let best = found
        .into_iter()
        .min_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.1.admin_code.cmp(&b.1.admin_code)));
    Ok(best.map(|(_, city)| city))
}

/// Each city's cited sources, read by `city_code`.
pub(super) const CITY_SOURCES: &str = "(SELECT cs.city_code, cs.note, cs.evidence, cs.origin, s.id, s.url,
          s.description FROM city_sources cs JOIN sources s ON s.id = cs.source_id)";

/// The sources cited for each city in `codes`, strongest grade first.
pub fn city_sources(conn: &Conn<'_>, codes: &[String]) -> Result<Vec<(String, CitySource)>, DbError> {
    let mut rows = by_keys(conn, CITY_SOURCES, "city_code", codes, |row| {
        Ok(CitySource {
            city_code: row.get("city_code")?,
            note: row.get("note")?,
            evidence: stored(row, "evidence", EvidenceGrade::parse)?,
            origin: stored(row, "origin", Origin::parse)?,
            source: Source { id: row.get("id")?, url: row.get("url")?, description: row.get("description")? },
        })
    })?;
    rows.sort_by_key(|(_, s)| (s.evidence as u8, s.source.id));
    Ok(rows)
}

/// How much of each province's set of entries is known, for the provinces in `codes` that have
/// a confirmed entry.
pub fn coverage(conn: &Conn<'_>, codes: &[String]) -> Result<Vec<(String, ProvinceCoverage)>, DbError> {
    by_keys(conn, "province_coverage", "province_code", codes, |row| {
        Ok(ProvinceCoverage {
            province_code: row.get("province_code")?,
            entries_known: row.get("entries_known")?,
            set_complete: stored(row, "set_complete", Completeness::parse)?,
            why: row.get("why")?,
        })
    })
}

/// Every target, in code order (six in the seed).
pub fn all_targets(conn: &Conn<'_>) -> Result<Vec<Target>, DbError> {
    conn.rows(&format!("SELECT * FROM {} ORDER BY code", TARGETS.name), [], target)
}

/// How many entries matching `query` have each value of `facet`, for each province in
/// `provinces` (or, with `None`, for the whole list, keyed `""`); values as stored.
pub fn city_facet(
    conn: &Conn<'_>,
    provinces: Option<&[String]>,
    query: &ListQuery,
    facet: CityFacet,
) -> Result<super::facets::FacetCounts, DbError> {
    let value = match facet {
        CityFacet::Province => "province_code",
        CityFacet::Region => "(SELECT p.region FROM provinces p WHERE p.code = cities.province_code)",
        CityFacet::Tier => "tier",
        CityFacet::Membership => "membership",
        CityFacet::Evidence => "evidence",
    };
    super::facets::counts(conn, &CITIES, provinces.map(|p| ("province_code", p)), query, value)
}
