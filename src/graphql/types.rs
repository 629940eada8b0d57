//! The API's types: the roots (query, mutation, subscription), one module per object type
//! with its filter and order inputs, and the pieces they share (enums, filters, paging, lists).

pub(crate) mod city;
pub(crate) mod enums;
pub(crate) mod evaluation;
pub(crate) mod facets;
pub(crate) mod filter;
pub(crate) mod gaps;
pub(crate) mod indicator;
pub(crate) mod lists;
pub(crate) mod mutation;
pub(crate) mod node;
pub(crate) mod observation;
pub(crate) mod paging;
pub(crate) mod plain;
pub(crate) mod plan;
pub(crate) mod province;
pub(crate) mod query;
pub(crate) mod ranking;
pub(crate) mod related;
pub(crate) mod rollup;
pub(crate) mod status_tally;
pub(crate) mod subscription;
pub(crate) mod target;
pub(crate) mod target_evaluations;
pub(crate) mod template;
