//! Command line and environment: one clap `Config`, read once by `main`. Every flag is also an
//! environment variable; defaults let the binary run with none.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// GraphQL API over China's 2013 plan for old industrial bases, on embedded SQLite.
#[derive(Debug, Parser)]
#[command(name = "rustbelt", version, about)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeConfig,
    /// How log lines are written to stderr: `text` for people (coloured only on a terminal),
    /// `json` (one object a line) for log shippers.
    #[arg(long, global = true, env = "RUSTBELT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Who checkpoints the write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckpointMode {
    /// The server: TRUNCATE checkpoints every --checkpoint-interval-ms and at shutdown.
    Server,
    /// Another process (Litestream): the server never checkpoints.
    External,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve(Box<ServeConfig>),
    /// Print the GraphQL schema (SDL); identical to schema/schema.graphql.
    Schema,
    /// Load data from a file.
    #[command(subcommand)]
    Import(Import),
    /// Write a new database with synthetic cities and observations for benchmarks and scale
    /// tests (every generated row is marked synthetic).
    #[command(hide = true)]
    Synthesize(Synthesize),
    /// Copy the database, consistent as of one moment, to a new file, also while a server runs
    /// on it (SQLite's online backup). Restore: stop the server, put the copy in place of the
    /// database file, delete its `-wal` and `-shm` files, start.
    Backup(Backup),
}

/// Where a backup goes.
#[derive(Debug, Clone, Args)]
pub struct Backup {
    /// The new file (must not exist: a backup never overwrites).
    pub out: PathBuf,

    /// The database to copy.
    #[arg(long, env = "RUSTBELT_DB", default_value = "rustbelt.db")]
    pub db: PathBuf,
}

/// How big a synthetic database to write.
#[derive(Debug, Clone, Args)]
pub struct Synthesize {
    /// The new database file (must not exist).
    #[arg(long)]
    pub out: PathBuf,

    /// Synthetic cities, spread over the 31 provinces.
    #[arg(long, default_value_t = 2_000)]
    pub cities: u32,

    /// Years of observations (from 2012) for each city and each of the 6 target indicators.
    #[arg(long, default_value_t = 20)]
    pub years: u32,

    /// Where stderr is not a terminal, a progress line every this many cities (0: none).
    #[arg(long, env = "RUSTBELT_PROGRESS_EVERY", default_value_t = 10_000, hide = true)]
    pub progress_every: u64,
}

/// What to import.
#[derive(Debug, Subcommand)]
pub enum Import {
    /// Record observations from a CSV file or a spreadsheet, in the long layout (one value a
    /// row: the `gaps` view's template is one) or the wide one (one row per entry, one column
    /// per indicator), docs/writing.md: every row is checked, then all are written in one
    /// transaction, or none; exits non-zero on any problem, naming its line and column.
    Observations(ImportObservations),
    /// Add plan entries, or evidence for known ones, from a CSV file (layout in docs/writing.md):
    /// every row is checked against the division table, then all are written in one
    /// transaction, or none; exits non-zero on any problem. Never deletes.
    Cities(ImportFile),
}

/// Where imported rows come from and go to.
#[derive(Debug, Clone, Args)]
pub struct ImportFile {
    /// The CSV file.
    pub file: PathBuf,

    /// Check every row and report what would change, but write nothing at all (the database
    /// file is only read).
    #[arg(long)]
    pub dry_run: bool,

    /// SQLite database file to write into (created and seeded if missing).
    #[arg(long, env = "RUSTBELT_DB", default_value = "rustbelt.db")]
    pub db: PathBuf,
}

/// Where observations come from, how to read them, and where they go.
#[derive(Debug, Clone, Args)]
pub struct ImportObservations {
    /// The file: CSV (UTF-8) or a spreadsheet (.xlsx, .xls, .ods).
    pub file: PathBuf,

    /// Check every row and print what would be recorded and how each evaluation would change,
    /// but write nothing at all (the database file is only read).
    #[arg(long)]
    pub dry_run: bool,

