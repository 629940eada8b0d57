//! Saved views over HTTP: `GET /views` lists them (JSON, or an HTML page for a browser), and
//! `GET /views/{name}?var=value…` runs one, answering JSON (the GraphQL response), CSV, NDJSON,
//! XLSX or (for a view with coordinates) GeoJSON by `Accept` or `?format=`, with an `ETag` from
//! the data version and the request. The table writers are in `views/`.

mod cells;
mod csv_file;
mod geojson;
mod xlsx;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use async_graphql::Value;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use self::geojson::Coordinates;
use super::AppState;
use super::endpoint::{reject, timed_out};
use super::negotiate::accepts;
use crate::graphql::views::View;
use crate::graphql::{self, Outcome, Transport};

/// What a view is answered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Format {
    Json,
    Csv,
    Ndjson,
    Xlsx,
    GeoJson,
}

/// The media type of an `.xlsx` workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Format {
    fn of(format: Option<&str>, headers: &HeaderMap) -> Result<Self, String> {
        match format {
            Some("json") => Ok(Self::Json),
            Some("csv") => Ok(Self::Csv),
            Some("ndjson") => Ok(Self::Ndjson),
            Some("xlsx") => Ok(Self::Xlsx),
            Some("geojson") => Ok(Self::GeoJson),
            Some(other) => Err(format!("format {other:?} is not json, csv, ndjson, xlsx or geojson")),
            None if accepts(headers, "text/csv") => Ok(Self::Csv),
            None if accepts(headers, "application/x-ndjson") || accepts(headers, "application/ndjson") => {
                Ok(Self::Ndjson)
            }
            None if accepts(headers, XLSX) => Ok(Self::Xlsx),
            None if accepts(headers, "application/geo+json") => Ok(Self::GeoJson),
            None => Ok(Self::Json),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::Ndjson => "application/x-ndjson",
            Self::Xlsx => XLSX,
            Self::GeoJson => "application/geo+json",
        }
    }
}

/// The query string as (name, value) pairs, decoded.
fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or("")).unwrap_or_default()
}

/// `GET /views`: every view with its variables and a link per format.
pub(super) async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let html = pairs(raw.as_deref()).iter().any(|(k, v)| k == "format" && v == "html")
        || (accepts(&headers, "text/html") && !accepts(&headers, "application/json"));
    let views = state.views.all();
    if html {
        return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], index_page(views)).into_response();
    }
    let listed: Vec<serde_json::Value> = views.iter().map(describe).collect();
    let body = serde_json::json!({ "views": listed });
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The formats a view can be asked for: every one, and GeoJSON only with coordinates.
fn formats(view: &View) -> Vec<&'static str> {
    let mut formats = vec!["json", "csv", "ndjson", "xlsx"];
    if Coordinates::of(view).is_ok() {
        formats.push("geojson");
    }
    formats
}

fn describe(view: &View) -> serde_json::Value {
    let link = |format: &str| format!("/views/{}?format={format}", view.name);
    let links: serde_json::Map<String, serde_json::Value> =
        formats(view).into_iter().map(|f| (f.to_string(), link(f).into())).collect();
    let variables: Vec<serde_json::Value> = view
        .variables
        .iter()
        .map(|v| serde_json::json!({ "name": v.name, "type": v.ty, "default": v.default, "description": v.description }))
        .collect();
    serde_json::json!({
        "name": view.name,
        "title": view.title,
        "description": view.description,
        "table": view.table.join("."),
        "columns": view.columns.iter().map(|c| c.header.as_str()).collect::<Vec<_>>(),
        "variables": variables,
        "links": links,
    })
}

