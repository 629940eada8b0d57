//! A request and its answer, the same on both tiers: a test builds a [`Call`] and reads a
//! [`Reply`] whether the server runs as a process (`common::Server`) or inside the test
//! (`in_process::Server`).

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use serde_json::Value;

/// A request to send: its method, target (path and query string), headers and body.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub target: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Call {
    /// A request with no headers and no body.
    pub fn new(method: Method, path: &str) -> Self {
        Self { method, target: path.to_string(), headers: HeaderMap::new(), body: Vec::new() }
    }

    /// A GET of `path`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// A POST to `path`.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    /// Adds a header (a repeated name keeps every value, as HTTP allows).
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        let value = HeaderValue::from_str(value.as_ref()).expect("a header value");
        self.headers.append(name, value);
        self
    }

    /// Adds `Authorization: Bearer token`.
    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION.as_str(), format!("Bearer {token}"))
    }

    /// Adds query-string parameters, URL-encoded.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        let encoded = serde_urlencoded::to_string(pairs).expect("URL-encodable pairs");
        let separator = if self.target.contains('?') { '&' } else { '?' };
        self.target = format!("{}{separator}{encoded}", self.target);
        self
    }

    /// Sends `body` as JSON, labelled `application/json` unless a type was set already.
    pub fn json(mut self, body: &Value) -> Self {
        if !self.headers.contains_key(header::CONTENT_TYPE) {
            self.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self.body = body.to_string().into_bytes();
        self
    }

    /// Sends `body` as it is.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
}

/// An answer: its status, headers and whole body.
#[derive(Debug, Clone)]
pub struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    pub fn new(status: StatusCode, headers: HeaderMap, body: Vec<u8>) -> Self {
        Self { status, headers, body }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.body.clone()
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("a JSON body ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}
