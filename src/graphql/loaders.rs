//! DataLoaders: every relation is read through one of these, so a level of a nested query costs
//! one SQL statement per batch whatever the number of parents. They are built per request,
//! which makes the statement count in `extensions` exactly that request's.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::db::observations::{self, ObservationParent};
use tokio::sync::OnceCell;

use super::error::{ApiResult, db_error};
use crate::db::{Conn, Db, DbError, Listed, StatementCounter, plan, reference};
use crate::domain::query::ListQuery;
use crate::domain::{
    City, CitySource, Indicator, Industry, MembershipCounts, Milestone, Observation, Plan, Province, Target,
};

/// A list query as a loader key: equal when the request asked for the same list.
#[derive(Clone, Debug)]
pub struct QueryKey {
    /// A canonical rendering of `query`, used for hashing and equality.
    text: Arc<str>,
    pub query: Arc<ListQuery>,
}

impl QueryKey {
    pub fn new(query: ListQuery) -> Self {
        Self { text: format!("{query:?}").into(), query: Arc::new(query) }
    }
}

impl PartialEq for QueryKey {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for QueryKey {}

impl Hash for QueryKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
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

/// Loads entities by key; with `grouped`, every row for a key (a one-to-many relation).
pub struct ByKey<T> {
    db: Db,
    counter: Arc<StatementCounter>,
    fetch: FetchByKey<T>,
}

impl<T: Clone + Send + Sync + 'static> Loader<String> for ByKey<T> {
    type Value = T;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, T>, Self::Error> {
        let (fetch, keys) = (self.fetch, keys.to_vec());
        let rows = self.db.read(&self.counter, move |c| fetch(c, &keys)).await?;
        Ok(rows.into_iter().collect())
    }
}

/// Loads every row for each key (a one-to-many relation without paging).
pub struct Grouped<T> {
    db: Db,
    counter: Arc<StatementCounter>,
    fetch: FetchByKey<T>,
}

impl<T: Clone + Send + Sync + 'static> Loader<String> for Grouped<T> {
    type Value = Vec<T>;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<T>>, Self::Error> {
        let (fetch, keys) = (self.fetch, keys.to_vec());
        let rows = self.db.read(&self.counter, move |c| fetch(c, &keys)).await?;
        let mut grouped: HashMap<String, Vec<T>> = HashMap::new();
        for (key, row) in rows {
            grouped.entry(key).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// Loads one page per parent: one statement for all parents that asked for the same list.
pub struct Pages<T> {
    db: Db,
    counter: Arc<StatementCounter>,
    fetch: FetchPages<T>,
}

impl<T: Clone + Send + Sync + 'static> Loader<PageKey> for Pages<T> {
    type Value = Listed<T>;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Listed<T>>, Self::Error> {
        let mut by_query: HashMap<&QueryKey, Vec<String>> = HashMap::new();
        for key in keys {
            by_query.entry(&key.query).or_default().push(key.parent.clone());
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (query, parents) in by_query {
            let (fetch, q) = (self.fetch, query.query.clone());
            let pages = self.db.read(&self.counter, move |c| fetch(c, &parents, &q)).await?;
            for (parent, page) in pages {
                out.insert(PageKey { parent, query: query.clone() }, page);
            }
        }
        Ok(out)
    }
}

/// Every loader of one request, sharing that request's statement counter.
pub struct Loaders {
    pub db: Db,
    pub counter: Arc<StatementCounter>,
    pub province: DataLoader<ByKey<Province>>,
    pub city: DataLoader<ByKey<City>>,
    pub indicator: DataLoader<ByKey<Indicator>>,
    pub target: DataLoader<ByKey<Target>>,
    pub observation: DataLoader<ByKey<Observation>>,
    pub city_sources: DataLoader<Grouped<CitySource>>,
    pub province_cities: DataLoader<Pages<City>>,
    pub indicator_targets: DataLoader<Pages<Target>>,
    pub city_observations: DataLoader<Pages<Observation>>,
    pub province_observations: DataLoader<Pages<Observation>>,
    pub indicator_observations: DataLoader<Pages<Observation>>,
    plan: OnceCell<Plan>,
    membership_counts: OnceCell<MembershipCounts>,
}

impl Loaders {
    /// Fresh loaders for one request.
    pub fn new(db: Db) -> Self {
        let counter = Arc::new(StatementCounter::default());
        let (d, c) = (&db, &counter);
        Self {
            province: by_key(d, c, reference::provinces_by_code),
            city: by_key(d, c, reference::cities_by_code),
            indicator: by_key(d, c, reference::indicators_by_code),
            target: by_key(d, c, reference::targets_by_code),
            observation: by_key(d, c, observations::observations_by_id),
            city_sources: loader(Grouped {
                db: db.clone(),
                counter: counter.clone(),
                fetch: reference::city_sources,
            }),
            province_cities: pages(d, c, |c, keys, q| reference::list_cities(c, Some(keys), q)),
            indicator_targets: pages(d, c, |c, keys, q| reference::list_targets(c, Some(keys), q)),
            city_observations: pages(d, c, |c, keys, q| {
                observations::list_observations(c, ObservationParent::City, keys, q)
            }),
            province_observations: pages(d, c, |c, keys, q| {
                observations::list_observations(c, ObservationParent::Province, keys, q)
            }),
            indicator_observations: pages(d, c, |c, keys, q| {
                observations::list_observations(c, ObservationParent::Indicator, keys, q)
            }),
            plan: OnceCell::new(),
            membership_counts: OnceCell::new(),
            db,
            counter,
        }
    }
}

fn loader<L: Send + Sync + 'static>(inner: L) -> DataLoader<L> {
    DataLoader::new(inner, tokio::spawn)
}

fn by_key<T>(db: &Db, counter: &Arc<StatementCounter>, fetch: FetchByKey<T>) -> DataLoader<ByKey<T>>
where
    T: Send + Sync + 'static,
{
    loader(ByKey { db: db.clone(), counter: counter.clone(), fetch })
}

fn pages<T>(db: &Db, counter: &Arc<StatementCounter>, fetch: FetchPages<T>) -> DataLoader<Pages<T>>
where
    T: Send + Sync + 'static,
{
    loader(Pages { db: db.clone(), counter: counter.clone(), fetch })
}

impl Loaders {
    /// The plan record, read at most once per request.
    pub async fn plan(&self) -> ApiResult<&Plan> {
        self.plan
            .get_or_try_init(|| async { self.db.read(&self.counter, plan::plan).await.map_err(db_error) })
            .await
    }

    /// Counts of entries by membership, read at most once per request.
    pub async fn membership_counts(&self) -> ApiResult<MembershipCounts> {
        let counts = self.membership_counts.get_or_try_init(|| async {
            self.db.read(&self.counter, plan::membership_counts).await.map_err(db_error)
        });
        Ok(*counts.await?)
    }

    /// The plan's milestones, oldest first.
    pub async fn milestones(&self) -> ApiResult<Vec<Milestone>> {
        self.db.read(&self.counter, plan::milestones).await.map_err(db_error)
    }

    /// The strategic industries the announcement names.
    pub async fn strategic_industries(&self) -> ApiResult<Vec<Industry>> {
        self.db.read(&self.counter, plan::strategic_industries).await.map_err(db_error)
    }
}
