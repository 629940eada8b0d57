//! The benchmarks' floor: fixed response bytes served from memory by a trivial axum handler, on
//! the same runtime as rustbelt (tokio's multi-threaded scheduler, default worker count), so
//! `rustbelt ÷ floor` measures what the GraphQL server adds over moving the same bytes.
//!
//! Usage: `cargo run --release --example floor -- BODY_FILE` — prints `listening on http://…`
//! and answers every POST to `/graphql` with the file's bytes as `application/json`.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: floor BODY_FILE");
    let body = Bytes::from(std::fs::read(&path)?);
    let app = Router::new().route(
        "/graphql",
        // The request body is read, as rustbelt reads it, and ignored.
        post(move |_request: Bytes| {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
