//! Bounds on a list's arguments, checked before any SQL is written. SQLite refuses a statement
//! past its own limits (bound values, expression depth), which would reach the caller as an
//! internal error after the work of getting there; these refuse such arguments at once, with
//! the limit in the message. Under them a filter's SQL stays within SQLite's defaults: at most
//! 8 levels (and/or/not and relation filters together) of about 60 terms side by side is under
//! its expression depth of 1,000, and 5,000 values under its 32,766 bound variables. Relation
//! filters are bounded apart as well, since each is a subquery run for every row it filters.

use crate::domain::query::{Filter, ListQuery, Op};
use crate::graphql::{ApiError, ApiResult};

/// Most `orderBy` keys: no list has more sortable fields than this.
pub const MAX_SORT_KEYS: usize = 10;
/// Most values in one `in` or `notIn` list.
pub const MAX_LIST_VALUES: usize = 1_000;
/// Most `and`/`or`/`not` and relation filter levels inside one another.
pub const MAX_NESTING: usize = 8;
/// Most relation filters inside one another (`cities: { some: { observations: { some: … } } }`
/// is two).
pub const MAX_RELATION_DEPTH: usize = 4;
/// Most relation filters in one filter, in all.
pub const MAX_RELATIONS: usize = 16;
/// Most filters side by side in one `and` or `or` list.
pub const MAX_SIDE_BY_SIDE: usize = 50;
/// Most values one filter compares with, in all.
pub const MAX_VALUES: usize = 5_000;

/// An entity filter's logical parts, and the filters of other entities its relation filters
/// hold.
pub trait Logical: Sized {
    fn and(&self) -> Option<&[Self]>;
    fn or(&self) -> Option<&[Self]>;
    fn not(&self) -> Option<&Self>;
    fn related(&self) -> Vec<&dyn Nested>;
}

/// A filter of any entity, checked from the level it is held at.
pub trait Nested {
    fn logic_at(&self, level: usize) -> ApiResult<()>;
}

impl<F: Logical> Nested for F {
    fn logic_at(&self, level: usize) -> ApiResult<()> {
        logic(self, level)
    }
}

/// Implements [`Logical`] for filter inputs with `and`, `or` and `not` fields, and with the
/// relation filters named after `sets:` (to-many, with `some`/`every`/`none`) and `links:`
/// (to-one, the linked entity's filter).
macro_rules! logical {
    ($filter:ty $(; sets: $($set:ident),+)? $(; links: $($link:ident),+)?) => {
        impl $crate::graphql::limits::bounds::Logical for $filter {
            fn and(&self) -> Option<&[Self]> {
                self.and.as_deref()
            }
            fn or(&self) -> Option<&[Self]> {
                self.or.as_deref()
            }
            fn not(&self) -> Option<&Self> {
                self.not.as_deref()
            }
            fn related(&self) -> Vec<&dyn $crate::graphql::limits::bounds::Nested> {
                let held: Vec<&dyn $crate::graphql::limits::bounds::Nested> = Vec::new();
                $($(let held = [held, self.$set.as_deref().map(|set| set.filters()).unwrap_or_default()].concat();)+)?
                $($(let held = [held, self.$link.as_deref().map(|f| vec![f as _]).unwrap_or_default()].concat();)+)?
                held
            }
        }
    };
}
pub(crate) use logical;

/// `query` as built from `filter`, if both are within bounds.
pub fn checked<F: Logical>(filter: Option<&F>, query: ListQuery) -> ApiResult<ListQuery> {
    sort_keys(query.order.len())?;
    if let Some(input) = filter {
        logic(input, 1)?;
    }
    if let Some(filter) = &query.filter {
        condition(filter)?;
    }
    Ok(query)
}

/// `filter` as built from `input`, if both are within bounds.
pub fn checked_filter<F: Logical>(input: &F, filter: Filter) -> ApiResult<Filter> {
    logic(input, 1)?;
    condition(&filter)?;
    Ok(filter)
}

/// Refuses a condition tree with too many values or relation filters.
fn condition(filter: &Filter) -> ApiResult<()> {
    let (depth, relations) = filter.relations();
    if depth > MAX_RELATION_DEPTH {
        return refuse(format!(
            "the filter nests relation filters {depth} deep; at most {MAX_RELATION_DEPTH} are allowed"
        ));
    }
    if relations > MAX_RELATIONS {
        return refuse(format!(
            "the filter holds {relations} relation filters; at most {MAX_RELATIONS} are allowed"
        ));
    }
    let values = values(filter)?;
    if values > MAX_VALUES {
        return refuse(format!(
            "the filter compares with {values} values in all; at most {MAX_VALUES} are allowed"
        ));
    }
    Ok(())
}

/// Refuses more than [`MAX_SORT_KEYS`] sort keys.
pub fn sort_keys(keys: usize) -> ApiResult<()> {
    if keys > MAX_SORT_KEYS {
        return refuse(format!("orderBy has {keys} keys; at most {MAX_SORT_KEYS} are allowed"));
    }
    Ok(())
}

/// Refuses and/or/not lists past their bounds, at every level; a relation filter's filters are
/// a level below the filter holding them.
fn logic<F: Logical>(filter: &F, level: usize) -> ApiResult<()> {
    let lists = [("and", filter.and()), ("or", filter.or())];
    let related = filter.related();
    let nested =
        lists.iter().any(|(_, list)| list.is_some()) || filter.not().is_some() || !related.is_empty();
    if nested && level > MAX_NESTING {
        return refuse(format!(
            "the filter nests and/or/not and relation filters more than {MAX_NESTING} levels deep; at most {MAX_NESTING} are allowed"
        ));
    }
    related.iter().try_for_each(|child| child.logic_at(level + 1))?;
    for (name, list) in lists {
        let list = list.unwrap_or_default();
        if list.len() > MAX_SIDE_BY_SIDE {
            let n = list.len();
            return refuse(format!(
                "an `{name}` list holds {n} filters; at most {MAX_SIDE_BY_SIDE} are allowed"
            ));
        }
        list.iter().try_for_each(|child| logic(child, level + 1))?;
    }
    filter.not().map_or(Ok(()), |child| logic(child, level + 1))
}

/// The values `filter` compares with, refusing an `in` or `notIn` list over its bound.
fn values(filter: &Filter) -> ApiResult<usize> {
    match filter {
        Filter::All(children) | Filter::Any(children) => children.iter().map(values).sum(),
        Filter::Not(child) => values(child),
        Filter::Column { op: Op::In(list) | Op::NotIn(list), .. } if list.len() > MAX_LIST_VALUES => {
            let n = list.len();
            refuse(format!("an `in` or `notIn` list holds {n} values; at most {MAX_LIST_VALUES} are allowed"))
        }
        Filter::Column { op: Op::In(list) | Op::NotIn(list), .. } => Ok(list.len()),
        Filter::Column { .. } => Ok(1),
        Filter::Related(related) => {
            Ok(related.within.as_ref().map_or(Ok(0), values)? + values(&related.filter)?)
        }
    }
}

fn refuse<T>(message: String) -> ApiResult<T> {
    Err(ApiError::BadUserInput(message).into())
}
