//! Persisted documents: Apollo's automatic persisted queries (a client sends a document's
//! SHA-256 in `extensions.persistedQuery`; an unknown hash is `PersistedQueryNotFound`, and the
//! client sends the document once with its hash to register it), and a trusted-documents mode
//! that runs only documents known in advance: the saved views' and those of an Apollo
//! persisted-query manifest.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

impl std::fmt::Debug for Persisted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persisted")
            .field("trusted", &self.trusted.len())
            .field("trusted_only", &self.trusted_only)
            .finish()
    }
}

/// Most bytes of registered documents kept (the least used are forgotten first; a client that
/// sends a forgotten hash gets PersistedQueryNotFound and registers it again).
const REGISTERED_BYTES: u64 = 8 << 20;

/// The documents a server knows by hash.
pub struct Persisted {
    registered: Cache<String, Arc<str>, ByBytes>,
    trusted: HashMap<String, Arc<str>>,
    trusted_only: bool,
}

/// Weighs a registered document by what it holds: its text, its hash and the entry.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<str>> for ByBytes {
    fn weight(&self, hash: &String, document: &Arc<str>) -> u64 {
        (hash.len() + document.len() + 64) as u64
    }
}

/// A document sent with its hash, to be registered once it has parsed and passed the shape
/// checks (`respond::admit` completes it, before the checks that depend on the request's
/// variables and cost): a document too large or too deep to run is never kept.
#[derive(Debug)]
pub struct Registration {
    registry: Arc<Persisted>,
    hash: String,
}

impl Registration {
    /// Registers `document` under the hash it was sent with.
    pub fn complete(&self, document: &str) {
        self.registry.registered.insert(self.hash.clone(), Arc::from(document));
    }
}

/// Why a request's document cannot be run, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

/// The SHA-256 of a document, in lowercase hex (as Apollo clients send it).
pub fn hash(document: &str) -> String {
    format!("{:x}", Sha256::digest(document.as_bytes()))
}

impl Persisted {
    /// `trusted`: documents known in advance (the saved views', a manifest's); `trusted_only`:
    /// run nothing else, and register nothing.
    pub fn new(trusted: impl IntoIterator<Item = String>, trusted_only: bool) -> Self {
        let trusted = trusted.into_iter().map(|d| (hash(&d), Arc::from(d))).collect();
        // quick_cache wants an estimate of the entry count: assume 2 KB per document.
        let registered = Cache::with_weighter((REGISTERED_BYTES / 2_048) as usize, REGISTERED_BYTES, ByBytes);
        Self { registered, trusted, trusted_only }
    }

    /// The documents of an Apollo persisted-query manifest
    /// (`{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id","body",…}]}`),
    /// each checked against its id.
    pub fn manifest(file: &Path) -> Result<Vec<String>, String> {
        #[derive(serde::Deserialize)]
        struct Manifest {
            format: String,
            operations: Vec<Operation>,
        }
        #[derive(serde::Deserialize)]
        struct Operation {
            id: String,
            body: String,
        }
        let text = std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        if manifest.format != "apollo-persisted-query-manifest" {
            return Err(format!(
                "{}: format {:?} is not apollo-persisted-query-manifest",
                file.display(),
                manifest.format
            ));
        }
        for operation in &manifest.operations {
            if hash(&operation.body) != operation.id {
                return Err(format!(
                    "{}: id {} is not the SHA-256 of its body",
                    file.display(),
                    operation.id
                ));
            }
        }
        Ok(manifest.operations.into_iter().map(|o| o.body).collect())
    }

