//! DataLoaders: every relation is read through one of these, so a level of a nested query costs
//! one SQL statement per batch whatever the number of parents. They are built per request,
//! which makes the statement count in `extensions` exactly that request's.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use async_graphql::dataloader::{DataLoader, Loader};

use crate::db::observations::{self, ObservationParent};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::task::{ArcWake, AtomicWaker, waker_ref};
use tokio::sync::OnceCell;

use crate::db::{Conn, Db, DbError, Listed, ReadSession, Reader, StatementCounter, plan, reference};
use crate::domain::query::ListQuery;
use crate::domain::{
    City, CitySource, GradeCount, Indicator, Industry, MembershipCounts, Milestone, Observation, Plan,
    Province, ProvinceCoverage, SeriesPoint, Target, TierCount,
};
use crate::graphql::error::{ApiResult, db_error};
use crate::graphql::types::facets::FacetCounts;
use crate::graphql::types::rollup::RollupPoints;
use crate::graphql::types::status_tally::Tallies;

/// A list query as a loader key: equal when the request asked for the same list. Its hash is
/// computed once: every parent of a level carries its own copy, and a loader hashes each key
/// several times, so hashing the query anew each time showed in the dashboard's profile
/// (`benches/execute.rs`, dashboard).
#[derive(Clone, Debug)]
pub struct QueryKey {
    hash: u64,
    pub query: Arc<ListQuery>,
}

impl QueryKey {
    pub fn new(query: ListQuery) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        query.hash(&mut hasher);
        Self { hash: hasher.finish(), query: Arc::new(query) }
    }
}

impl PartialEq for QueryKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && (Arc::ptr_eq(&self.query, &other.query) || self.query == other.query)
    }
}

impl Eq for QueryKey {}

impl Hash for QueryKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// One parent's page of a list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub parent: String,
    pub query: QueryKey,
}

type FetchByKey<T> = fn(&Conn<'_>, &[String]) -> Result<Vec<(String, T)>, DbError>;
type FetchPages<T> = fn(&Conn<'_>, &[String], &ListQuery) -> Result<HashMap<String, Listed<T>>, DbError>;

/// Loads entities by key.
pub struct ByKey<T> {
    session: Arc<ReadSession>,
    fetch: FetchByKey<T>,
}

impl<T: Send + Sync + 'static> Loader<String> for ByKey<T> {
    type Value = Arc<T>;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Arc<T>>, Self::Error> {
        let rows = self.session.read(|c| (self.fetch)(c, keys))?;
        Ok(rows.into_iter().map(|(key, row)| (key, Arc::new(row))).collect())
    }
}

/// Loads every row for each key (a one-to-many relation without paging).
pub struct Grouped<T> {
    session: Arc<ReadSession>,
    fetch: FetchByKey<T>,
}

impl<T: Send + Sync + 'static> Loader<String> for Grouped<T> {
    type Value = Arc<Vec<T>>;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Arc<Vec<T>>>, Self::Error> {
        let rows = self.session.read(|c| (self.fetch)(c, keys))?;
        let mut grouped: HashMap<String, Vec<T>> = HashMap::new();
        for (key, row) in rows {
            grouped.entry(key).or_default().push(row);
        }
        Ok(grouped.into_iter().map(|(key, rows)| (key, Arc::new(rows))).collect())
    }
}

/// Loads one page per parent: one statement for all parents that asked for the same list.
pub struct Pages<T> {
    session: Arc<ReadSession>,
    fetch: FetchPages<T>,
}

impl<T: Send + Sync + 'static> Loader<PageKey> for Pages<T> {
    type Value = Arc<Listed<Arc<T>>>;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Self::Error> {
        let mut by_query: HashMap<&QueryKey, Vec<String>> = HashMap::new();
        for key in keys {
            by_query.entry(&key.query).or_default().push(key.parent.clone());
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (query, parents) in by_query {
            let pages = self.session.read(|c| (self.fetch)(c, &parents, &query.query))?;
            for (parent, page) in pages {
                let rows = page.rows.into_iter().map(|(offset, row)| (offset, Arc::new(row))).collect();
                out.insert(
                    PageKey { parent, query: query.clone() },
                    Arc::new(Listed { total: page.total, rows }),
                );
            }
        }
        Ok(out)
    }
}

