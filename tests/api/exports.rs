//! Views as files for spreadsheets and maps: CSV cells a spreadsheet would run as formulas
//! arrive as text (numbers stay numbers), XLSX and GeoJSON are chosen by `?format=` or
//! `Accept`, a view without coordinates is refused as a map, and a cell too long for a
//! spreadsheet is refused with its row and column. (`tests/exports/` reads the files back
//! with openpyxl and a GeoJSON library.)

use serde_json::{Value, json};

use crate::call::{Call, Reply};
use crate::common::first_code;
use crate::in_process::Server;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const TOKEN: &str = "exports-token";

async fn get(server: &Server, path: &str, accept: Option<&str>) -> Reply {
    let mut call = Call::get(path);
    if let Some(accept) = accept {
        call = call.header("accept", accept);
    }
    server.send(call).await
}

/// Records one value of Bengbu's year-on-year energy change (an indicator that may be
/// negative) with the given texts, and checks it was recorded.
async fn record(server: &Server, value: f64, source: &str, definition: &str, note: &str, unit: &str) {
    let mutation = "mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id } }";
    let input = json!([{ "subjectCode": "340300", "indicatorCode": "energy_intensity_yoy_change",
        "year": 2016, "value": value, "source": source, "sourceGrade": "SECONDARY", "definition": definition, "sourceNote": note,
        "unit": unit }]);
    let (status, body) = server.post_as(TOKEN, mutation, json!({ "i": input })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

const SERIES: &str = "/views/city-series?city=340300&indicator=energy_intensity_yoy_change";

#[tokio::test]
async fn csv_cells_that_a_spreadsheet_would_run_arrive_as_text_and_numbers_stay_numbers() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let source = "=HYPERLINK(\"http://evil.example\",\"click\")";
    record(&server, -3.5, source, "+1+2", "@SUM(A1:A9)", "-x").await;
    let text = get(&server, &format!("{SERIES}&format=csv"), None).await.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().map(Result::unwrap).find(|r| r.get(0) == Some("2016")).expect("the 2016 row");
    let cell = |name: &str| row.get(headers.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    assert_eq!(cell("value"), "-3.5", "a number is never quoted, negative or not");
    assert_eq!(cell("sourceUrl"), format!("'{source}"), "a formula is text");
    assert_eq!(cell("definition"), "'+1+2");
    assert_eq!(cell("sourceNote"), "'@SUM(A1:A9)");
    assert_eq!(cell("unit"), "'-x", "text that begins with a minus is text, not a number");
    // JSON and NDJSON carry the values as recorded.
    let ndjson = get(&server, &format!("{SERIES}&format=ndjson"), None).await.text();
    let line: Value = ndjson
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["year"] == 2016)
        .unwrap();
    assert_eq!((line["sourceUrl"].as_str(), line["value"].as_f64()), (Some(source), Some(-3.5)));
}

#[tokio::test]
async fn a_tab_or_carriage_return_first_is_guarded_too() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    // (The source is trimmed when recorded; the definition and note are kept as written.)
    record(&server, 1.25, "plain source", "\r=2+2", "\t=1+1", "% change on previous year").await;
    let text = get(&server, &format!("{SERIES}&format=csv"), None).await.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().map(Result::unwrap).find(|r| r.get(0) == Some("2016")).unwrap();
    let cell = |name: &str| row.get(headers.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    assert_eq!((cell("sourceNote"), cell("definition")), ("'\t=1+1".into(), "'\r=2+2".into()));
    assert_eq!((cell("sourceUrl"), cell("value")), ("plain source".into(), "1.25".into()));
}

#[tokio::test]
async fn xlsx_and_geojson_are_chosen_by_format_or_by_accept() {
    let server = Server::start();
    for (path, accept) in [("/views/coverage?format=xlsx", None), ("/views/coverage", Some(XLSX))] {
        let response = get(&server, path, accept).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], XLSX);
        assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"coverage.xlsx\"");
        assert!(response.headers().contains_key("etag"));
        let bytes = response.bytes();
        assert!(bytes.starts_with(b"PK\x03\x04"), "an .xlsx file is a zip archive");
    }
    let direct: Value = get(&server, "/views/coverage", None).await.json();
    let rows = direct["data"]["cities"]["nodes"].as_array().unwrap().clone();
    for (path, accept) in
        [("/views/coverage?format=geojson", None), ("/views/coverage", Some("application/geo+json"))]
    {
        let response = get(&server, path, accept).await;
        assert_eq!(response.headers()["content-type"], "application/geo+json", "{path}");
        let map: Value = response.json();
        assert_eq!(map["type"], "FeatureCollection");
        let features = map["features"].as_array().unwrap();
        assert_eq!(features.len(), rows.len(), "one feature per row, placed or not");
        for (feature, row) in features.iter().zip(&rows) {
            assert_eq!(feature["properties"]["adminCode"], row["adminCode"]);
            assert_eq!(
                feature["properties"]["province.nameZh"], row["province"]["nameZh"],
                "dotted like CSV"
            );
            assert!(feature["properties"].get("latitude").is_none(), "the point is the geometry");
            match (row["longitude"].as_f64(), row["latitude"].as_f64()) {
                (Some(lon), Some(lat)) => {
                    assert_eq!(feature["geometry"], json!({ "type": "Point", "coordinates": [lon, lat] }));
                }
                _ => assert!(feature["geometry"].is_null(), "an entry without a point is unlocated"),
            }
        }
    }
}

#[tokio::test]
async fn a_view_without_coordinates_is_refused_as_a_map_and_lists_no_map_link() {
    let server = Server::start();
    let response = get(&server, "/views/status-counts?format=geojson", None).await;
    assert_eq!(response.status(), 406);
    let body: Value = response.json();
    assert_eq!(first_code(&body), "VIEW_HAS_NO_COORDINATES");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("no latitude and longitude columns") && message.contains("format=json, csv"),
        "{message}"
    );
    let index: Value = get(&server, "/views", None).await.json();
    for view in index["views"].as_array().unwrap() {
        let links = &view["links"];
        assert!(links["xlsx"].is_string(), "every view is a workbook: {view}");
        let columns: Vec<&str> =
            view["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let placed = columns.iter().any(|c| c.ends_with("latitude"))
            && columns.iter().any(|c| c.ends_with("longitude"));
        assert_eq!(
            links["geojson"].is_string(),
            placed,
            "{}: a map link exactly with coordinates",
            view["name"]
        );
    }
    assert!(index["views"][0]["links"]["geojson"].is_string(), "coverage is a map");
}

#[tokio::test]
async fn a_text_too_long_for_a_spreadsheet_cell_is_refused_with_its_row_and_column() {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let long = "x".repeat(40_000);
    record(&server, 2.0, &long, "d", "n", "% change on previous year").await;
    let response = get(&server, &format!("{SERIES}&format=xlsx"), None).await;
    assert_eq!(response.status(), 406);
    let body: Value = response.json();
    assert_eq!(first_code(&body), "XLSX_CELL_TOO_LONG");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("column sourceUrl: 40000 characters") && message.contains("32767"), "{message}");
    let csv = get(&server, &format!("{SERIES}&format=csv"), None).await;
    assert_eq!(csv.status(), 200, "CSV holds any length");
}
