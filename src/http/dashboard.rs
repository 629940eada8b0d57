//! `/dashboard`: the example dashboard (`assets/dashboard/`), embedded so it works with no
//! network. It is a client like any other: it reads and subscribes through `/graphql` only.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const JS: &str = "text/javascript; charset=utf-8";

pub(super) async fn page() -> Response {
    let page = include_str!("../../assets/dashboard/index.html");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

pub(super) async fn asset(Path(file): Path<String>) -> Response {
    let (bytes, content_type): (&'static [u8], &str) = match file.as_str() {
        "dashboard.js" => (include_bytes!("../../assets/dashboard/dashboard.js"), JS),
        "chart.js" => (include_bytes!("../../assets/dashboard/chart.js"), JS),
        "map.js" => (include_bytes!("../../assets/dashboard/map.js"), JS),
        "dashboard.css" => {
            (include_bytes!("../../assets/dashboard/dashboard.css"), "text/css; charset=utf-8")
        }
        "graphql-ws.min.js" => (include_bytes!("../../assets/dashboard/graphql-ws.min.js"), JS),
        // The map's province outlines (assets/boundaries/VERSIONS.md says where they come from).
        "provinces.geojson" => {
            (include_bytes!("../../assets/boundaries/provinces.geojson"), "application/geo+json")
        }
        _ => return (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    };
    // The page's own files change with the binary: a short lifetime keeps a new release's
    // page from running an old script.
    let cache = "public, max-age=300";
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], bytes).into_response()
}