/// The DataLoader batches of one request, run inside the request's own future.
///
/// Sibling fields are polled one after another within one poll of the request, and a batch
/// must not fire before the last of them has queued its key. A time delay cannot promise that
/// (a long list takes longer to poll than any fixed delay), and a batch on another thread may
/// hand its results back while the request is being polled, splitting the next level in two.
/// Running batches only between polls of the request makes both impossible: statements per
/// query depend on its shape, never on the data size or the timing.
#[derive(Default)]
pub struct Batches {
    queued: Mutex<Vec<BoxFuture<'static, ()>>>,
}

impl Batches {
    fn queue(&self, batch: BoxFuture<'static, ()>) {
        self.queued.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(batch);
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// Notes whether the request woke itself while being polled, then passes the wake on.
#[derive(Default)]
struct WakeFlag {
    woken: AtomicBool,
    outer: AtomicWaker,
}

impl ArcWake for WakeFlag {
    fn wake_by_ref(flag: &Arc<Self>) {
        flag.woken.store(true, Ordering::Release);
        flag.outer.wake();
    }
}

pin_project_lite::pin_project! {
    /// The request's future, driving its loader batches between its own polls.
    pub struct WithBatches<F> {
        #[pin]
        request: F,
        batches: Arc<Batches>,
        running: FuturesUnordered<BoxFuture<'static, ()>>,
        flag: Arc<WakeFlag>,
    }
}

impl<F> WithBatches<F> {
    pub fn new(request: F, batches: Arc<Batches>) -> Self {
        Self { request, batches, running: FuturesUnordered::new(), flag: Arc::default() }
    }
}

impl<F: Future> Future for WithBatches<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        this.flag.outer.register(cx.waker());
        this.flag.woken.store(false, Ordering::Release);
        let waker = waker_ref(this.flag);
        if let Poll::Ready(output) = this.request.as_mut().poll(&mut std::task::Context::from_waker(&waker)) {
            return Poll::Ready(output);
        }
        // A request that woke itself (a long list yields part-way) has fields still to poll,
        // and it will be polled again at once: let its batches wait until it is done.
        if this.flag.woken.load(Ordering::Acquire) {
            return Poll::Pending;
        }
        // Every field has queued its keys: now the batches may run. A finished batch wakes the
        // request through its result channels, so it is polled again.
        this.running.extend(this.batches.take());
        while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {}
        Poll::Pending
    }
}

/// Every loader of one request, sharing that request's read session and statement counter.
/// Each is made on first use: a lookup needs only one or two of them.
pub struct Loaders {
    db: Db,
    pub session: Arc<ReadSession>,
    pub counter: Arc<StatementCounter>,
    /// Whether a write of the request committed.
    pub committed: Arc<Committed>,
    batches: Arc<Batches>,
    province: OnceLock<DataLoader<ByKey<Province>>>,
    city: OnceLock<DataLoader<ByKey<City>>>,
    indicator: OnceLock<DataLoader<ByKey<Indicator>>>,
    target: OnceLock<DataLoader<ByKey<Target>>>,
    observation: OnceLock<DataLoader<ByKey<Observation>>>,
    city_sources: OnceLock<DataLoader<Grouped<CitySource>>>,
    coverage: OnceLock<DataLoader<ByKey<ProvinceCoverage>>>,
    province_cities: OnceLock<DataLoader<Pages<City>>>,
    indicator_targets: OnceLock<DataLoader<Pages<Target>>>,
    city_observations: OnceLock<DataLoader<Pages<Observation>>>,
    province_observations: OnceLock<DataLoader<Pages<Observation>>>,
    indicator_observations: OnceLock<DataLoader<Pages<Observation>>>,
    series: OnceLock<DataLoader<ByKey<Vec<SeriesPoint>>>>,
    rollups: OnceLock<DataLoader<RollupPoints>>,
    facets: OnceLock<DataLoader<FacetCounts>>,
    tallies: OnceLock<DataLoader<Tallies>>,
    plan: OnceCell<Plan>,
    /// Each list field's query, by the field's place in the document (see [`Loaders::list_query`]).
    queries: Mutex<HashMap<usize, QueryKey>>,
    membership_counts: OnceCell<MembershipCounts>,
    targets: OnceCell<Vec<Arc<Target>>>,
}

