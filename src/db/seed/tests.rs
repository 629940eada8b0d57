//! The refresh rules on inline fixtures, as crates.io tests its category seed: rows that left
//! the seed are deleted, users' rows survive, and a seed whose files disagree is refused with
//! nothing written; and the real embedded seed applies twice over.

use rusqlite::Connection;

use super::*;

/// A database at the current schema, with the embedded seed applied.
fn seeded() -> Connection {
    let mut connection = Connection::open_in_memory().expect("a database");
    connection.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    super::super::migrate::run(&mut connection).expect("migrated");
    apply(&mut connection).expect("the embedded seed applies");
    connection
}

fn count(connection: &Connection, sql: &str) -> i64 {
    connection.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The embedded provinces file without Hainan's row (no entry refers to it).
fn provinces_without_hainan() -> String {
    EMBEDDED.provinces.lines().filter(|l| !l.starts_with("460000,")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_real_seed_applies_twice_with_the_same_rows() {
    let mut connection = seeded();
    let tables = ["provinces", "cities", "city_sources", "indicators", "targets", "observations"];
    let before: Vec<i64> =
        tables.iter().map(|t| count(&connection, &format!("SELECT count(*) FROM {t}"))).collect();
    apply(&mut connection).expect("a second refresh");
    let after: Vec<i64> =
        tables.iter().map(|t| count(&connection, &format!("SELECT count(*) FROM {t}"))).collect();
    assert_eq!(before, after);
    assert_eq!(count(&connection, "SELECT count(*) FROM observations WHERE origin = 'SEED'"), 43);
}

#[test]
fn a_row_that_left_the_seed_is_deleted() {
    let mut connection = seeded();
    assert_eq!(count(&connection, "SELECT count(*) FROM provinces"), 31);
    let provinces = provinces_without_hainan();
    let seed = Seed { provinces: Box::leak(provinces.into_boxed_str()), ..EMBEDDED };
    apply_seed(&mut connection, &seed).expect("the refresh");
    assert_eq!(count(&connection, "SELECT count(*) FROM provinces"), 30);
    assert_eq!(count(&connection, "SELECT count(*) FROM provinces WHERE code = '460000'"), 0);
}

#[test]
fn a_users_observation_survives_a_refresh() {
    let mut connection = seeded();
    connection
        .execute_batch(
            "INSERT INTO sources (url) VALUES ('test: a made-up value');
             INSERT INTO observations (subject_kind, city_code, subject_key, indicator_code, year, value, unit,
                                       definition, source_id, source_note, origin, recorded_version, recorded_by,
                                       source_grade)
             SELECT 'CITY', '230200', 'CITY:230200', 'gdp', 2016, 1.0, '', '', id, '', 'USER', 1, 'API', 'SECONDARY'
             FROM sources WHERE url = 'test: a made-up value';",
        )
        .unwrap();
    apply(&mut connection).expect("a refresh");
    assert_eq!(count(&connection, "SELECT count(*) FROM observations WHERE origin = 'USER'"), 1);
}

#[test]
fn a_candidate_a_confirming_source_names_is_refused_and_nothing_is_written() {
    let mut connection = seeded();
    // Tangshan is a candidate; a NAMES_PLAN source for it contradicts the candidate file.
    let sources = format!(
        "{}130200,NAMES_PLAN,https://example.org/a-made-up-source,a test's contradiction\n",
        EMBEDDED.city_sources
    );
    let provinces = provinces_without_hainan();
    let seed = Seed {
        city_sources: Box::leak(sources.into_boxed_str()),
        provinces: Box::leak(provinces.into_boxed_str()),
        ..EMBEDDED
    };
    let refused = apply_seed(&mut connection, &seed);
    assert!(matches!(&refused, Err(DbError::Seed(why)) if why.contains("130200")), "{refused:?}");
    assert_eq!(
        count(&connection, "SELECT count(*) FROM provinces"),
        31,
        "all or nothing: Hainan is still there"
    );
}
