//! What is known of the plan's list: counts by membership, tier, grade and province against the
//! seed's files, graded sources, province coverage, an entry whose district is unknown, and an
//! older database migrated in place without losing a user's observation.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::{SeedCity, Server, read_csv, seed_cities};
use crate::in_process;

#[derive(serde::Deserialize)]
struct SeedSource {
    admin_code: String,
    evidence: String,
}

#[derive(serde::Deserialize)]
struct SeedCoverage {
    province_code: String,
    entries_known: usize,
    set_complete: String,
}

const COUNTS: &str = "{ plan { confirmedCityCount candidateCityCount
    countsByTier { tier declared confirmed candidate } countsByEvidence { evidence entries sources } } }";

/// Entries per key of `key`, from a seed city file.
fn per<F: Fn(&SeedCity) -> String>(cities: &[SeedCity], key: F) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for city in cities {
        *counts.entry(key(city)).or_default() += 1;
    }
    counts
}

/// The plan's counts must equal what the seed's files hold, on a fresh file and after two more
/// starts (a re-seed duplicates nothing).
#[tokio::test]
async fn counts_by_membership_tier_and_grade_match_the_seed_files() {
    let (confirmed, candidates) = seed_cities();
    let sources: Vec<SeedSource> = read_csv("city_sources.csv");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plan.db");
    for _start in 0..3 {
        let server = Server::start_on(&db, &[]);
        let plan = server.data(COUNTS, json!({})).await["plan"].clone();
        assert_eq!(plan["confirmedCityCount"], confirmed.len());
        assert_eq!(plan["candidateCityCount"], candidates.len());
        let (tiers_confirmed, tiers_candidate) =
            (per(&confirmed, |c| c.tier.to_uppercase()), per(&candidates, |c| c.tier.to_uppercase()));
        for row in plan["countsByTier"].as_array().unwrap() {
            let tier = row["tier"].as_str().unwrap();
            assert_eq!(row["confirmed"], tiers_confirmed.get(tier).copied().unwrap_or(0), "{tier}");
            assert_eq!(row["candidate"], tiers_candidate.get(tier).copied().unwrap_or(0), "{tier}");
            let declared = if tier == "PREFECTURE_LEVEL" { json!(95) } else { Value::Null };
            assert_eq!(row["declared"], declared, "{tier}");
        }
        // Entries by their strongest grade; every candidate has one INDIRECT source.
        let grades = |grade: &str| sources.iter().filter(|s| s.evidence == grade).count();
        // Alphabetical order happens to be strength order: NAMES_PLAN < NATIONAL_DESIGNATION.
        let best =
            |code: &str| sources.iter().filter(|s| s.admin_code == code).map(|s| s.evidence.clone()).min();
        let strongest =
            |grade: &str| confirmed.iter().filter(|c| best(&c.admin_code).as_deref() == Some(grade)).count();
        let expected = json!([
            { "evidence": "NAMES_PLAN", "entries": strongest("NAMES_PLAN"), "sources": grades("NAMES_PLAN") },
            { "evidence": "NATIONAL_DESIGNATION", "entries": strongest("NATIONAL_DESIGNATION"),
              "sources": grades("NATIONAL_DESIGNATION") },
            { "evidence": "INDIRECT", "entries": candidates.len(), "sources": candidates.len() },
        ]);
        assert_eq!(plan["countsByEvidence"], expected);
        assert_eq!(strongest("NATIONAL_DESIGNATION"), 9, "the nine Henan entries");
        server.stop();
    }
}

