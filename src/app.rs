//! The composition root: open and seed the database, build the schema and router, bind, and
//! serve until SIGINT or SIGTERM.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::config::{CheckpointMode, ServeConfig};
use crate::db::{Db, DbOptions};
use crate::graphql::persisted::Persisted;
use crate::graphql::views::Views;
use crate::graphql::{self, CostLimits, Limits, PageLimits, ShapeLimits};
use crate::http::{self, ConnectionLimits, HttpOptions, LiveLimits, connection_cap};

/// Runs the server described by `config` until a shutdown signal.
pub fn run(config: ServeConfig) -> anyhow::Result<()> {
    runtime(&config)?.block_on(serve(config))
}

/// The runtime the server runs on (the in-process test tier builds its router on one too).
pub fn runtime(config: &ServeConfig) -> anyhow::Result<tokio::runtime::Runtime> {
    // Requests execute at most `max_concurrent_requests` at once, on blocking threads unless light enough to
    // run inline, and never wait for another blocking thread; a few more serve the data-version watcher,
    // readiness and shutdown. A fixed cap keeps the pool from growing a thread (and its allocator heap)
    // whenever a request starts a moment before the last one's thread is free again.
    let blocking_threads = config.max_concurrent_requests.max(1) + 4;
    tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(blocking_threads)
        .enable_all()
        .build()
        .context("starting the runtime")
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let (router, db) = build(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    // Listening for signals starts before the first line: a tool that stops the server as soon
    // as it has read it gets a clean shutdown, not the default action of SIGTERM.
    let shutdown = shutdown_signal().context("listening for SIGINT and SIGTERM")?;
    // Tests and tools read this exact first line to learn the port.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")
        .and_then(|()| stdout.flush())
        .context("writing to stdout")?;
    drop(stdout);
    let limits = ConnectionLimits {
        idle_timeout: Duration::from_millis(config.idle_timeout_ms),
        max_connections: connection_cap(config.max_connections, config.max_sockets),
    };
    tracing::info!(%address, max_connections = limits.max_connections, "listening");
    http::serve(listener, router, limits, shutdown).await.context("serving")?;
    // Under Litestream the log is folded by Litestream, once it has shipped every frame.
    if config.checkpoint_mode == CheckpointMode::Server {
        db.checkpoint().await.context("closing the database")?;
    }
    tracing::info!("shut down");
    Ok(())
}

/// The write token, given directly or as the first line of a file.
fn write_token(config: &ServeConfig) -> anyhow::Result<Option<String>> {
    let Some(file) = &config.write_token_file else { return Ok(config.write_token.clone()) };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the write token file {}", file.display()))?;
    let token = text.lines().next().unwrap_or_default().trim();
    anyhow::ensure!(
        !token.is_empty(),
        "the write token file {} is empty: put the token on its first line",
        file.display()
    );
    Ok(Some(token.to_string()))
}

/// Opens the database (migrating and seeding it) and builds the router; gives the database
/// too, to close it cleanly after serving.
pub async fn build(config: &ServeConfig) -> anyhow::Result<(axum::Router, Db)> {
    anyhow::ensure!(
        config.primary.is_none() || config.read_only,
        "--primary (RUSTBELT_PRIMARY) names where a read-only replica sends writes: add --read-only, or leave --primary out"
    );
    let options = DbOptions {
        path: config.db.clone(),
        // Each executing request holds a reader for its whole run: one more serves the
        // data-version watcher and readiness probes.
        readers: config
            .db_readers
            .max(u32::try_from(config.max_concurrent_requests).unwrap_or(u32::MAX).saturating_add(1)),
        reader_wait: Duration::from_secs(2),
        statement_timeout: Duration::from_millis(config.statement_timeout_ms),
        replica: config.read_only,
        external_checkpoints: config.checkpoint_mode == CheckpointMode::External,
    };
    let db = tokio::task::spawn_blocking(move || Db::open(&options))
        .await
        .context("opening the database")?
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    let limits = Limits {
        shape: ShapeLimits {
            max_chars: config.max_query_chars,
            max_tokens: config.max_tokens,
            max_depth: config.max_depth,
            max_aliases: config.max_aliases,
            max_root_fields: config.max_root_fields,
            max_directives: config.max_directives,
        },
        cost: CostLimits { nodes: config.max_nodes, reads: config.max_reads },
        pages: PageLimits { default_size: config.default_page_size, max_size: config.max_page_size },
        introspection: config.introspection,
        read_everything: config.read_everything,
        // Each executing request holds a thread, a reader and its memory; cached answers never
        // wait for a turn.
        max_concurrent: config.max_concurrent_requests,
        inline_rows: config.inline_rows,
        heavy_rows: config.heavy_rows,
    };
    // A view that does not load is a mistake of whoever added it: the server does not start.
    let views = Views::load(config.views_dir.as_deref())
        .map_err(anyhow::Error::msg)
        .context("loading the saved views")?;
    let mut trusted: Vec<String> = views.all().iter().map(|v| v.document.clone()).collect();
    if let Some(file) = &config.persisted_documents {
        trusted.extend(
            Persisted::manifest(file)
                .map_err(anyhow::Error::msg)
                .context("loading the persisted documents")?,
        );
    }
    let persisted = Persisted::new(trusted, config.trusted_documents_only);
    watch_data_version(db.clone());
    if config.checkpoint_mode == CheckpointMode::Server && config.checkpoint_interval_ms > 0 {
        fold_wal_periodically(db.clone(), Duration::from_millis(config.checkpoint_interval_ms));
    }
    let writes = match config.read_only {
        true => graphql::Writes::Replica { primary: config.primary.clone() },
        false => graphql::Writes::Token(write_token(config)?),
    };
    let schema = graphql::build_schema(db.clone(), limits, writes);
    let options = HttpOptions {
        max_body_bytes: config.max_body_bytes,
        request_timeout: Duration::from_millis(config.request_timeout_ms),
        cors_origins: config.cors_origins.clone(),
        cache_bytes: config.cache_mb.saturating_mul(1 << 20),
        views: Arc::new(views),
        persisted: Arc::new(persisted),
        views_max_age: config.views_max_age,
        live: LiveLimits {
            max_connections: config.max_sockets,
            max_operations: config.max_socket_operations,
            init_timeout: Duration::from_millis(config.socket_init_timeout_ms),
            send_timeout: Duration::from_millis(config.socket_send_timeout_ms),
            ping_interval: Duration::from_millis(config.socket_ping_interval_ms.max(1)),
            idle_timeout: Duration::from_millis(config.socket_idle_timeout_ms),
        },
    };
    Ok((http::router(schema, options), db))
}

/// Asks SQLite four times a second whether another process changed the file (`rustbelt import`
/// on the same file, a primary this replica follows), so their writes reach the response
/// cache and subscribers within a quarter second. Writes through this server move the version
/// at once.
fn watch_data_version(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            if let Err(error) = db.refresh_version().await {
                tracing::warn!(%error, "could not re-read the data version");
            }
        }
    });
}

/// Folds the write-ahead log into the database now and then, so the file stays small and a
/// copy of the database file alone is nearly current.
fn fold_wal_periodically(db: Db, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await; // the first tick is at once: nothing to fold yet
        loop {
            tick.tick().await;
            if let Err(error) = db.fold_wal().await {
                tracing::warn!(%error, "could not fold the write-ahead log");
            }
        }
    });
}

/// Starts listening for SIGINT (Ctrl-C) and SIGTERM at once; the future resolves on either.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut interrupt, mut terminate) = (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?);
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C received, shutting down");
        }
    })
}
