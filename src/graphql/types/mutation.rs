//! `Mutation`: recording and deleting observations. Every write needs the configured write
//! token; each call writes all of its rows or none.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object};
use subtle::ConstantTimeEq;

use crate::db::observations::{self, Deleted, Recorded};
use crate::domain::Recorder;
use crate::domain::recording::{NewObservation, Problem, Subject, current_year};
use crate::graphql::types::enums::{SourceGrade, SubjectKind};
use crate::graphql::types::node::decode;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::{ApiError, ApiResult, loaders};

/// Most rows one call may record or delete.
const MAX_ROWS: usize = 1_000;

/// The token writes must present; `None` makes the server read-only.
#[derive(Clone, Default)]
pub struct WriteToken(pub Option<String>);

/// Who may write through this server.
#[derive(Clone, Debug)]
pub enum Writes {
    /// Requests that present this token (none: the server is read-only).
    Token(Option<String>),
    /// None: the server is a read-only replica of a file another process writes, and writes go
    /// to `primary` (an address the refusal names).
    Replica { primary: Option<String> },
}

/// Marks a read-only replica, with where writes go.
#[derive(Clone, Debug)]
pub struct ReplicaOf(pub Option<String>);

/// The bearer token a request presented, if any.
#[derive(Clone, Default)]
pub struct Bearer(pub Option<String>);

/// One observation to record: inserted, or replacing the value with the same subject,
/// indicator and year (which becomes a user observation).
#[derive(InputObject, Clone, Debug)]
pub struct ObservationInput {
    /// What the observation is about.
    #[graphql(default_with = "SubjectKind::City")]
    pub subject_kind: SubjectKind,
    /// The city's admin code or the province's code; omitted for the plan area.
    pub subject_code: Option<String>,
    /// The indicator's code, e.g. `services_share_gdp`.
    pub indicator_code: String,
    /// Calendar year the value refers to (1949 to the current year).
    pub year: i32,
    /// The value in the indicator's unit, within its physical range (a share is 0–100).
    pub value: f64,
    /// Unit as the source states it (default: the indicator's unit).
    pub unit: Option<String>,
    /// What exactly was measured (definition, prices, preliminary or final).
    pub definition: Option<String>,
    /// Where the value comes from: an address or a citation. Required.
    pub source: String,
    /// A note on the source: what it is, the carrier (a repost, a copy).
    pub source_note: Option<String>,
    /// How far to trust the value: BULLETIN, OFFICIAL or SECONDARY. Required (UNGRADED is
    /// refused: it marks only values recorded before grades existed).
    pub source_grade: SourceGrade,
}

/// Changes to the data. Each needs `Authorization: Bearer <token>` with the server's write
/// token (RUSTBELT_WRITE_TOKEN); a server started without one is read-only.
pub struct MutationRoot;

