//! Each event of a subscription runs like a request: it waits for a turn, gets its own loaders and read
//! session, and must end by its own deadline, counted from when its turn came. The wait for a turn has no
//! deadline: a busy server delays an event, it never drops it (nor, with it, the subscription). A query or
//! mutation gets these from [`crate::graphql::request::respond`]; a subscription's events are resolved by
//! async-graphql, one after another on the connection's task, so this extension hands each one its loaders as
//! it starts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Data, Response, Value};

use crate::db::Db;
use crate::graphql::request::loaders::{Batches, Loaders, WithBatches};
use crate::graphql::request::respond::{Turns, request_error};

/// How long one event may take to resolve once it has its turn: the server's request time
/// limit, given with the connection's data.
#[derive(Debug, Clone, Copy)]
pub struct EventDeadline(pub Duration);

/// Gives every subscription event its loaders (see the module).
pub(crate) struct EventLoaders;

impl ExtensionFactory for EventLoaders {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(EventLoaders)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for EventLoaders {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        // A query or mutation: `respond` prepared it already.
        if ctx.data_opt::<Loaders>().is_some() {
            return next.run(ctx, operation_name).await;
        }
        let (Some(db), Some(Turns(turns))) = (ctx.data_opt::<Db>(), ctx.data_opt::<Turns>()) else {
            return next.run(ctx, operation_name).await;
        };
        let limit = ctx.data_opt::<EventDeadline>().map_or(Duration::from_secs(10), |d| d.0);
        let Ok(_turn) = turns.clone().acquire_owned().await else {
            return request_error("the server is shutting down", "SHUTTING_DOWN");
        };
        let (started, deadline) = (Instant::now(), Instant::now() + limit);
        let batches = Arc::new(Batches::default());
        let loaders = Loaders::new(db.clone(), batches.clone(), deadline, None);
        let (counter, session) = (loaders.counter.clone(), loaders.session.clone());
        let mut data = Data::default();
        data.insert(loaders);
        let run = WithBatches::new(next.run_with_data(ctx, operation_name, data), batches);
        // The loaders read SQLite on the calling thread. On the multi-threaded runtime the
        // worker hands its other tasks to the rest of the pool while it does.
        let mut response = match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(run))
            }
            _ => run.await,
        };
        let elapsed_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
        response.extensions.insert("sqlStatements".into(), Value::from(counter.get()));
        response.extensions.insert("rowsRead".into(), Value::from(session.rows()));
        response.extensions.insert("elapsedMs".into(), Value::from(elapsed_ms));
        response
    }
}
