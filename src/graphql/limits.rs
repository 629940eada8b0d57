//! What is checked before anything runs: the document's size and shape, a list's arguments,
//! and the cost estimate (relation filters included).

pub(crate) mod bounds;
pub(crate) mod cost;
pub(crate) mod related_cost;
pub(crate) mod shape;