impl Loaders {
    /// Fresh loaders for one request that must end by `deadline`, reading through `reader`
    /// when one was taken for it beforehand.
    pub fn new(db: Db, batches: Arc<Batches>, deadline: Instant, reader: Option<Reader>) -> Self {
        let counter = Arc::new(StatementCounter::default());
        let session = Arc::new(match reader {
            Some(reader) => ReadSession::with_reader(db.clone(), counter.clone(), deadline, reader),
            None => ReadSession::new(db.clone(), counter.clone(), deadline),
        });
        Self {
            db,
            session,
            counter,
            committed: Arc::default(),
            batches,
            province: OnceLock::new(),
            city: OnceLock::new(),
            indicator: OnceLock::new(),
            target: OnceLock::new(),
            observation: OnceLock::new(),
            city_sources: OnceLock::new(),
            coverage: OnceLock::new(),
            province_cities: OnceLock::new(),
            indicator_targets: OnceLock::new(),
            city_observations: OnceLock::new(),
            province_observations: OnceLock::new(),
            indicator_observations: OnceLock::new(),
            series: OnceLock::new(),
            rollups: OnceLock::new(),
            facets: OnceLock::new(),
            tallies: OnceLock::new(),
            plan: OnceCell::new(),
            queries: Mutex::default(),
            membership_counts: OnceCell::new(),
            targets: OnceCell::new(),
        }
    }

    pub fn province(&self) -> &DataLoader<ByKey<Province>> {
        self.province.get_or_init(|| self.by_key(reference::provinces_by_code))
    }

    pub fn city(&self) -> &DataLoader<ByKey<City>> {
        self.city.get_or_init(|| self.by_key(reference::cities_by_code))
    }

    pub fn indicator(&self) -> &DataLoader<ByKey<Indicator>> {
        self.indicator.get_or_init(|| self.by_key(reference::indicators_by_code))
    }

    pub fn target(&self) -> &DataLoader<ByKey<Target>> {
        self.target.get_or_init(|| self.by_key(reference::targets_by_code))
    }

    pub fn observation(&self) -> &DataLoader<ByKey<Observation>> {
        self.observation.get_or_init(|| self.by_key(observations::observations_by_id))
    }

    pub fn city_sources(&self) -> &DataLoader<Grouped<CitySource>> {
        let fetch = reference::city_sources;
        self.city_sources.get_or_init(|| self.loader(Grouped { session: self.session.clone(), fetch }))
    }

    pub fn coverage(&self) -> &DataLoader<ByKey<ProvinceCoverage>> {
        self.coverage.get_or_init(|| self.by_key(reference::coverage))
    }

    pub fn province_cities(&self) -> &DataLoader<Pages<City>> {
        self.province_cities.get_or_init(|| self.pages(|c, keys, q| reference::list_cities(c, Some(keys), q)))
    }

    pub fn indicator_targets(&self) -> &DataLoader<Pages<Target>> {
        self.indicator_targets
            .get_or_init(|| self.pages(|c, keys, q| reference::list_targets(c, Some(keys), q)))
    }

    pub fn city_observations(&self) -> &DataLoader<Pages<Observation>> {
        self.city_observations.get_or_init(|| {
            self.pages(|c, keys, q| observations::list_observations(c, ObservationParent::City, keys, q))
        })
    }

    pub fn province_observations(&self) -> &DataLoader<Pages<Observation>> {
        self.province_observations.get_or_init(|| {
            self.pages(|c, keys, q| observations::list_observations(c, ObservationParent::Province, keys, q))
        })
    }

    pub fn indicator_observations(&self) -> &DataLoader<Pages<Observation>> {
        self.indicator_observations.get_or_init(|| {
            self.pages(|c, keys, q| observations::list_observations(c, ObservationParent::Indicator, keys, q))
        })
    }

    /// Series of indicators with targets, by subject key: evaluation inputs.
    pub fn series(&self) -> &DataLoader<ByKey<Vec<SeriesPoint>>> {
        self.series.get_or_init(|| self.by_key(observations::series))
    }

    /// The cities of roll-ups with their points of the year.
    pub fn rollups(&self) -> &DataLoader<RollupPoints> {
        self.rollups.get_or_init(|| self.loader(RollupPoints { session: self.session.clone() }))
    }

    /// Facet counts of entry lists.
    pub fn facets(&self) -> &DataLoader<FacetCounts> {
        self.facets.get_or_init(|| self.loader(FacetCounts { session: self.session.clone() }))
    }

