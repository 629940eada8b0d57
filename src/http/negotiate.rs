//! Content negotiation: which response type `/graphql` answers for the `Accept` header (the
//! GraphQL-over-HTTP media type or plain JSON), and whether `Accept` lists a media type (the
//! saved views ask that too).

use axum::http::{HeaderMap, header};

/// Which media type the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json` (also the default): the legacy behaviour, 200 for well-formed requests.
    Json,
}

impl Format {
    /// The `Content-Type` of an answer in this format.
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Format::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// The response type for the `Accept` header; `None` when it lists nothing this endpoint
/// serves (406). No header, or `*/*`, means `application/json`.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    if accept.is_empty() {
        Some(Format::Json)
    } else if accepts(headers, "application/graphql-response+json") {
        Some(Format::GraphqlResponse)
    } else if ["application/json", "application/*", "*/*"].iter().any(|m| accepts(headers, m)) {
        Some(Format::Json)
    } else {
        None
    }
}

/// Whether the `Accept` header lists `media` (parameters and weights aside, except a weight
/// of zero, which refuses it).
pub(super) fn accepts(headers: &HeaderMap, media: &str) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let listed = parts.next().is_some_and(|m| m.eq_ignore_ascii_case(media));
        let refused =
            parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
        listed && !refused
    })
}