/// Changes to the data. Each needs `Authorization: Bearer <token>` with the server's write
/// token (RUSTBELT_WRITE_TOKEN); a server started without one is read-only. The fields of one
/// request run in order, each in its own transaction: a field answered with data committed,
/// for good, and a field answered null (its error says why) wrote nothing; later fields run
/// whatever became of earlier ones.
#[Object(name = "Mutation")]
impl MutationRoot {
    /// Records observations (at most 1,000 per call), upserting by subject, indicator and
    /// year, and gives them as stored. Every row is checked first; if any row is refused, this
    /// field writes nothing, is null, and its INVALID_OBSERVATIONS error lists every problem in
    /// `extensions.problems`.
    async fn record_observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The observations to record.")] input: Vec<ObservationInput>,
    ) -> ApiResult<Option<Vec<ObservationNode>>> {
        authorize(ctx)?;
        if input.len() > MAX_ROWS {
            return Err(ApiError::BadUserInput(format!(
                "at most {MAX_ROWS} rows per call; {} were sent",
                input.len()
            ))
            .into());
        }
        let (mut rows, mut problems) = (Vec::with_capacity(input.len()), Vec::new());
        for (index, row) in input.into_iter().enumerate() {
            match new_observation(index, row) {
                Ok(row) => rows.push(row),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::InvalidRows(problems).into());
        }
        let last_year = current_year();
        let l = loaders(ctx)?;
        let recorded = l.write(|c| observations::record(c, &rows, last_year, Recorder::Api));
        match recorded? {
            Recorded::Written(stored) => {
                Ok(Some(stored.into_iter().map(|o| ObservationNode(Arc::new(o))).collect()))
            }
            Recorded::Refused(mut problems) => {
                // The checks name the file's column; the input's field is spelled in camelCase.
                for p in problems.iter_mut().filter(|p| p.field == "source_grade") {
                    p.field = "sourceGrade";
                }
                Err(ApiError::InvalidRows(problems).into())
            }
        }
    }

    /// Deletes user observations by global ID, all or none; gives the IDs deleted, each once
    /// (IDs that do not exist are skipped). Seeded observations are reference data and cannot
    /// be deleted (SEED_OBSERVATION): then this field deletes nothing and is null.
    async fn delete_observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs of observations.")] ids: Vec<ID>,
    ) -> ApiResult<Option<Vec<ID>>> {
        authorize(ctx)?;
        if ids.len() > MAX_ROWS {
            return Err(ApiError::BadUserInput(format!(
                "at most {MAX_ROWS} ids per call; {} were sent",
                ids.len()
            ))
            .into());
        }
        let mut keys = Vec::with_capacity(ids.len());
        for id in &ids {
            match decode(id)? {
                (kind, key) if kind == "Observation" => {
                    let key = key.parse::<i64>().map_err(|_| ApiError::InvalidId(id.to_string()))?;
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                _ => return Err(ApiError::InvalidId(id.to_string()).into()),
            }
        }
        let l = loaders(ctx)?;
        let deleted = l.write(|c| observations::delete(c, &keys))?;
        match deleted {
            Deleted::Done(ids) => {
                Ok(Some(ids.iter().map(|id| crate::graphql::types::node::global_id("Observation", &id.to_string())).collect()))
            }
            Deleted::SeedRows(ids) => Err(ApiError::Rule {
                code: "SEED_OBSERVATION",
                message: format!(
                    "observations {ids:?} are seeded reference data and change only with the seed; nothing was deleted"
                ),
            }
            .into()),
        }
    }
}

/// Lets the request write only if it presents the configured token (compared in constant
/// time, so the comparison does not leak how much of a guess was right).
fn authorize(ctx: &Context<'_>) -> Result<(), ApiError> {
    if let Some(Some(ReplicaOf(primary))) = ctx.data_opt::<Option<ReplicaOf>>() {
        let to = primary
            .as_deref()
            .map_or_else(|| " (the server that writes this file)".to_string(), |p| format!(" at {p}"));
        return Err(ApiError::Rule {
            code: "READ_ONLY_REPLICA",
            message: format!("this server is a read-only replica: send writes to the primary{to}"),
        });
    }
    let configured = ctx.data_opt::<WriteToken>().and_then(|t| t.0.as_deref());
    let Some(configured) = configured else {
        return Err(ApiError::Rule {
            code: "READ_ONLY",
            message: "this server is read-only: start it with RUSTBELT_WRITE_TOKEN to allow writes".into(),
        });
    };
    let presented = ctx.data_opt::<Bearer>().and_then(|b| b.0.as_deref());
    match presented {
        Some(token) if bool::from(token.as_bytes().ct_eq(configured.as_bytes())) => Ok(()),
        _ => Err(ApiError::Rule {
            code: "UNAUTHORIZED",
            message: "writes need `Authorization: Bearer <token>` with this server's write token".into(),
        }),
    }
}

/// The row as the recording rules take it, or the problem of its subject.
fn new_observation(index: usize, row: ObservationInput) -> Result<NewObservation, Problem> {
    let subject = Subject::new(row.subject_kind.into(), row.subject_code.as_deref())
        .map_err(|message| Problem { row: index, field: "subjectCode", message: message.to_string() })?;
    Ok(NewObservation {
        subject,
        indicator_code: row.indicator_code,
        year: row.year,
        value: row.value,
        unit: row.unit,
        definition: row.definition,
        source: row.source,
        source_note: row.source_note,
        source_grade: row.source_grade.into(),
    })
}
