//! The playground, SDL and health endpoints, and that the page needs no other host.

use crate::common::Server;
use crate::in_process;

#[tokio::test]
async fn graphiql_and_its_assets_are_served_from_the_binary() {
    let server = in_process::Server::start();
    let page = server.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text();
    let mut assets = 0;
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            let url = &part[..part.find('"').unwrap()];
            assert!(url.starts_with('/') || url.starts_with("data:"), "the page loads {url} from elsewhere");
            if url.starts_with("/assets/") {
                let asset = server.get(url).await;
                assert_eq!(asset.status(), 200, "{url}");
                assert!(asset.bytes().len() > 1000, "{url} is too small to be the asset");
                assets += 1;
            }
        }
    }
    assert_eq!(assets, 4, "graphiql js and css, react, react-dom");
    let missing = server.get("/assets/nope.js").await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn sdl_health_and_readiness_answer() {
    let server = in_process::Server::start();
    let sdl = server.get("/schema.graphql").await;
    assert_eq!(sdl.text(), rustbelt::sdl());
    for path in ["/healthz", "/readyz"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"), "{path} carries a request id");
    }
}

/// The queries preloaded in the playground, as the page defines them.
fn playground_examples() -> Vec<String> {
    let html = include_str!("../../assets/graphiql/index.html");
    let start = html.find("const EXAMPLES = [").expect("the EXAMPLES array");
    let end = start + html[start..].find("];").expect("the end of EXAMPLES");
    html[start..end].split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[tokio::test]
async fn every_playground_example_runs_without_errors() {
    let server = Server::start_with(&["--write-token", "playground"]);
    let examples = playground_examples();
    assert_eq!(examples.len(), 7);
    let (subscriptions, queries): (Vec<_>, Vec<_>) =
        examples.iter().partition(|q| q.contains("\nsubscription "));
    for query in queries {
        let data = server.data(query, serde_json::json!({})).await;
        assert!(data.as_object().is_some_and(|d| d.values().all(|v| !v.is_null())), "{query}: {data}");
    }
    // The live tab, as GraphiQL runs it: over the socket, answered by the next matching write.
    assert_eq!(subscriptions.len(), 1);
    let mut socket = crate::live::Socket::ready(&server, serde_json::json!({})).await;
    socket.subscribe("live", subscriptions[0], serde_json::json!({})).await;
    let record = "mutation($v: Float!) { recordObservations(input: [{ subjectCode: \"340300\",
                    indicatorCode: \"services_share_gdp\", year: 2014, value: $v, source: \"playground test\", sourceGrade: SECONDARY }]) { id } }";
    for value in [40.5, 41.5, 42.5] {
        let (status, body) = server.post_as("playground", record, serde_json::json!({ "v": value })).await;
        assert!(status == 200 && body.get("errors").is_none(), "{body}");
        if let Some(event) = socket.within(std::time::Duration::from_secs(1)).await {
            assert_eq!(event["type"], "next", "{event}");
            assert_eq!(event["payload"]["data"]["observationsRecorded"]["recordedBy"], "API", "{event}");
            return;
        }
    }
    panic!("the live tab heard none of three writes");
}

#[tokio::test]
async fn the_dashboards_province_outlines_are_served_as_pinned_in_their_fetch_script() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/boundaries");
    let script = std::fs::read_to_string(format!("{dir}/fetch.sh")).unwrap();
    let pinned = script
        .lines()
        .find_map(|l| l.trim_start_matches("SHA256SUMS='").strip_suffix("  provinces.geojson"))
        .expect("fetch.sh pins provinces.geojson");
    let server = in_process::Server::start();
    let response = server.get("/dashboard/provinces.geojson").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let bytes = response.bytes();
    assert_eq!(bytes, std::fs::read(format!("{dir}/provinces.geojson")).unwrap(), "the file as committed");
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert_eq!(digest, pinned, "the committed file is the one fetch.sh builds (fetch.sh --check)");
    let outlines: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let codes: Vec<&str> = outlines["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 34, "every province-level division");
    for province in crate::common::read_csv::<std::collections::HashMap<String, String>>("provinces.csv") {
        assert!(
            codes.contains(&province["code"].as_str()),
            "an outline for every province of the seed: {province:?}"
        );
    }
}