    /// The document a request runs: its `query`, or the document its persisted-query hash
    /// names (`persisted`: the `extensions.persistedQuery` object, if any); with a document
    /// sent with its hash, how to register it once it has passed the checks.
    pub fn resolve(
        self: &Arc<Self>,
        query: Option<String>,
        persisted: Option<&serde_json::Value>,
    ) -> Result<(String, Option<Registration>), Refused> {
        let refused = |code, message: &str| Refused { code, message: message.to_string() };
        let hash_given = match persisted {
            None => None,
            Some(p) => {
                if p.get("version").and_then(serde_json::Value::as_i64) != Some(1) {
                    return Err(refused(
                        "PERSISTED_QUERY_VERSION",
                        "extensions.persistedQuery.version must be 1",
                    ));
                }
                let given = p.get("sha256Hash").and_then(serde_json::Value::as_str);
                Some(
                    given
                        .ok_or_else(|| refused("BAD_REQUEST", "extensions.persistedQuery has no sha256Hash"))?
                        .to_lowercase(),
                )
            }
        };
        match (query, hash_given) {
            // A plain request, where any document may run, needs no hash at all.
            (Some(query), None) if !self.trusted_only => Ok((query, None)),
            (Some(query), given) => {
                let actual = hash(&query);
                if given.as_ref().is_some_and(|g| *g != actual) {
                    return Err(refused(
                        "PERSISTED_QUERY_HASH_MISMATCH",
                        "the sha256Hash is not the SHA-256 of the query",
                    ));
                }
                if self.trusted_only && !self.trusted.contains_key(&actual) {
                    let message = "this server runs only trusted documents (the saved views and its manifest): send one of them, or its sha256Hash";
                    return Err(refused("DOCUMENT_NOT_TRUSTED", message));
                }
                let registration = (given.is_some() && !self.trusted_only)
                    .then(|| Registration { registry: self.clone(), hash: actual });
                Ok((query, registration))
            }
            (None, Some(given)) => {
                let known = self.trusted.get(&given).cloned();
                let known =
                    known.or_else(|| (!self.trusted_only).then(|| self.registered.get(&given)).flatten());
                known.map(|d| (d.to_string(), None)).ok_or_else(|| {
                    if self.trusted_only {
                        refused("DOCUMENT_NOT_TRUSTED", "no trusted document has this sha256Hash")
                    } else {
                        // Apollo clients look for this message to send the document once.
                        refused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
                    }
                })
            }
            (None, None) => Err(refused("BAD_REQUEST", "`query` is missing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash is SHA-256 in lowercase hex, as an Apollo client computes it (FIPS 180-2's
    /// example for "abc"), not merely whatever this module computes both times.
    #[test]
    fn the_hash_is_the_lowercase_hex_sha256() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn an_unknown_hash_is_not_found_until_registered() {
        let persisted = Arc::new(Persisted::new([], false));
        let query = "{ plan { titleEn } }".to_string();
        let ext = serde_json::json!({ "version": 1, "sha256Hash": hash(&query) });
        assert_eq!(persisted.resolve(None, Some(&ext)).unwrap_err().message, "PersistedQueryNotFound");
        let (sent, registration) = persisted.resolve(Some(query.clone()), Some(&ext)).unwrap();
        assert_eq!(sent, query);
        assert!(persisted.resolve(None, Some(&ext)).is_err(), "not registered before it passed the checks");
        registration.expect("a document sent with its hash is registered").complete(&sent);
        assert_eq!(persisted.resolve(None, Some(&ext)).unwrap().0, query, "registered");
        let wrong = serde_json::json!({ "version": 1, "sha256Hash": "00" });
        assert_eq!(
            persisted.resolve(Some(query), Some(&wrong)).unwrap_err().code,
            "PERSISTED_QUERY_HASH_MISMATCH"
        );
    }

    #[test]
    fn trusted_mode_runs_only_known_documents() {
        let known = "{ plan { titleEn } }".to_string();
        let persisted = Arc::new(Persisted::new([known.clone()], true));
        assert_eq!(persisted.resolve(Some(known.clone()), None).unwrap().0, known);
        let by_hash = serde_json::json!({ "version": 1, "sha256Hash": hash(&known) });
        assert_eq!(persisted.resolve(None, Some(&by_hash)).unwrap().0, known);
        let other = "{ plan { titleZh } }".to_string();
        assert_eq!(persisted.resolve(Some(other.clone()), None).unwrap_err().code, "DOCUMENT_NOT_TRUSTED");
        let register = serde_json::json!({ "version": 1, "sha256Hash": hash(&other) });
        assert_eq!(persisted.resolve(Some(other), Some(&register)).unwrap_err().code, "DOCUMENT_NOT_TRUSTED");
    }
}