#[tokio::test]
async fn each_province_lists_its_entries_and_says_how_complete_they_are() {
    let server = in_process::Server::start();
    let (confirmed, _) = seed_cities();
    let coverage: Vec<SeedCoverage> = read_csv("province_coverage.csv");
    let data = server
        .data(
            "{ provinces(first: 31) { nodes { code cities { totalCount } coverage { entriesKnown setComplete why } } } }",
            json!({}),
        )
        .await;
    let by_province = per(&confirmed, |c| c.province_code.clone());
    for province in data["provinces"]["nodes"].as_array().unwrap() {
        let code = province["code"].as_str().unwrap();
        let known = by_province.get(code).copied().unwrap_or(0);
        assert_eq!(province["cities"]["totalCount"], known, "{code}");
        match coverage.iter().find(|c| c.province_code == code) {
            Some(row) => {
                assert_eq!(province["coverage"]["entriesKnown"], row.entries_known, "{code}");
                assert_eq!(row.entries_known, known, "{code}: the coverage file agrees with cities.csv");
                let expected = match row.set_complete.as_str() {
                    "yes" => "COMPLETE",
                    "probably" => "PROBABLY",
                    _ => "INCOMPLETE",
                };
                assert_eq!(province["coverage"]["setComplete"], expected, "{code}");
            }
            None => assert_eq!(province["coverage"], Value::Null, "{code}: nothing is known of its set"),
        }
    }
    let named = server
        .data(
            "{ hubei: province(code: \"Hubei\") { coverage { setComplete why } }
               hebei: province(code: \"河北\") { coverage { setComplete entriesKnown } } }",
            json!({}),
        )
        .await;
    assert_eq!(named["hubei"]["coverage"]["setComplete"], "COMPLETE");
    assert!(named["hubei"]["coverage"]["why"].as_str().unwrap().contains("鄂政发〔2013〕44号"));
    assert_eq!(named["hebei"]["coverage"], json!({ "setComplete": "INCOMPLETE", "entriesKnown": 1 }));
}

#[tokio::test]
async fn sources_carry_their_grade_and_lists_filter_by_it() {
    let server = in_process::Server::start();
    let data = server
        .data(
            "{ harbin: city(code: \"230100\") { nameEn entryKind membership evidence sources { evidence url origin } }
               bengbu: city(code: \"蚌埠\") { entryKind evidence sources { evidence } }
               district: city(code: \"340102\") { entryKind }
               lead: city(code: \"230110\") { membership evidence entryKind sources { evidence note } }
               henan: cities(filter: { evidence: { eq: NATIONAL_DESIGNATION } }) { totalCount nodes { province { code } } }
               leads: cities(membership: [CONFIRMED, CANDIDATE], filter: { evidence: { eq: INDIRECT } }) { totalCount } }",
            json!({}),
        )
        .await;
    let harbin = &data["harbin"];
    assert_eq!(harbin["entryKind"], "DISTRICT_NOT_KNOWN", "Harbin's entry is a district not yet identified");
    assert_eq!((&harbin["membership"], &harbin["evidence"]), (&json!("CONFIRMED"), &json!("NAMES_PLAN")));
    assert_eq!(harbin["sources"][0]["origin"], "SEED");
    assert!(harbin["sources"][0]["url"].as_str().unwrap().contains("cri.cn"));
    assert_eq!(data["bengbu"]["entryKind"], "PREFECTURE_CITY");
    assert_eq!(
        data["bengbu"]["sources"].as_array().unwrap().len(),
        3,
        "two Anhui publications and a 2013 item"
    );
    assert_eq!(data["district"]["entryKind"], "DISTRICT");
    let lead = &data["lead"];
    assert_eq!((&lead["membership"], &lead["evidence"]), (&json!("CANDIDATE"), &json!("INDIRECT")));
    assert_eq!(lead["entryKind"], "DISTRICT");
    assert_eq!(data["henan"]["totalCount"], 9);
    assert!(data["henan"]["nodes"].as_array().unwrap().iter().all(|n| n["province"]["code"] == "410000"));
    assert_eq!(data["leads"]["totalCount"], seed_cities().1.len());
}

/// A database written by the previous release (schema version 4, 18 confirmed entries and 37
/// candidates), with two user observations: one for Jinzhong while it was a candidate, one over
/// a seeded key. Started on the new binary, it is migrated in place: Jinzhong is confirmed
/// under the same code and both user values are still there, with no writer recorded and no
/// grade (the release that wrote them tracked neither: UNGRADED, not a grade made up for them).
#[tokio::test]
async fn an_older_database_is_migrated_in_place_and_keeps_user_observations() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v4.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v4.db"), &db).unwrap();
    let version = |db: &std::path::Path| {
        let connection = rusqlite::Connection::open(db).unwrap();
        connection.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    assert_eq!(version(&db), 4);
    let (confirmed, candidates) = seed_cities();
    for _start in 0..2 {
        let server = Server::start_on(&db, &[]);
        let data = server
            .data(
                "{ plan { confirmedCityCount candidateCityCount }
                   jinzhong: city(code: \"140700\") { membership evidence
                     observations(filter: { origin: { eq: USER } }) { nodes { indicator { code } year value origin recordedBy sourceGrade } } }
                   bengbu: city(code: \"340300\") { observations(filter: { year: { eq: 2017 } }) { nodes { indicator { code } value origin sourceGrade } } }
                   all: observations(filter: { origin: { eq: USER } }) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(data["plan"]["confirmedCityCount"], confirmed.len());
        assert_eq!(data["plan"]["candidateCityCount"], candidates.len());
        assert_eq!(data["jinzhong"]["membership"], "CONFIRMED", "upgraded under the same code");
        assert_eq!(data["jinzhong"]["evidence"], "NAMES_PLAN");
        assert_eq!(
            data["jinzhong"]["observations"]["nodes"],
            json!([{ "indicator": { "code": "new_jobs" }, "year": 2015, "value": 31000.0, "origin": "USER", "recordedBy": null,
                     "sourceGrade": "UNGRADED" }])
        );
        // The user's value never declared a grade and gets none; the seed's values of the
        // same year get the seed's.
        let bengbu: Vec<(&str, &Value, &str, &str)> = data["bengbu"]["observations"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let code = n["indicator"]["code"].as_str().unwrap();
                (code, &n["value"], n["origin"].as_str().unwrap(), n["sourceGrade"].as_str().unwrap())
            })
            .collect();
        assert!(bengbu.contains(&("services_share_gdp", &json!(42.8), "USER", "UNGRADED")), "{bengbu:?}");
        assert!(bengbu.contains(&("gdp", &json!(1550.66), "SEED", "BULLETIN")), "{bengbu:?}");
        assert_eq!(data["all"]["totalCount"], 2);
        server.stop();
    }
    assert!(version(&db) > 4);
}
