//! Parsed documents, kept by their text and weighed by what they really hold: a dashboard
//! that sends the same document every few seconds has it parsed and shape-checked once, and
//! its estimate (for a document without variables) made once per data version.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::Value;
use async_graphql::parser::types::ExecutableDocument;
use quick_cache::sync::Cache;

use crate::db::Db;
use crate::graphql::limits::cost::{self, CostLimits, Estimate};
use crate::graphql::{AppSchema, PageLimits, ShapeLimits, limits::shape};

/// Parsed documents by their text, each checked against the shape limits. Bounded in bytes.
pub(crate) struct Documents(Cache<String, Arc<Prepared>, DocumentWeight>);

/// A parsed document, and what is known of it.
pub(crate) struct Prepared {
    pub(crate) document: ExecutableDocument,
    /// Whether its full validation can be reused (see [`KnownValid`]).
    pub(crate) valid: Validity,
    /// Its cost estimate, for a document without variables: the same until the data changes.
    estimated: std::sync::Mutex<Option<Arc<Estimated>>>,
    /// What it holds in the cache (see [`weight`]), counted once: the cache weighs an entry
    /// again whenever it moves it.
    weight: u64,
}

/// A document's cost estimate for one operation at one data version, and the
/// `extensions.cost` it gives.
pub(crate) struct Estimated {
    version: u64,
    operation: Option<String>,
    pub(crate) estimate: Estimate,
    pub(crate) extension: Value,
}

/// The schema again, with async-graphql's fast validation: complexity, depth and fragment
/// cycles only. A document that passed the full validation once is run on it while its text
/// stays in [`Documents`], if the full rules cannot judge it differently next time: a document
/// without variables, since the rules read nothing else of the request (the operation name
/// only decides which variables apply).
pub(crate) struct KnownValid(pub(crate) AppSchema);

/// What is known of a document's full validation.
pub(crate) struct Validity {
    /// No operation declares variables: the full rules give the same answer every time.
    reusable: bool,
    passed: AtomicBool,
}

impl Validity {
    fn of(document: &ExecutableDocument) -> Self {
        let reusable = document.operations.iter().all(|(_, op)| op.node.variable_definitions.is_empty());
        Self { reusable, passed: AtomicBool::new(false) }
    }

    pub(crate) fn known(&self) -> bool {
        self.reusable && self.passed.load(Ordering::Relaxed)
    }

    pub(crate) fn passed(&self) {
        if self.reusable {
            self.passed.store(true, Ordering::Relaxed);
        }
    }
}

/// Bytes a parsed document holds for each token of its text, at most: every name, argument,
/// value and selection is a separate allocation with its position, many times the few
/// characters it came from. Measured with a counting allocator over the shapes the limits
/// allow (a document of one-letter fields holds the most per token), with room to spare;
/// `tests/api/caching.rs` checks the server's memory stays bounded under distinct documents.
const BYTES_PER_TOKEN: u64 = 400;

#[derive(Clone)]
struct DocumentWeight;

impl quick_cache::Weighter<String, Arc<Prepared>> for DocumentWeight {
    fn weight(&self, _: &String, prepared: &Arc<Prepared>) -> u64 {
        prepared.weight
    }
}

/// What a document of this text holds in the cache: the text, and its parsed form.
fn weight(text: &str, tokens: usize) -> u64 {
    (text.len() as u64).saturating_add((tokens as u64).saturating_mul(BYTES_PER_TOKEN)).max(1)
}

impl Documents {
    /// Most bytes of documents kept.
    const BYTES: u64 = 16 << 20;

    pub(crate) fn new() -> Self {
        Self(Cache::with_weighter(1_024, Self::BYTES, DocumentWeight))
    }
}

/// Marks a schema built with introspection off, so such requests get a clear error (async-graphql
/// alone answers them with a silent null).
pub(crate) struct IntrospectionOff;

/// The parsed document of `source`, checked against the shape limits (and the introspection
/// switch); parsed once per distinct text while it stays in [`Documents`]. A document that
/// fails a check is never kept.
pub(crate) fn prepare(schema: &AppSchema, source: &str) -> Result<Arc<Prepared>, (String, &'static str)> {
    let documents = schema.data::<Documents>();
    if let Some(document) = documents.and_then(|d| d.0.get(source)) {
        return Ok(document);
    }
    let limits = schema.data::<ShapeLimits>().copied().unwrap_or_default();
    let refuse = |breach: shape::Breach| (breach.message, breach.code);
    let tokens = shape::check_source(source, &limits).map_err(refuse)?;
    let document = async_graphql::parser::parse_query(source).map_err(|error| {
        let message = format!(
            "the query does not parse: {}",
            crate::graphql::request::respond::truncate(&error.to_string(), 300)
        );
        (message, "GRAPHQL_PARSE_FAILED")
    })?;
    shape::check(&document, &limits).map_err(refuse)?;
    if schema.data::<IntrospectionOff>().is_some() && shape::introspects(&document) {
        let message = "introspection is switched off on this server";
        return Err((message.to_string(), "INTROSPECTION_DISABLED"));
    }
    let valid = Validity::of(&document);
    let weight = weight(source, tokens);
    let prepared = Arc::new(Prepared { document, valid, estimated: Default::default(), weight });
    if let Some(documents) = documents {
        documents.0.insert(source.to_string(), prepared.clone());
    }
    Ok(prepared)
}

/// What the request will cost, estimated from what the data holds (see [`cost`]); for a
/// document without variables, estimated once per data version.
pub(crate) fn estimate(
    schema: &AppSchema,
    prepared: &Prepared,
    request: &async_graphql::Request,
    limits: CostLimits,
) -> Arc<Estimated> {
    let stats = schema.data::<Db>().map(Db::stats).unwrap_or_default();
    let kept = || prepared.estimated.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if prepared.valid.reusable
        && let Some(known) = kept()
            .as_ref()
            .filter(|known| known.version == stats.version && known.operation == request.operation_name)
    {
        return known.clone();
    }
    let pages = schema.data::<PageLimits>().copied().unwrap_or_default();
    let name = request.operation_name.as_deref();
    let estimate = cost::estimate(&prepared.document, name, &request.variables, &stats, pages);
    let extension = estimate.extension(limits);
    let operation = request.operation_name.clone();
    let estimated = Arc::new(Estimated { version: stats.version, operation, estimate, extension });
    if prepared.valid.reusable {
        *kept() = Some(estimated.clone());
    }
    estimated
}
