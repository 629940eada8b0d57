//! Plan coverage, lookups by every identifier, nested round trips and global IDs.

use serde_json::{Value, json};

use crate::common::{read_csv, seed_cities};
use crate::in_process::Server;

#[tokio::test]
async fn plan_reports_declared_beside_confirmed_and_candidate_counts() {
    let server = Server::start();
    let data = server
        .data(
            "{ plan { declaredCityCount declaredPrefectureLevelCount declaredDistrictCount
                      declaredProvinceCount confirmedCityCount candidateCityCount unknownCityCount
                      documentNumber approvalNumber issuedOn announcedOn
                      officialPeriod { startYear endYear } reportedPeriod { startYear endYear }
                      milestones { year } strategicIndustries { nameEn } } }",
            json!({}),
        )
        .await;
    let plan = &data["plan"];
    let (confirmed, candidates) = seed_cities();
    assert_eq!(plan["declaredCityCount"], 120);
    assert_eq!(plan["declaredPrefectureLevelCount"], 95);
    assert_eq!(plan["declaredDistrictCount"], 25);
    assert_eq!(plan["declaredProvinceCount"], 27);
    assert_eq!(plan["confirmedCityCount"], confirmed.len());
    assert_eq!(plan["candidateCityCount"], candidates.len());
    assert_eq!(plan["unknownCityCount"], 120 - confirmed.len() - candidates.len());
    assert_eq!(plan["documentNumber"], "发改东北〔2013〕543号");
    assert_eq!(plan["approvalNumber"], "国函〔2013〕46号");
    assert_eq!(plan["issuedOn"], "2013-03-18");
    assert_eq!(plan["announcedOn"], "2013-04-02");
    assert_eq!(plan["officialPeriod"], json!({ "startYear": 2013, "endYear": 2022 }));
    assert_eq!(plan["reportedPeriod"], json!({ "startYear": 2013, "endYear": 2020 }));
    let years: Vec<i64> =
        plan["milestones"].as_array().unwrap().iter().map(|m| m["year"].as_i64().unwrap()).collect();
    assert_eq!(years, [2003, 2010, 2013, 2017, 2022]);
    assert_eq!(plan["strategicIndustries"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn cities_are_found_by_code_english_and_chinese_name() {
    let server = Server::start();
    let (confirmed, candidates) = seed_cities();
    for city in confirmed.iter().chain(&candidates) {
        let short_zh = city.name_zh.strip_suffix('市').unwrap_or(&city.name_zh).to_string();
        let forms = [city.admin_code.clone(), city.name_en.to_uppercase(), city.name_zh.clone(), short_zh];
        for form in forms {
            let data = server
                .data("query($c: String!) { city(code: $c) { adminCode } }", json!({ "c": form }))
                .await;
            assert_eq!(data["city"]["adminCode"], city.admin_code.as_str(), "looking up {form:?}");
        }
    }
}

#[tokio::test]
async fn provinces_are_found_by_code_iso_english_and_chinese_name() {
    #[derive(serde::Deserialize)]
    struct Row {
        code: String,
        name_en: String,
        name_zh: String,
        iso_3166_2: String,
    }
    let server = Server::start();
    for p in read_csv::<Row>("provinces.csv") {
        let short_zh = p.name_zh.trim_end_matches(['省', '市']).to_string();
        let forms = [
            p.code.clone(),
            p.iso_3166_2.to_lowercase(),
            p.name_en.to_lowercase(),
            p.name_zh.clone(),
            short_zh,
        ];
        for form in forms {
            let data =
                server.data("query($c: String!) { province(code: $c) { code } }", json!({ "c": form })).await;
            assert_eq!(data["province"]["code"], p.code.as_str(), "looking up {form:?}");
        }
    }
}

#[tokio::test]
async fn unknown_codes_are_null_not_errors() {
    let server = Server::start();
    let data = server
        .data(r#"{ city(code: "999999") { adminCode } province(code: "Atlantis") { code } indicator(code: "x") { code } }"#, json!({}))
        .await;
    assert_eq!(data, json!({ "city": null, "province": null, "indicator": null }));
}

#[tokio::test]
async fn nested_round_trip_province_cities_province() {
    let server = Server::start();
    let data = server
        .data(
            "{ provinces(first: 31) { nodes { code cities(membership: [CONFIRMED, CANDIDATE]) {
                 totalCount nodes { adminCode province { code cities(first: 1) { totalCount } } } } } } }",
            json!({}),
        )
        .await;
    let (confirmed, candidates) = seed_cities();
    let mut seen = 0;
    for province in data["provinces"]["nodes"].as_array().unwrap() {
        let code = province["code"].as_str().unwrap();
        let expected = confirmed.iter().chain(&candidates).filter(|c| c.province_code == code).count();
        assert_eq!(province["cities"]["totalCount"], expected, "province {code}");
        for city in province["cities"]["nodes"].as_array().unwrap() {
            assert_eq!(city["province"]["code"], code);
            seen += 1;
        }
    }
    assert_eq!(seen, confirmed.len() + candidates.len());
}

#[tokio::test]
async fn nested_levels_cost_a_fixed_number_of_statements_whatever_the_fan_out() {
    let server = Server::start();
    // Page sizes cover every row of the seed (at most 9 entries per province, 6 observations
    // per city).
    let query = "query($n: Int!) { provinces(first: $n) { nodes { cities(membership: [CONFIRMED, CANDIDATE], first: 10) {
                   nodes { province { code } sources { url } observations(first: 10) {
                     nodes { indicator { code targets(first: 5) { totalCount } } } } } } } } }";
    let statements = |body: &Value| body["extensions"]["sqlStatements"].as_u64().unwrap();
    let (_, one) = server.post(query, json!({ "n": 1 })).await;
    let (_, all) = server.post(query, json!({ "n": 31 })).await;
    assert!(one.get("errors").is_none() && all.get("errors").is_none(), "{one} {all}");
    // provinces, cities, province, sources, observations, indicator, targets: 7 levels; the
    // four lists cost two statements each (number the rows narrow, read the page), the three
    // relations one: 11.
    assert_eq!(statements(&all), 11, "{all}");
    assert!(statements(&one) <= statements(&all));
    assert!(all["extensions"]["elapsedMs"].as_f64().is_some());
}

#[tokio::test]
async fn global_ids_fetch_their_objects_again() {
    let server = Server::start();
    let data = server
        .data(
            r#"{ plan { id } city(code: "340300") { id observations(first: 1) { nodes { id } } }
                 province(code: "340000") { id } indicator(code: "gdp") { id } target(code: "services_share_2017") { id } }"#,
            json!({}),
        )
        .await;
    let ids = [
        data["plan"]["id"].clone(),
        data["city"]["id"].clone(),
        data["city"]["observations"]["nodes"][0]["id"].clone(),
        data["province"]["id"].clone(),
        data["indicator"]["id"].clone(),
        data["target"]["id"].clone(),
    ];
    let found = server
        .data("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": ids }))
        .await;
    let types: Vec<&str> =
        found["nodes"].as_array().unwrap().iter().map(|n| n["__typename"].as_str().unwrap()).collect();
    assert_eq!(types, ["Plan", "City", "Observation", "Province", "Indicator", "Target"]);
    for (node, id) in found["nodes"].as_array().unwrap().iter().zip(&ids) {
        assert_eq!(&node["id"], id);
    }
}