    /// SQLite database file to write into (created and seeded if missing).
    #[arg(long, env = "RUSTBELT_DB", default_value = "rustbelt.db")]
    pub db: PathBuf,

    /// A spreadsheet's sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,

    /// The source (an address or a citation) of every value whose row gives none.
    #[arg(long)]
    pub source: Option<String>,

    /// The grade of that source, for every value whose row gives none: BULLETIN (the entry's
    /// statistical bulletin), OFFICIAL (a statistics bureau's or government's figures passed on
    /// by a press conference, an announcement, a work report) or SECONDARY (an aggregator that
    /// cites no bulletin).
    #[arg(long)]
    pub grade: Option<String>,

    /// A note on the source, for every value whose row gives none.
    #[arg(long)]
    pub source_note: Option<String>,

    /// Wide layout: the year of every value, for a file with no year column.
    #[arg(long)]
    pub year: Option<i32>,

    /// Wide layout: read the column headed HEADER as indicator CODE, e.g. `--column
    /// '生产总值(亿元)=gdp'` (a unit in the header's brackets is converted, or refused).
    /// Repeat it for each column; columns not mapped are left out.
    #[arg(long = "column", value_name = "HEADER=CODE")]
    pub columns: Vec<String>,

    /// Wide layout: the header of the column naming each entry, by code or Chinese name
    /// (default: the first column).
    #[arg(long)]
    pub entry_column: Option<String>,

    /// Where stderr is not a terminal, a progress line every this many rows (0: none).
    #[arg(long, env = "RUSTBELT_PROGRESS_EVERY", default_value_t = 10_000, hide = true)]
    pub progress_every: u64,
}

