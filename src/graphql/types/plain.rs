//! A page's objects are answered in one step: their plain fields straight from each object,
//! and only the fields with selections of their own through async-graphql's executor.
//!
//! A plain field is a scalar or enum without arguments, or `__typename`, under any alias, in
//! any fragment that applies. async-graphql makes a boxed future for every field of every
//! object, polls them as a set and hashes each answer into the object's map as it comes; for a
//! page of rows whose fields are values already in memory that is most of the request's work.
//! Here the page's selection is read once into a plan (response keys in the order the document
//! gives them, each a plain getter or a field to resolve), every object is built from it, and
//! the fields that need the executor (links, lists, evaluations) are resolved for all the
//! page's objects at once, so their loaders still batch. A selection this module does not
//! handle (a response key selected twice with selections to merge, a directive other than
//! `@skip`/`@include`) goes through the executor whole, as a list always did. async-graphql
//! would also call a schema extension's field hook around each field; the one extension here
//! (subscription events' loaders, [`crate::graphql::request::events`]) hooks whole executions
//! only, so no answer differs. `tests/api/plain_objects.rs` checks, over random selections, that both ways
//! answer the same bytes.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{ContainerType, resolve_list};
use async_graphql::{
    ContextSelectionSet, EnumType, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
};

/// Set on the schema (`--read-everything`): every page is answered by the executor and read
/// whole ([`crate::graphql::types::paging::reading`]), to compare answers with.
pub struct ReadEverything;

/// Reads one plain field's answer from an object.
pub type Getter<T> = fn(&T) -> Value;

/// An object type whose plain fields can be read without the executor.
pub trait PlainFields: ContainerType + Sized {
    /// The getter of the plain field the schema calls `name`, if it is one of this type's.
    /// A field not named here is resolved by the executor, which is always correct.
    fn plain(name: &str) -> Option<Getter<Self>> {
        let _ = name;
        None
    }

    /// The text columns of the type's table the field `name` shows, for a page that reads
    /// only those ([`crate::graphql::types::paging::reading`]); `None`, the default, for a
    /// field that may read any.
    fn texts(name: &str) -> Option<&'static [&'static str]> {
        let _ = name;
        None
    }
}

/// A scalar's answer, as async-graphql gives it.
pub fn scalar<S: ScalarType>(value: S) -> Value {
    value.to_value()
}

/// A text's answer.
pub fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// An enum's answer, as async-graphql gives it.
pub fn enumerated<E: EnumType>(value: E) -> Value {
    async_graphql::resolver_utils::enum_value(value)
}

/// A nullable value's answer: null for `None`.
pub fn optional<V>(value: Option<V>, answer: fn(V) -> Value) -> Value {
    value.map_or(Value::Null, answer)
}

/// The objects of a page, answered as this module says. In the schema it is the list it holds.
pub struct Nodes<T>(pub Vec<T>);

impl<T: PlainFields> OutputType for Nodes<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        match Plan::of(ctx) {
            Some(plan) => Ok(plan.answer(ctx, &self.0).await),
            None => resolve_list(ctx, field, &self.0, Some(self.0.len())).await,
        }
    }
}

/// How one response key is answered.
enum Answer<'a, T> {
    Plain(Getter<T>),
    Typename,
    Resolved(&'a Positioned<Field>),
}

/// A page's selection, read once: its response keys in order, each with its answer.
struct Plan<'a, T> {
    keys: Vec<(Name, Answer<'a, T>)>,
}

impl<'a, T: PlainFields> Plan<'a, T> {
    /// The plan of the selection `ctx` holds, or `None` where the executor must answer it.
    fn of(ctx: &ContextSelectionSet<'a>) -> Option<Self> {
        if ctx.data_opt::<ReadEverything>().is_some() {
            return None;
        }
        let mut plan = Plan { keys: Vec::new() };
        plan.collect(ctx, &ctx.item.node)?;
        Some(plan)
    }

