//! How one request runs: its document kept and checked, its lane by the cost estimate, its
//! turn, its loaders and read session, the order of its answer's fields, subscription events,
//! operations over a socket, and the documents known by hash or saved as views.

pub(crate) mod admission;
pub(crate) mod documents;
pub(crate) mod events;
pub(crate) mod field_order;
pub(crate) mod live;
pub(crate) mod loaders;
pub mod persisted;
pub(crate) mod respond;
pub mod views;
