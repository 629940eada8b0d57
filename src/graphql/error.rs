//! The errors resolvers return, each with a stable `extensions.code`. Internal causes are
//! logged once, here, and clients see a generic message: never SQL, never a path.

use std::sync::Arc;

use crate::db::DbError;
use crate::domain::recording::Problem;

/// What went wrong, as a client should hear it.
///
/// Deliberately not `Display`: async-graphql turns any `Display` error into a message without
/// a code, so this type converts only through its own `From`, which always sets the code.
#[derive(Debug)]
pub enum ApiError {
    /// An argument is malformed or out of range.
    BadUserInput(String),
    /// A page cursor was not issued by this server.
    InvalidCursor(String),
    /// `first` or `last` asks for more rows than one page may hold.
    PageSizeLimit { asked: i64, max: u32 },
    /// A global ID that this server did not issue.
    InvalidId(String),
    /// The database took longer than its per-statement time limit.
    Timeout,
    /// The request's deadline passed before a write could begin: nothing of it was written.
    WriteNotBegun,
    /// Another connection held the database's lock for the whole time the request had.
    Busy,
    /// Rows refused by the recording rules: nothing was written.
    InvalidRows(Vec<Problem>),
    /// Input that breaks a domain rule, with that rule's own stable code.
    Rule { code: &'static str, message: String },
    /// Anything else: logged, never shown.
    Internal,
}

impl ApiError {
    /// The message clients read.
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput(message) => message.clone(),
            Self::InvalidCursor(cursor) => format!(
                "the cursor {cursor:?} is not valid: use a cursor from a previous page of the same list"
            ),
            Self::PageSizeLimit { asked, max } => format!(
                "a page holds at most {max} rows; {asked} were asked for: page through the list instead"
            ),
            Self::InvalidId(id) => {
                format!(
                    "the id {:?} is not a valid global id",
                    crate::graphql::request::respond::truncate(id, 64)
                )
            }
            Self::Timeout => "the query took too long and was stopped; ask for less at once".into(),
            Self::WriteNotBegun => "the request's time ran out before this write could begin; nothing of it \
                                    was written: try again in a moment"
                .into(),
            Self::Busy => "the database was busy with another write for the whole time this request had; \
                           nothing was written: try again in a moment"
                .into(),
            Self::Rule { message, .. } => message.clone(),
            Self::InvalidRows(problems) => format!(
                "this call wrote nothing: {} problem(s), listed in extensions.problems; first: row {} {}: {}",
                problems.len(),
                problems.first().map_or(0, |p| p.row),
                problems.first().map_or("", |p| p.field),
                problems.first().map_or("", |p| p.message.as_str())
            ),
            Self::Internal => "internal error; the server log has the details".into(),
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::InvalidCursor(_) => "INVALID_CURSOR",
            Self::PageSizeLimit { .. } => "PAGE_SIZE_LIMIT",
            Self::InvalidId(_) => "INVALID_ID",
            Self::Timeout | Self::WriteNotBegun => "TIMEOUT",
            Self::Busy => "BUSY",
            Self::Rule { code, .. } => code,
            Self::InvalidRows(_) => "INVALID_OBSERVATIONS",
            Self::Internal => "INTERNAL",
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", error.code());
        if let ApiError::InvalidRows(problems) = &error {
            let list = problems.iter().map(|p| {
                let mut entry = async_graphql::indexmap::IndexMap::new();
                entry.insert(async_graphql::Name::new("row"), async_graphql::Value::from(p.row as u64));
                entry.insert(async_graphql::Name::new("field"), async_graphql::Value::from(p.field));
                entry.insert(
                    async_graphql::Name::new("message"),
                    async_graphql::Value::from(p.message.as_str()),
                );
                async_graphql::Value::Object(entry)
            });
            extensions.set("problems", async_graphql::Value::List(list.collect()));
        }
        Self { message: error.message(), source: None, extensions: Some(extensions) }
    }
}

impl From<&DbError> for ApiError {
    fn from(error: &DbError) -> Self {
        match error {
            DbError::Timeout => Self::Timeout,
            DbError::TooLateToWrite => Self::WriteNotBegun,
            busy if busy.is_busy() => Self::Busy,
            other => {
                tracing::error!(error = %other, "database call failed");
                Self::Internal
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        Self::from(&error)
    }
}

impl From<Arc<DbError>> for ApiError {
    fn from(error: Arc<DbError>) -> Self {
        Self::from(&*error)
    }
}

/// Resolver result: errors always carry a code.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

/// Converts a database error into a client-safe GraphQL error.
pub fn db_error(error: impl Into<ApiError>) -> async_graphql::Error {
    error.into().into()
}