/// How to serve.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on; port 0 lets the OS choose (the first stdout line tells which).
    #[arg(long, env = "RUSTBELT_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// SQLite database file, created and seeded on first start; `:memory:` for a throwaway one.
    #[arg(long, env = "RUSTBELT_DB", default_value = "rustbelt.db")]
    pub db: PathBuf,

    /// Read-only database connections serving queries in parallel.
    #[arg(long, env = "RUSTBELT_DB_READERS", default_value_t = 4)]
    pub db_readers: u32,

    /// Longest time (ms) one database read may run before SQLite interrupts it.
    #[arg(long, env = "RUSTBELT_STATEMENT_TIMEOUT_MS", default_value_t = 500)]
    pub statement_timeout_ms: u64,

    /// Most GraphQL requests executing at once; the others wait their turn within their time
    /// limit (answers from the response cache never wait).
    #[arg(long, env = "RUSTBELT_MAX_CONCURRENT_REQUESTS", default_value_t = 4)]
    pub max_concurrent_requests: usize,

    /// A query whose cost estimate is at most this many rows read runs on the async worker
    /// that received it (when a reader is free), without a hand-off to another thread; 0:
    /// every request runs on the blocking pool.
    #[arg(long, env = "RUSTBELT_INLINE_ROWS", default_value_t = 500)]
    pub inline_rows: u64,

    /// A request whose cost estimate is over this many rows read is heavy: it waits for the
    /// heavy lane, where at most half of --max-concurrent-requests run at once, so light
    /// requests keep running beside them and the memory of large answers is held a bounded
    /// number of times.
    #[arg(long, env = "RUSTBELT_HEAVY_ROWS", default_value_t = 2_000)]
    pub heavy_rows: u64,

    /// Longest time (ms) one GraphQL request may run, waiting included; slower ones get 503
    /// with code TIMEOUT.
    #[arg(long, env = "RUSTBELT_REQUEST_TIMEOUT_MS", default_value_t = 2_000)]
    pub request_timeout_ms: u64,

    /// Origins allowed to call the API from browsers (CORS), comma-separated; `*` for any.
    /// Empty (the default): no CORS headers, so browsers allow only same-origin calls.
    #[arg(long, env = "RUSTBELT_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Memory (MiB) for responses to identical reads, kept until the data changes; 0 turns the
    /// response cache off.
    #[arg(long, env = "RUSTBELT_CACHE_MB", default_value_t = 64)]
    pub cache_mb: u64,

    /// A folder of saved views (`*.graphql`, each with its header) served under `/views` beside
    /// the shipped ones; the server does not start if one of them does not load.
    #[arg(long, env = "RUSTBELT_VIEWS_DIR")]
    pub views_dir: Option<PathBuf>,

    /// An Apollo persisted-query manifest (JSON): documents clients may send by hash alone, and
    /// the only ones, with the saved views, that `--trusted-documents-only` runs.
    #[arg(long, env = "RUSTBELT_PERSISTED_DOCUMENTS")]
    pub persisted_documents: Option<PathBuf>,

    /// Run only trusted documents (the saved views' and those of `--persisted-documents`), sent
    /// in full or by hash; nothing else runs and nothing is registered. GraphiQL's schema
    /// query is not among them.
    #[arg(long, env = "RUSTBELT_TRUSTED_DOCUMENTS_ONLY")]
    pub trusted_documents_only: bool,

    /// Seconds clients may reuse a view's answer without asking again (`Cache-Control:
    /// max-age`); 0 makes them revalidate with the `ETag` every time.
    #[arg(long, env = "RUSTBELT_VIEWS_MAX_AGE", default_value_t = 0)]
    pub views_max_age: u32,

    /// Largest request body accepted (bytes); larger ones get 413. Also the largest WebSocket
    /// message (larger ones close the socket with 1009).
    #[arg(long, env = "RUSTBELT_MAX_BODY_BYTES", default_value_t = 100_000)]
    pub max_body_bytes: usize,

    /// How long (ms) a connection may take to send a request's head — the first, or the next
    /// one on a kept-alive connection — before it is closed: idle connections end.
    #[arg(long, env = "RUSTBELT_IDLE_TIMEOUT_MS", default_value_t = 30_000)]
    pub idle_timeout_ms: u64,

    /// Most HTTP connections open at once (WebSockets aside); at the cap a new connection
    /// closes the one idle the longest. 0: as many as the process's descriptor limit allows
    /// beside --max-sockets (at most 10,000); a larger number is lowered to that too.
    #[arg(long, env = "RUSTBELT_MAX_CONNECTIONS", default_value_t = 0)]
    pub max_connections: usize,

    /// Most WebSocket connections open at once; more are closed with 1013 (try again later).
    #[arg(long, env = "RUSTBELT_MAX_SOCKETS", default_value_t = 256)]
    pub max_sockets: usize,

    /// Most operations (subscriptions included) one WebSocket runs at once; more are refused
    /// with TOO_MANY_SUBSCRIPTIONS.
    #[arg(long, env = "RUSTBELT_MAX_SOCKET_OPERATIONS", default_value_t = 32)]
    pub max_socket_operations: usize,

    /// How long (ms) a new WebSocket may take to send `connection_init`; then it is closed
    /// with 4408.
    #[arg(long, env = "RUSTBELT_SOCKET_INIT_TIMEOUT_MS", default_value_t = 3_000)]
    pub socket_init_timeout_ms: u64,

    /// How long (ms) one message may wait for a WebSocket client to read it; a slower client
    /// is dropped with 1013 rather than buffered for.
    #[arg(long, env = "RUSTBELT_SOCKET_SEND_TIMEOUT_MS", default_value_t = 10_000)]
    pub socket_send_timeout_ms: u64,

    /// How often (ms) the server pings a WebSocket (graphql-transport-ws `ping`); a client that
    /// has sent nothing since one ping by the next is closed with 1001.
    #[arg(long, env = "RUSTBELT_SOCKET_PING_INTERVAL_MS", default_value_t = 30_000)]
    pub socket_ping_interval_ms: u64,

    /// How long (ms) a WebSocket may run no operation and send nothing but pongs before it is
    /// closed with 1000.
    #[arg(long, env = "RUSTBELT_SOCKET_IDLE_TIMEOUT_MS", default_value_t = 300_000)]
    pub socket_idle_timeout_ms: u64,

    /// Most characters a query document may have (QUERY_TOO_LONG).
    #[arg(long, env = "RUSTBELT_MAX_QUERY_CHARS", default_value_t = 20_000)]
    pub max_query_chars: usize,

    /// Most lexical tokens a query document may have, counted before parsing (TOO_MANY_TOKENS).
    #[arg(long, env = "RUSTBELT_MAX_TOKENS", default_value_t = 5_000)]
    pub max_tokens: usize,

    /// Deepest selection nesting a query may have, introspection excluded (DEPTH_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,

    /// Most aliased fields a query document may have (ALIAS_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Most fields at the root of one operation (ROOT_FIELD_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_ROOT_FIELDS", default_value_t = 20)]
    pub max_root_fields: usize,

    /// Most directives a query document may have (DIRECTIVE_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_DIRECTIVES", default_value_t = 50)]
    pub max_directives: usize,

    /// Most list items a query's answer may hold, as estimated before it runs from the page
    /// sizes asked for and the most rows each relation has in the data (COMPLEXITY_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_NODES", default_value_t = 100_000)]
    pub max_nodes: u64,

    /// Most rows the database may read to answer one query, as estimated before it runs
    /// (COMPLEXITY_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_READS", default_value_t = 2_000_000)]
    pub max_reads: u64,

    /// Rows in a page when a list is asked for without `first` or `last`.
    #[arg(long, env = "RUSTBELT_DEFAULT_PAGE_SIZE", default_value_t = 50)]
    pub default_page_size: u32,

    /// Most rows one page may hold; asking for more is an error (PAGE_SIZE_LIMIT).
    #[arg(long, env = "RUSTBELT_MAX_PAGE_SIZE", default_value_t = 500)]
    pub max_page_size: u32,

    /// Token that writes (mutations) must present as `Authorization: Bearer <token>`; without
    /// one the server is read-only.
    #[arg(long, env = "RUSTBELT_WRITE_TOKEN", hide_env_values = true)]
    pub write_token: Option<String>,

    /// How often the server folds the write-ahead log back into the database file and
    /// truncates it, when no reader is using it (SQLite's own checkpoints leave the file at its
    /// largest); 0: only at shutdown.
    #[arg(long, env = "RUSTBELT_CHECKPOINT_INTERVAL_MS", default_value_t = 30_000)]
    pub checkpoint_interval_ms: u64,

    /// Who folds the write-ahead log into the database file: `server` (this process, every
    /// --checkpoint-interval-ms and at shutdown) or `external` (another process that ships
    /// the log, such as Litestream, which must see every frame before it is folded: the
    /// server then runs no checkpoint at all, not even SQLite's automatic ones).
    #[arg(long, env = "RUSTBELT_CHECKPOINT_MODE", value_enum, default_value_t = CheckpointMode::Server)]
    pub checkpoint_mode: CheckpointMode,

    /// Serve a database file that another process writes (a primary, or LiteFS underneath) and
    /// never write it: no migration, no seed refresh; writes are refused with READ_ONLY_REPLICA.
    #[arg(long, env = "RUSTBELT_READ_ONLY", conflicts_with_all = ["write_token", "write_token_file"])]
    pub read_only: bool,

    /// Where writes go, named in a read-only replica's refusals (e.g. the primary's URL); only
    /// with --read-only.
    // Checked when serving, not by clap's `requires`: the top-level copy of these flags reads
    // RUSTBELT_PRIMARY too, and would refuse `serve --read-only` given to the subcommand.
    #[arg(long, env = "RUSTBELT_PRIMARY")]
    pub primary: Option<String>,

    /// A file whose first line is the write token, so the token is seen neither in the process
    /// list nor in the environment (a mounted secret, say). An empty file is an error.
    #[arg(long, env = "RUSTBELT_WRITE_TOKEN_FILE", conflicts_with = "write_token")]
    pub write_token_file: Option<PathBuf>,

    /// Whether clients may introspect the schema (GraphiQL's docs need it).
    #[arg(long, env = "RUSTBELT_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Read every column of every listed row and resolve every field through async-graphql's
    /// executor: slower, the same answers; for comparing the two (docs/ARCHITECTURE.md).
    #[arg(long, env = "RUSTBELT_READ_EVERYTHING")]
    pub read_everything: bool,
}
