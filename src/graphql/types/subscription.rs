//! `Subscription`: what writes change, as it happens. Both fields follow the data version
//! ([`Db::changes`]), which moves on every write of this server at once and on writes of other
//! processes on the same file within 250 ms: a subscriber learns of an import too. A
//! subscriber that falls behind is not sent a backlog of versions but reads, once it is ready,
//! what the versions it skipped wrote, so it costs no memory while it is slow.
//!
//! The events' own fields (an observation's city, an evaluation's indicator) resolve like a query's, through
//! loaders that [`crate::graphql::request::events`] gives each event. Every read a stream makes waits for a
//! turn as requests do ([`LiveReads`]), as long as it takes: a busy server delays an event, it never ends a
//! subscription.

use std::collections::VecDeque;
use std::sync::Arc;

use async_graphql::{Context, InputObject, SimpleObject, Subscription};
use futures_util::Stream;
use tokio::sync::watch;

use crate::db::observations::{self, ObservationParent};
use crate::db::{Db, DbError, StatementCounter, reference};
use crate::domain::query::{Filter, ListQuery, Op, Page, Scalar, Texts};
use crate::domain::{self, Target};
use crate::graphql::request::respond::Turns;
use crate::graphql::types::enums::{Recorder, SubjectKind};
use crate::graphql::types::evaluation::{self, Evaluated, EvaluationNode, EvaluationOptionsInput};
use crate::graphql::types::observation::{ObservationFilter, ObservationNode};
use crate::graphql::{ApiError, ApiResult, db_error};

/// Most observations one `observationsRecorded` event lists (`count` says how many there were).
const MAX_EVENT_OBSERVATIONS: u32 = 1_000;

/// Live updates, over WebSocket (`graphql-transport-ws`) at `/graphql`.
pub struct SubscriptionRoot;

/// Live updates, over WebSocket (`graphql-transport-ws`) at `/graphql`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// One event per write that recorded observations matching the filter: a mutation, an
    /// import (`rustbelt import observations`, also by another process on the same database
    /// file, announced within 250 ms), or a seed refresh. Deletions are not announced
    /// here (`evaluationChanged` follows them). A client that reconnects catches up with
    /// `observations(filter: { recordedVersion: { gt: <last version seen> } })`.
    async fn observations_recorded(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only observations matching this filter.")] filter: Option<Box<ObservationFilter>>,
    ) -> async_graphql::Result<impl Stream<Item = ApiResult<ObservationsRecorded>>> {
        let db = LiveReads::of(ctx)?;
        let changes = db.db.changes();
        let seen = *changes.borrow();
        let state = Recordings {
            db,
            changes,
            seen,
            filter: checked_filter(filter.as_deref())?,
            due: VecDeque::new(),
        };
        Ok(futures_util::stream::unfold(state, |mut state| async move {
            let event = state.next().await?;
            Some((event, state))
        }))
    }

    /// A target's evaluation for one subject, sent each time a write changes it (its status or
    /// any of its numbers), never for a write that leaves it as it was. Nothing is sent at
    /// once: query the evaluation after subscribing. Subjects and targets are as for
    /// `City.evaluation`, `Province.evaluation` and `Plan.evaluation` (a CUMULATIVE target is
    /// evaluated for the plan area only).
    async fn evaluation_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target's code, e.g. `services_share_2017`.")] target: String,
        #[graphql(desc = "Whose evaluation.")] subject: EvaluationSubject,
        #[graphql(desc = "Year to evaluate as of (default: the target year).")] as_of: Option<i32>,
        #[graphql(desc = "How to evaluate.")] options: Option<EvaluationOptionsInput>,
    ) -> async_graphql::Result<impl Stream<Item = ApiResult<EvaluationNode>>> {
        let db = LiveReads::of(ctx)?;
        if let Some(year) = as_of {
            evaluation::check_year("asOf", year)?;
        }
        let changes = db.db.changes();
        let watch = Watched {
            target: target.trim().to_string(),
            subject: resolve(&db, subject).await?,
            as_of,
            options: options.unwrap_or_default(),
        };
        // What the subscriber is assumed to know: the evaluation as it is now.
        let last = watch.evaluate(&db).await?;
        Ok(futures_util::stream::unfold(
            (db, changes, watch, last),
            |(db, mut changes, watch, mut last)| async move {
                loop {
                    changes.changed().await.ok()?;
                    match watch.evaluate(&db).await {
                        Ok(now) if same(&now, &last) => continue,
                        Ok(now) => {
                            last = now.clone();
                            return Some((Ok(now), (db, changes, watch, last)));
                        }
                        Err(error) => return Some((Err(error), (db, changes, watch, last))),
                    }
                }
            },
        ))
    }
}

