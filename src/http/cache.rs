//! Responses to identical read requests (same document, variables, operation and response
//! type) within one data version, served from memory. Every write bumps the data version, so a
//! write is visible to the very next read; the cache is bounded in bytes and evicts the least
//! useful entries (S3-FIFO, `quick_cache`).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use axum::body::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::AppState;
use super::negotiate::Format;
use crate::graphql::{self, Transport};

/// What makes two requests the same: the bytes they sent (a POST body, a GET query string), how
/// they sent them and the response type they asked for, within one data version. Raw bytes,
/// not parsed parameters: a hit costs no parsing at all, and only a request that was answered
/// (so well-formed) is ever stored, so a malformed request cannot match a stored one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    version: u64,
    graphql_response: bool,
    get: bool,
    request: Bytes,
}

impl CacheKey {
    /// The key of a request; `None` when the cache is off.
    pub(super) fn new(
        state: &AppState,
        format: Format,
        transport: Transport,
        request: Bytes,
    ) -> Option<Self> {
        state.cache.enabled().then(|| Self {
            version: graphql::data_tag(&state.schema),
            graphql_response: format == Format::GraphqlResponse,
            get: transport == Transport::Get,
            request,
        })
    }

    /// The data version the key is for.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// A validator for GET responses: the data version and a digest of the request.
    pub fn etag(&self) -> String {
        // DefaultHasher::new() uses fixed keys, so the tag is stable across restarts.
        let mut hasher = DefaultHasher::new();
        (self.graphql_response, self.get, &self.request[..]).hash(&mut hasher);
        format!("W/\"{:016x}-{:016x}\"", self.version, hasher.finish())
    }
}

/// A stored answer: the response body without its `extensions` and closing brace
/// (`{"data":…`), and the extension members that hold for every answer to the request (its
/// `cost`). Each answer appends its own run's members, so a hit reports the work it did (none).
#[derive(Clone)]
pub struct Stored {
    pub prefix: Bytes,
    pub lasting: Bytes,
}

#[derive(Clone)]
struct BySize;

impl Weighter<CacheKey, Stored> for BySize {
    fn weight(&self, key: &CacheKey, stored: &Stored) -> u64 {
        (key.request.len() + stored.prefix.len() + stored.lasting.len() + 64) as u64
    }
}

/// The response cache; with a size of zero it stores nothing.
#[derive(Clone)]
pub struct ResponseCache(Option<Arc<Cache<CacheKey, Stored, BySize>>>);

impl ResponseCache {
    /// A cache holding at most `bytes` of requests and responses.
    pub fn new(bytes: u64) -> Self {
        // quick_cache wants an estimate of the entry count: assume 4 KB per entry.
        let estimate = usize::try_from(bytes / 4_096).unwrap_or(usize::MAX).max(16);
        Self((bytes > 0).then(|| Arc::new(Cache::with_weighter(estimate, bytes, BySize))))
    }

    /// Whether responses are kept at all.
    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// The stored answer for `key`, if any.
    pub fn get(&self, key: &CacheKey) -> Option<Stored> {
        self.0.as_ref().and_then(|cache| cache.get(key))
    }

    /// Stores an answer for `key`.
    pub fn put(&self, key: CacheKey, stored: Stored) {
        if let Some(cache) = &self.0 {
            cache.insert(key, stored);
        }
    }
}
