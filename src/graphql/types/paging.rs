//! Relay connections: checking paging arguments, opaque cursors, and building a connection
//! from a page of rows.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::db::Listed;
use crate::domain::query::{ListQuery, Page, Texts};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::types::city::CityNode;
use crate::graphql::types::evaluation::EvaluationNode;
use crate::graphql::types::indicator::IndicatorNode;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::types::plain::{Nodes, PlainFields, ReadEverything};
use crate::graphql::types::province::ProvinceNode;
use crate::graphql::types::ranking::RankNode;
use crate::graphql::types::target::TargetNode;

/// Page-size bounds, set once on the schema.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Rows in a page when neither `first` nor `last` is given.
    pub default_size: u32,
    /// Most rows one page may hold; asking for more is an error, never a silent cut.
    pub max_size: u32,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self { default_size: 50, max_size: 500 }
    }
}

/// Where a page lies in its list (Relay PageInfo).
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether items exist after this page: pass `endCursor` as `after` to read them.
    pub has_next_page: bool,
    /// Whether items exist before this page: pass `startCursor` as `before` to read them.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page; null when the page is empty.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page; null when the page is empty.
    pub end_cursor: Option<String>,
}

/// One item of a page with its cursor (Relay edge).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
#[graphql(concrete(name = "ProvinceEdge", params(ProvinceNode)))]
#[graphql(concrete(name = "CityEdge", params(CityNode)))]
#[graphql(concrete(name = "IndicatorEdge", params(IndicatorNode)))]
#[graphql(concrete(name = "TargetEdge", params(TargetNode)))]
#[graphql(concrete(name = "ObservationEdge", params(ObservationNode)))]
#[graphql(concrete(name = "TargetEvaluationEdge", params(EvaluationNode)))]
#[graphql(concrete(name = "CityRankEdge", params(RankNode)))]
pub struct Edge<N: OutputType> {
    /// The item's offset in the whole list, made a cursor only when one is asked for.
    #[graphql(skip)]
    pub offset: u32,
    /// The item.
    pub node: N,
}

#[ComplexObject]
impl<N: OutputType> Edge<N> {
    /// Opaque position of the item; pass it as `after` or `before` to page from here.
    async fn cursor(&self) -> String {
        cursor(self.offset)
    }
}

/// A page of a list (Relay connection): its items, with and without cursors, where the page
/// lies in the list, and how many items the whole filtered list holds.
#[derive(SimpleObject)]
#[graphql(concrete(name = "ProvinceConnection", params(ProvinceNode)))]
#[graphql(concrete(name = "IndicatorConnection", params(IndicatorNode)))]
#[graphql(concrete(name = "TargetConnection", params(TargetNode)))]
#[graphql(concrete(name = "ObservationConnection", params(ObservationNode)))]
#[graphql(concrete(name = "CityRankConnection", params(RankNode)))]
pub struct Conn<N: PlainFields>
where
    Edge<N>: OutputType,
{
    /// The page's items with their cursors.
    pub edges: Vec<Edge<N>>,
    /// The page's items, for clients that need no cursors.
    pub nodes: Nodes<N>,
    /// Where the page lies in the list.
    pub page_info: PageInfo,
    /// Number of items in the whole list (all pages) after the filter.
    pub total_count: u32,
}

/// `query`, reading only the text columns the connection being resolved shows in its nodes
/// (`nodes` and `edges { node }`), decided once for the connection, not per row.
pub fn reading<N: PlainFields>(ctx: &Context<'_>, mut query: ListQuery) -> ListQuery {
    if ctx.data_opt::<ReadEverything>().is_some() {
        return query;
    }
    let mut texts = Texts::Only(Vec::new());
    let mut add = |node: async_graphql::SelectionField<'_>| {
        for field in node.selection_set().filter(|f| f.name() != "__typename") {
            texts = std::mem::take(&mut texts).and(N::texts(field.name()));
        }
    };
    for field in ctx.field().selection_set() {
        match field.name() {
            "nodes" => add(field),
            "edges" => field.selection_set().filter(|f| f.name() == "node").for_each(&mut add),
            _ => {}
        }
    }
    query.texts = texts;
    query
}

const CURSOR_PREFIX: &str = "offset:";

/// The opaque cursor of the row at `offset`.
pub fn cursor(offset: u32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<u32, ApiError> {
    let invalid = || ApiError::InvalidCursor(cursor.chars().take(64).collect());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(CURSOR_PREFIX).and_then(|n| n.parse().ok()).ok_or_else(invalid)
}

fn size(name: &str, value: Option<i32>, limits: PageLimits) -> Result<Option<u32>, ApiError> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(ApiError::BadUserInput(format!("`{name}` must be zero or more; it was {n}"))),
        Some(n) if n as u32 > limits.max_size => {
            Err(ApiError::PageSizeLimit { asked: i64::from(n), max: limits.max_size })
        }
        Some(n) => Ok(Some(n as u32)),
    }
}

/// Checks Relay arguments and turns them into a [`Page`]. With neither `first` nor `last`,
/// the page holds the default number of rows from the start (or from `after`).
pub fn page(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> ApiResult<Page> {
    let limits = ctx.data_opt::<PageLimits>().copied().unwrap_or_default();
    let mut page = Page {
        first: size("first", first, limits)?,
        after: after.as_deref().map(decode_cursor).transpose()?,
        last: size("last", last, limits)?,
        before: before.as_deref().map(decode_cursor).transpose()?,
    };
    if page.first.is_none() && page.last.is_none() {
        page.first = Some(limits.default_size);
    }
    Ok(page)
}

/// Builds a connection from a page of rows shared with a loader, wrapping each as a node.
pub fn connection<T, N>(page: &Page, listed: &Listed<Arc<T>>, wrap: impl Fn(Arc<T>) -> N) -> Conn<N>
where
    N: PlainFields + Clone,
    Edge<N>: OutputType,
{
    build(page, listed.total, listed.rows.iter().map(|(offset, row)| (*offset, wrap(row.clone()))))
}

/// Builds a connection from a page of rows read for this field alone.
pub fn owned_connection<T, N>(page: &Page, listed: Listed<T>, wrap: impl Fn(Arc<T>) -> N) -> Conn<N>
where
    N: PlainFields + Clone,
    Edge<N>: OutputType,
{
    build(page, listed.total, listed.rows.into_iter().map(|(offset, row)| (offset, wrap(Arc::new(row)))))
}

/// Builds a connection from nodes with their offsets in a list of `total`.
pub fn build<N>(page: &Page, total: u32, nodes: impl Iterator<Item = (u32, N)>) -> Conn<N>
where
    N: PlainFields + Clone,
    Edge<N>: OutputType,
{
    let window = page.window(total);
    let edges: Vec<Edge<N>> = nodes.map(|(offset, node)| Edge { offset, node }).collect();
    let page_info = PageInfo {
        has_next_page: window.has_next(),
        has_previous_page: window.has_previous(),
        start_cursor: edges.first().map(|e| cursor(e.offset)),
        end_cursor: edges.last().map(|e| cursor(e.offset)),
    };
    // Nodes are reference-counted, so listing them twice (edges and nodes) copies no data.
    let nodes = Nodes(edges.iter().map(|e| e.node.clone()).collect());
    Conn { edges, nodes, page_info, total_count: total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_foreign_text() {
        assert_eq!(decode_cursor(&cursor(41)).ok(), Some(41));
        assert!(decode_cursor("not a cursor").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("offset:-1")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("id:3")).is_err());
    }
}