fn index_page(views: &[View]) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
    };
    let mut rows = String::new();
    for view in views {
        let variables: Vec<String> = view
            .variables
            .iter()
            .map(|v| {
                let default = v.default.as_ref().map_or(String::new(), |d| format!(" = {d}"));
                format!(
                    "<code>{}: {}{}</code> {}",
                    escape(&v.name),
                    escape(&v.ty),
                    escape(&default),
                    escape(&v.description)
                )
            })
            .collect();
        let links: Vec<String> = formats(view)
            .iter()
            .map(|f| format!("<a href=\"/views/{name}?format={f}\">{f}</a>", name = escape(&view.name)))
            .collect();
        rows.push_str(&format!(
            "<tr><td><strong>{}</strong><br>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&view.title),
            escape(&view.description),
            escape(&view.name),
            variables.join("<br>"),
            links.join(" · ")
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rustbelt — saved views</title>\n\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}td,th{{padding:.4rem .8rem;\
         vertical-align:top;border-bottom:1px solid #ddd;text-align:left}}code{{font-size:.9em}}</style></head>\n\
         <body><h1>Saved views</h1><p>Each view is a stored GraphQL query: open it as JSON, CSV (add \
         <code>&amp;bom=1</code> for spreadsheets), NDJSON, an Excel workbook (XLSX) or, when its rows \
         have coordinates, a GeoJSON map; its variables are query-string parameters.</p>\n\
         <table><tr><th>view</th><th>name</th><th>parameters</th><th>formats</th></tr>\n{rows}</table></body></html>\n"
    )
}

/// `GET /views/{name}`: runs the view with the query string's variables.
pub(super) async fn run(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(view) = state.views.get(&name) else {
        let message = format!("no view is called {name:?}: GET /views lists them");
        return reject(StatusCode::NOT_FOUND, &message, "NOT_FOUND");
    };
    let mut params = pairs(raw.as_deref());
    let take = |params: &mut Vec<(String, String)>, key: &str| {
        let found = params.iter().position(|(k, _)| k == key).map(|i| params.remove(i).1);
        params.retain(|(k, _)| k != key);
        found
    };
    let format = take(&mut params, "format");
    let bom = take(&mut params, "bom").is_some_and(|b| matches!(b.as_str(), "1" | "true" | "yes"));
    let format = match Format::of(format.as_deref(), &headers) {
        Ok(format) => format,
        Err(message) => return reject(StatusCode::BAD_REQUEST, &message, "BAD_REQUEST"),
    };
    let place = match (format, Coordinates::of(view)) {
        (Format::GeoJson, Err(message)) => {
            return reject(StatusCode::NOT_ACCEPTABLE, &message, "VIEW_HAS_NO_COORDINATES");
        }
        (_, place) => place.ok(),
    };
    let variables = match view.variables(&params) {
        Ok(variables) => variables,
        Err(message) => return reject(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    };
    let version = graphql::data_tag(&state.schema);
    let etag = etag(version, &name, raw.as_deref(), format, bom);
    let held = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).unwrap_or("");
    if held.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*") {
        return cached(StatusCode::NOT_MODIFIED, &etag, state.views_max_age, Vec::new(), format)
            .into_response();
    }
    let mut request = async_graphql::Request::new(view.document.clone()).variables(variables);
    request.operation_name = view.operation.clone();
    let deadline = Instant::now() + state.request_timeout;
    let (response, snapshot) =
        match graphql::respond(&state.schema, request, Transport::Get, None, deadline).await {
            Outcome::Executed { response, snapshot, .. } => (response, snapshot),
            Outcome::RequestError(response) => return json(StatusCode::BAD_REQUEST, &response),
            Outcome::TimedOut => {
                return timed_out("the view took longer than this server allows and was stopped");
            }
            Outcome::HeavyLaneFull => return timed_out(graphql::HEAVY_LANE_FULL),
            Outcome::MutationOverGet | Outcome::Estimated(_) => {
                unreachable!("a view is a query, run without extensions")
            }
        };
    // The answer was read at another data version than the tag names: no tag at all.
    let etag = if snapshot.is_none_or(|tag| tag == version) { etag } else { String::new() };
    if format == Format::Json {
        let body = serde_json::to_vec(&response).unwrap_or_default();
        if !response.errors.is_empty() || etag.is_empty() {
            // An answer with errors may not repeat: no tag, so nothing pins it.
            return (StatusCode::OK, [(header::CONTENT_TYPE, format.content_type())], body).into_response();
        }
        return cached(StatusCode::OK, &etag, state.views_max_age, body, format);
    }
    if let Some(error) = response.errors.first() {
        let code = error.extensions.as_ref().and_then(|x| x.get("code")).map(ToString::to_string);
        let status = match code.as_deref().map(|c| c.trim_matches('"')) {
            Some("TIMEOUT") => StatusCode::SERVICE_UNAVAILABLE,
            Some("BAD_USER_INPUT" | "PAGE_SIZE_LIMIT" | "INVALID_CURSOR") => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        return json(status, &response);
    }
    let Some(rows) = cells::table(&response.data, &view.table) else {
        let message =
            format!("nothing to list: {} is null (are the parameters right?)", view.table.join("."));
        return reject(StatusCode::NOT_FOUND, &message, "NOT_FOUND");
    };
    let body = match (format, place) {
        (Format::Csv, _) => csv_file::write(view, rows, bom).into_bytes(),
        (Format::GeoJson, Some(place)) => geojson::write(view, rows, place).into_bytes(),
        (Format::Xlsx, _) => match xlsx::write(view, rows) {
            Ok(bytes) => bytes,
            Err(error @ xlsx::SheetError::TooLong { .. }) => {
                return reject(StatusCode::NOT_ACCEPTABLE, &error.message(), "XLSX_CELL_TOO_LONG");
            }
            Err(error) => {
                tracing::error!(view = %view.name, "{}", error.message());
                let message = "the workbook could not be written; the other formats still answer";
                return reject(StatusCode::INTERNAL_SERVER_ERROR, message, "INTERNAL");
            }
        },
        // NDJSON: JSON was answered above, and GeoJSON always has its place by here.
        _ => rows.iter().flat_map(|row| ndjson_line(row).into_bytes()).collect(),
    };
    let mut response = cached(StatusCode::OK, &etag, state.views_max_age, body, format);
    if format == Format::Xlsx {
        let attachment = format!("attachment; filename=\"{}.xlsx\"", view.name);
        if let Ok(value) = HeaderValue::from_str(&attachment) {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}

fn ndjson_line(row: &Value) -> String {
    format!("{}\n", serde_json::to_string(row).unwrap_or_default())
}

/// A validator for the view's answer: the data version and a digest of the request.
fn etag(version: u64, name: &str, query: Option<&str>, format: Format, bom: bool) -> String {
    let mut hasher = DefaultHasher::new();
    (name, query.unwrap_or(""), format, bom).hash(&mut hasher);
    format!("W/\"view-{version:016x}-{:016x}\"", hasher.finish())
}

fn cached(status: StatusCode, etag: &str, max_age: u32, body: Vec<u8>, format: Format) -> Response {
    let control = if max_age == 0 { "no-cache".to_string() } else { format!("public, max-age={max_age}") };
    let mut response = (status, [(header::CONTENT_TYPE, format.content_type())], body).into_response();
    let headers = response.headers_mut();
    // The format may come from `Accept`: a cache must keep one answer per `Accept`.
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if etag.is_empty() {
        return response; // read at another version than a tag could name: nothing to keep
    }
    for (name, value) in [(header::ETAG, etag.to_string()), (header::CACHE_CONTROL, control)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

fn json(status: StatusCode, response: &async_graphql::Response) -> Response {
    let body = serde_json::to_string(response).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