    /// Status tallies of a target by province.
    pub fn tallies(&self) -> &DataLoader<Tallies> {
        self.tallies.get_or_init(|| self.loader(Tallies { session: self.session.clone() }))
    }

    fn by_key<T: Send + Sync + 'static>(&self, fetch: FetchByKey<T>) -> DataLoader<ByKey<T>> {
        self.loader(ByKey { session: self.session.clone(), fetch })
    }

    fn pages<T: Send + Sync + 'static>(&self, fetch: FetchPages<T>) -> DataLoader<Pages<T>> {
        self.loader(Pages { session: self.session.clone(), fetch })
    }

    /// A DataLoader whose batches run between polls of the request (see [`Batches`]).
    fn loader<L: Send + Sync + 'static>(&self, inner: L) -> DataLoader<L> {
        let batches = self.batches.clone();
        // No time delay on top: a batch starts exactly when the request's poll is over. Batches
        // are as large as one statement can take (SQLite allows 32,766 parameters), so a level
        // costs one statement up to 30,000 parents.
        DataLoader::new(inner, move |batch| batches.queue(batch))
            .delay(Duration::ZERO)
            .max_batch_size(MAX_BATCH)
    }

    /// The query of the list field `ctx` resolves, built by `build` once per request: a field
    /// of the document has the same arguments and selection under every parent (variables do
    /// not change within a request), so every province's `cities` shares the first one's
    /// query, its hash and the columns it reads.
    pub fn list_query(
        &self,
        ctx: &async_graphql::Context<'_>,
        build: impl FnOnce() -> ApiResult<ListQuery>,
    ) -> ApiResult<QueryKey> {
        let field = std::ptr::from_ref(ctx.item) as usize;
        let known = |queries: &HashMap<usize, QueryKey>| queries.get(&field).cloned();
        if let Some(query) = known(&self.queries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())) {
            return Ok(query);
        }
        let query = QueryKey::new(build()?);
        self.queries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(field, query.clone());
        Ok(query)
    }

    /// Runs `f` in the request's read session (see [`ReadSession`]).
    pub fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>) -> ApiResult<T> {
        self.session.read(f).map_err(db_error)
    }

    /// Runs `f` in one write transaction, on this request's thread; later reads of this request
    /// see what it wrote.
    pub fn write<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T, DbError>) -> ApiResult<T> {
        let written = self.db.write_here(&self.counter, Some(self.session.deadline()), f);
        self.session.end_snapshot();
        let (value, committed) = written.map_err(db_error)?;
        if committed {
            self.committed.0.store(true, Ordering::Release);
        }
        Ok(value)
    }
}

/// Whether a write of a request committed.
#[derive(Default)]
pub struct Committed(AtomicBool);

impl Committed {
    /// Whether any write of the request committed.
    pub fn any(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Most keys in one batch (one `IN (…)` statement).
const MAX_BATCH: usize = 30_000;

impl Loaders {
    /// The plan record, read at most once per request.
    pub async fn plan(&self) -> ApiResult<&Plan> {
        self.plan.get_or_try_init(|| async { self.read(plan::plan) }).await
    }

    /// Counts of entries by membership, read at most once per request.
    pub async fn membership_counts(&self) -> ApiResult<MembershipCounts> {
        let counts = self.membership_counts.get_or_try_init(|| async { self.read(plan::membership_counts) });
        Ok(*counts.await?)
    }

    /// Every target, read at most once per request.
    pub async fn targets(&self) -> ApiResult<&[Arc<Target>]> {
        let targets = self.targets.get_or_try_init(|| async {
            let targets = self.read(reference::all_targets)?;
            Ok::<_, async_graphql::Error>(targets.into_iter().map(Arc::new).collect())
        });
        Ok(targets.await?.as_slice())
    }

    /// The plan's milestones, oldest first.
    pub async fn milestones(&self) -> ApiResult<Vec<Milestone>> {
        self.read(plan::milestones)
    }

    /// Entries by tier and membership.
    pub async fn tier_counts(&self) -> ApiResult<Vec<TierCount>> {
        self.read(plan::tier_counts)
    }

    /// Entries and sources by evidence grade.
    pub async fn grade_counts(&self) -> ApiResult<Vec<GradeCount>> {
        self.read(plan::grade_counts)
    }

    /// The strategic industries the announcement names.
    pub async fn strategic_industries(&self) -> ApiResult<Vec<Industry>> {
        self.read(plan::strategic_industries)
    }
}
