//! Per-field filter operators shared by every list, and sort direction. Each entity's filter
//! input combines these with `and`, `or` and `not`; see `to_filter` on each.
//!
//! List fields take their filter argument boxed (`Option<Box<CityFilter>>`; the schema is the
//! same): a filter is up to 1 KB inline, and async-graphql allocates and copies the future of
//! every field of an object at the size of its largest field's.

use async_graphql::{Enum, InputObject};

use crate::domain::query::{Filter, Op, Scalar};

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first (A→Z, 0→9); nulls first.
    #[default]
    Asc,
    /// Largest first; nulls last.
    Desc,
}

/// Conditions on a text field. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct StringFilter {
    /// Equal to this exact text.
    pub eq: Option<String>,
    /// Not equal to this text (a missing value counts as not equal).
    pub ne: Option<String>,
    /// Equal to one of these.
    #[graphql(name = "in")]
    pub in_: Option<Vec<String>>,
    /// Equal to none of these.
    pub not_in: Option<Vec<String>>,
    /// Contains this text (case-sensitive).
    pub contains: Option<String>,
    /// Starts with this text (case-sensitive).
    pub starts_with: Option<String>,
    /// Equal to this text, ignoring the case of Latin letters (Chinese compares exactly).
    pub eq_ignore_case: Option<String>,
    /// Contains this text, ignoring the case of Latin letters (Chinese compares exactly).
    pub contains_ignore_case: Option<String>,
    /// `true`: the field has no value; `false`: it has one.
    pub is_null: Option<bool>,
}

impl StringFilter {
    /// The conditions on `column`, all of which must hold.
    pub fn on(&self, column: &'static str) -> Filter {
        let text = |s: &String| Scalar::Text(s.clone());
        let mut ops = Vec::new();
        ops.extend(self.eq.as_ref().map(|v| Op::Eq(text(v))));
        ops.extend(self.ne.as_ref().map(|v| Op::Ne(text(v))));
        ops.extend(self.in_.as_ref().map(|v| Op::In(v.iter().map(text).collect())));
        ops.extend(self.not_in.as_ref().map(|v| Op::NotIn(v.iter().map(text).collect())));
        ops.extend(self.contains.clone().map(Op::Contains));
        ops.extend(self.starts_with.clone().map(Op::StartsWith));
        ops.extend(self.eq_ignore_case.clone().map(Op::EqIgnoreCase));
        ops.extend(self.contains_ignore_case.clone().map(Op::ContainsIgnoreCase));
        ops.extend(self.is_null.map(Op::IsNull));
        all(column, ops)
    }
}

/// Conditions on a whole-number field. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct IntFilter {
    /// Equal to.
    pub eq: Option<i64>,
    /// Not equal to.
    pub ne: Option<i64>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<i64>>,
    /// None of.
    pub not_in: Option<Vec<i64>>,
    /// Less than.
    pub lt: Option<i64>,
    /// Less than or equal to.
    pub lte: Option<i64>,
    /// Greater than.
    pub gt: Option<i64>,
    /// Greater than or equal to.
    pub gte: Option<i64>,
}

impl IntFilter {
    /// The conditions on `column`, all of which must hold.
    pub fn on(&self, column: &'static str) -> Filter {
        let ops = numeric(
            [self.eq, self.ne, self.lt, self.lte, self.gt, self.gte].map(|v| v.map(Scalar::Int)),
            [&self.in_, &self.not_in]
                .map(|v| v.as_ref().map(|v| v.iter().map(|i| Scalar::Int(*i)).collect())),
        );
        all(column, ops)
    }
}

/// Conditions on a decimal field. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct FloatFilter {
    /// Equal to.
    pub eq: Option<f64>,
    /// Not equal to.
    pub ne: Option<f64>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<f64>>,
    /// None of.
    pub not_in: Option<Vec<f64>>,
    /// Less than.
    pub lt: Option<f64>,
    /// Less than or equal to.
    pub lte: Option<f64>,
    /// Greater than.
    pub gt: Option<f64>,
    /// Greater than or equal to.
    pub gte: Option<f64>,
    /// `true`: the field has no value; `false`: it has one.
    pub is_null: Option<bool>,
}

impl FloatFilter {
    /// The conditions on `column`, all of which must hold.
    pub fn on(&self, column: &'static str) -> Filter {
        let mut ops = numeric(
            [self.eq, self.ne, self.lt, self.lte, self.gt, self.gte].map(|v| v.map(Scalar::Real)),
            [&self.in_, &self.not_in]
                .map(|v| v.as_ref().map(|v| v.iter().map(|f| Scalar::Real(*f)).collect())),
        );
        ops.extend(self.is_null.map(Op::IsNull));
        all(column, ops)
    }
}

/// `[eq, ne, lt, lte, gt, gte]` and `[in, notIn]` as operators.
fn numeric(single: [Option<Scalar>; 6], lists: [Option<Vec<Scalar>>; 2]) -> Vec<Op> {
    let [eq, ne, lt, lte, gt, gte] = single;
    let [in_, not_in] = lists;
    let mut ops = Vec::new();
    ops.extend(eq.map(Op::Eq));
    ops.extend(ne.map(Op::Ne));
    ops.extend(in_.map(Op::In));
    ops.extend(not_in.map(Op::NotIn));
    ops.extend(lt.map(Op::Lt));
    ops.extend(lte.map(Op::Lte));
    ops.extend(gt.map(Op::Gt));
    ops.extend(gte.map(Op::Gte));
    ops
}

fn all(column: &'static str, ops: Vec<Op>) -> Filter {
    Filter::All(ops.into_iter().map(|op| Filter::Column { column, op }).collect())
}

/// Declares a filter input for a GraphQL enum stored as text.
macro_rules! enum_filter {
    ($(#[$meta:meta])* $name:ident, $enum:ty) => {
        $(#[$meta])*
        #[derive(async_graphql::InputObject, Default, Clone, Debug)]
        pub struct $name {
            /// Equal to.
            pub eq: Option<$enum>,
            /// Not equal to.
            pub ne: Option<$enum>,
            /// One of.
            #[graphql(name = "in")]
            pub in_: Option<Vec<$enum>>,
            /// None of.
            pub not_in: Option<Vec<$enum>>,
        }

        impl $name {
            /// The conditions on `column`, all of which must hold.
            pub fn on(&self, column: &'static str) -> $crate::domain::query::Filter {
                let text = |v: &$enum| (*v).into();
                $crate::graphql::types::filter::StringFilter {
                    eq: self.eq.as_ref().map(text),
                    ne: self.ne.as_ref().map(text),
                    in_: self.in_.as_ref().map(|v| v.iter().map(text).collect()),
                    not_in: self.not_in.as_ref().map(|v| v.iter().map(text).collect()),
                    ..Default::default()
                }
                .on(column)
            }
        }
    };
}
pub(crate) use enum_filter;

/// Combines an entity filter's field conditions with its `and`, `or` and `not` parts.
pub fn combine(
    mut fields: Vec<Filter>,
    and: Option<Vec<Filter>>,
    or: Option<Vec<Filter>>,
    not: Option<Filter>,
) -> Filter {
    fields.extend(and.map(Filter::All));
    fields.extend(or.map(Filter::Any));
    fields.extend(not.map(|f| Filter::Not(Box::new(f))));
    Filter::All(fields)
}