/// A stream's reads: each waits for a turn, as a request's execution does, so live work is
/// bounded by the same `--max-concurrent-requests` and never crowds requests out of the
/// blocking pool; it waits as long as it takes, so a slow turn delays an event and nothing
/// more. Each read has the statement time limit.
#[derive(Clone)]
struct LiveReads {
    db: Db,
    turns: Arc<tokio::sync::Semaphore>,
}

impl LiveReads {
    fn of(ctx: &Context<'_>) -> async_graphql::Result<Self> {
        let db = ctx.data::<Db>()?.clone();
        let turns = ctx.data::<Turns>()?.0.clone();
        Ok(Self { db, turns })
    }

    async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&crate::db::Conn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let _turn = self.turns.acquire().await;
        self.db.read(&StatementCounter::default(), f).await
    }
}

/// The filter as a condition, if it is within the bounds a list's filter keeps.
fn checked_filter(filter: Option<&ObservationFilter>) -> ApiResult<Option<Filter>> {
    let query = ListQuery {
        filter: filter.map(ObservationFilter::to_filter),
        order: Vec::new(),
        page: Page::default(),
        texts: Texts::All,
    };
    Ok(crate::graphql::limits::bounds::checked(filter, query)?.filter)
}

/// Whose evaluation `evaluationChanged` follows.
#[derive(InputObject, Clone, Debug)]
pub struct EvaluationSubject {
    /// A city (default), a province as a whole, or the plan area.
    #[graphql(default_with = "SubjectKind::City")]
    pub kind: SubjectKind,
    /// A city's admin code, English or Chinese name (as `city(code:)` takes), or a province's
    /// code or name (as `province(code:)` takes); omitted for the plan area.
    pub code: Option<String>,
}

/// What one write recorded.
#[derive(SimpleObject)]
pub struct ObservationsRecorded {
    /// The data version the write made; every later write makes a larger one.
    pub version: u64,
    /// Who wrote: the seed, an import or the API.
    pub recorded_by: Recorder,
    /// How many observations matching the filter the write recorded.
    pub count: u32,
    /// Those observations in id order, at most 1,000 (`count` says how many there were).
    pub observations: Vec<ObservationNode>,
}

/// Where an `observationsRecorded` stream is.
struct Recordings {
    db: LiveReads,
    changes: watch::Receiver<u64>,
    /// The data version up to which writes have been looked at.
    seen: u64,
    filter: Option<Filter>,
    /// Writes looked up and not yet read: their data versions and writers.
    due: VecDeque<(u64, domain::Recorder)>,
}

impl Recordings {
    /// The next event; `None` when the server shuts down.
    async fn next(&mut self) -> Option<ApiResult<ObservationsRecorded>> {
        loop {
            let Some((version, by)) = self.due.pop_front() else {
                self.changes.changed().await.ok()?;
                let now = *self.changes.borrow_and_update();
                let after = std::mem::replace(&mut self.seen, now);
                match self.db.read(move |c| observations::writes_since(c, after, now)).await {
                    Ok(writes) => self.due.extend(writes),
                    Err(error) => return Some(Err(db_error(error))),
                }
                continue;
            };
            let mut conditions = vec![Filter::Column {
                column: "recorded_version",
                op: Op::Eq(Scalar::Int(i64::try_from(version).unwrap_or(i64::MAX))),
            }];
            conditions.extend(self.filter.clone());
            let query = ListQuery {
                filter: Some(Filter::All(conditions)),
                order: Vec::new(),
                page: Page { first: Some(MAX_EVENT_OBSERVATIONS), ..Page::default() },
                texts: Texts::All,
            };
            let listed = self
                .db
                .read(move |c| observations::list_observations(c, ObservationParent::All, &[], &query))
                .await;
            let listed = match listed {
                Ok(mut pages) => pages.remove("").unwrap_or_default(),
                Err(error) => return Some(Err(db_error(error))),
            };
            if listed.total == 0 {
                continue; // the write recorded nothing this subscriber asked for
            }
            return Some(Ok(ObservationsRecorded {
                version,
                recorded_by: by.into(),
                count: listed.total,
                observations: listed.rows.into_iter().map(|(_, o)| ObservationNode(Arc::new(o))).collect(),
            }));
        }
    }
}