    /// Adds the fields of `set` as the spec's CollectFields orders them; `None` for what is
    /// left to the executor.
    fn collect(&mut self, ctx: &ContextSelectionSet<'a>, set: &'a SelectionSet) -> Option<()> {
        for selection in &set.items {
            let (condition, inner) = match &selection.node {
                Selection::Field(field) => {
                    self.add(field)?;
                    continue;
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = ctx.query_env.fragments.get(&spread.node.fragment_name.node)?;
                    (Some(&fragment.node.type_condition.node.on.node), &fragment.node.selection_set.node)
                }
                Selection::InlineFragment(inline) => (
                    inline.node.type_condition.as_ref().map(|c| &c.node.on.node),
                    &inline.node.selection_set.node,
                ),
            };
            if condition.is_none_or(|condition| applies(ctx, condition.as_str(), &T::type_name())) {
                self.collect(ctx, inner)?;
            }
        }
        Some(())
    }

    fn add(&mut self, field: &'a Positioned<Field>) -> Option<()> {
        let node = &field.node;
        // `@skip` and `@include` were applied before execution; any other directive runs in
        // the executor.
        if node.directives.iter().any(|d| !matches!(d.node.name.node.as_str(), "skip" | "include")) {
            return None;
        }
        let key = node.response_key().node.clone();
        let answer = match node.name.node.as_str() {
            "__typename" => Answer::Typename,
            name => T::plain(name).map_or(Answer::Resolved(field), Answer::Plain),
        };
        match self.keys.iter().find(|(k, _)| *k == key) {
            // The same plain field again (validation allows nothing else under one key).
            Some((_, Answer::Plain(_) | Answer::Typename)) => Some(()),
            // Two selections to merge under one key: the executor's work.
            Some((_, Answer::Resolved(_))) => None,
            None => {
                self.keys.push((key, answer));
                Some(())
            }
        }
    }

    /// Every object of `items`, built from the plan; the fields it leaves to the executor are
    /// resolved for all objects together, and one that fails is left out of its object with
    /// its error reported, as the executor does.
    async fn answer(&self, ctx: &ContextSelectionSet<'_>, items: &[T]) -> Value {
        let typename = T::type_name();
        let mut objects: Vec<IndexMap<Name, Value>> = items
            .iter()
            .map(|item| {
                let mut object = IndexMap::with_capacity(self.keys.len());
                for (key, answer) in &self.keys {
                    let value = match answer {
                        Answer::Plain(get) => get(item),
                        Answer::Typename => Value::String(typename.to_string()),
                        Answer::Resolved(_) => Value::Null, // holds the key's place
                    };
                    object.insert(key.clone(), value);
                }
                object
            })
            .collect();
        let resolved = self.keys.iter().enumerate().filter_map(|(at, (_, answer))| match answer {
            Answer::Resolved(field) => Some((at, *field)),
            _ => None,
        });
        let resolving: Vec<_> = resolved
            .flat_map(|(at, field)| {
                items.iter().enumerate().map(move |(index, item)| async move {
                    let ctx_item = ctx.with_index(index);
                    let ctx_field = ctx_item.with_field(field);
                    (index, at, item.resolve_field(&ctx_field).await)
                })
            })
            .collect();
        let mut failed = Vec::new();
        for (index, at, result) in futures_util::future::join_all(resolving).await {
            match result {
                Ok(value) => objects[index][at] = value.unwrap_or_default(),
                Err(error) => {
                    ctx.add_error(error);
                    failed.push((index, at));
                }
            }
        }
        // Last key first, so the positions of the others stay right.
        failed.sort_unstable_by(|a, b| b.cmp(a));
        for (index, at) in failed {
            objects[index].shift_remove_index(at);
        }
        Value::List(
            objects
                .into_iter()
                .map(|object| if object.is_empty() { Value::Null } else { Value::Object(object) })
                .collect(),
        )
    }
}

/// Whether a fragment on `condition` applies to an object of type `object`: the type itself or
/// an interface it implements.
fn applies(ctx: &ContextSelectionSet<'_>, condition: &str, object: &str) -> bool {
    condition == object
        || ctx
            .schema_env
            .registry
            .implements
            .get(object)
            .is_some_and(|interfaces| interfaces.contains(condition))
}