/// The subject of an `evaluationChanged` stream, found when it starts.
#[derive(Clone)]
enum Subject {
    City(String),
    Province(String),
    Plan,
}

/// What an `evaluationChanged` stream follows.
struct Watched {
    target: String,
    subject: Subject,
    as_of: Option<i32>,
    options: EvaluationOptionsInput,
}

impl Watched {
    /// The evaluation as the data stands now: target, subject and series read in one snapshot.
    async fn evaluate(&self, db: &LiveReads) -> ApiResult<EvaluationNode> {
        let (target_code, subject) = (self.target.clone(), self.subject.clone());
        let read = db
            .read(move |c| {
                let target =
                    reference::targets_by_code(c, &[target_code])?.into_iter().next().map(|(_, t)| t);
                let (evaluated, key) = match &subject {
                    Subject::City(code) => {
                        let city =
                            reference::cities_by_code(c, std::slice::from_ref(code))?.into_iter().next();
                        (city.map(|(_, city)| Evaluated::City(Arc::new(city))), format!("CITY:{code}"))
                    }
                    Subject::Province(code) => {
                        let province =
                            reference::provinces_by_code(c, std::slice::from_ref(code))?.into_iter().next();
                        (province.map(|(_, p)| Evaluated::Province(Arc::new(p))), format!("PROVINCE:{code}"))
                    }
                    Subject::Plan => (Some(Evaluated::Plan), "PLAN:".to_string()),
                };
                let series = observations::series(c, &[key])?.into_iter().next().map(|(_, s)| s);
                Ok::<_, DbError>((target, evaluated, series.unwrap_or_default()))
            })
            .await
            .map_err(db_error)?;
        let (target, evaluated, series) = read;
        let target = target.ok_or_else(|| not_found(format!("no target has the code {:?}", self.target)))?;
        let evaluated = evaluated.ok_or_else(|| not_found("the subject is no longer in the data".into()))?;
        applies(&target, &evaluated)?;
        let target = Arc::new(target);
        Ok(evaluation::evaluate_stored(&target, evaluated, &Arc::new(series), self.as_of, self.options)?)
    }
}

/// The subject as stored: a city or province found by any identifier a person would type.
async fn resolve(db: &LiveReads, subject: EvaluationSubject) -> ApiResult<Subject> {
    let code = subject.code.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    let (kind, code) = match (subject.kind, code) {
        (SubjectKind::Plan, None) => return Ok(Subject::Plan),
        (SubjectKind::Plan, Some(_)) => {
            return Err(ApiError::BadUserInput("the plan area takes no subject code".into()).into());
        }
        (_, None) => {
            return Err(ApiError::BadUserInput("a city or province subject needs its code".into()).into());
        }
        (kind, Some(code)) => (kind, code),
    };
    let wanted = code.clone();
    let found = db
        .read(move |c| {
            Ok(match kind {
                SubjectKind::Province => {
                    reference::find_province(c, &wanted)?.map(|p| Subject::Province(p.code))
                }
                _ => reference::find_city(c, &wanted)?.map(|city| Subject::City(city.admin_code)),
            })
        })
        .await
        .map_err(db_error)?;
    found.ok_or_else(|| {
        not_found(format!(
            "no {} matches {code:?}",
            if kind == SubjectKind::Province { "province" } else { "city" }
        ))
    })
}

/// A CUMULATIVE target (a plan-wide total) is evaluated for the plan area only.
fn applies(target: &Target, subject: &Evaluated) -> ApiResult<()> {
    let cumulative = target.kind == crate::domain::evaluation::TargetKind::Cumulative;
    if cumulative && !matches!(subject, Evaluated::Plan) {
        let message = format!(
            "{} is a plan-wide total: it is evaluated for the plan area only (subject kind PLAN)",
            target.code
        );
        return Err(ApiError::Rule { code: "NOT_APPLICABLE", message }.into());
    }
    Ok(())
}

fn not_found(message: String) -> async_graphql::Error {
    ApiError::Rule { code: "NOT_FOUND", message }.into()
}

/// Whether two evaluations say the same: the verdict, every number, and the values used.
fn same(a: &EvaluationNode, b: &EvaluationNode) -> bool {
    a.result == b.result && a.series == b.series
}
