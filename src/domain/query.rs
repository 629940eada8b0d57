//! What a list request asks for, independent of SQL and GraphQL: a filter tree, sort keys and a
//! Relay page, plus the one place where a page becomes a window of rows.
//!
//! Columns are `&'static str` chosen by the GraphQL layer from a fixed table per entity, never
//! text from a request, so the SQL builder can name them safely; values are always bound.

/// A value to compare a column with.
#[derive(Debug, Clone)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Real(f64),
}

// Queries are equal, and hash alike, when they are written alike: reals compare by their bits
// (request values are finite, so this differs from `==` only in telling 0.0 from -0.0), which
// makes a query usable as a key.
impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Scalar::Text(a), Scalar::Text(b)) => a == b,
            (Scalar::Int(a), Scalar::Int(b)) => a == b,
            (Scalar::Real(a), Scalar::Real(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Scalar {}

impl std::hash::Hash for Scalar {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Scalar::Text(text) => text.hash(state),
            Scalar::Int(int) => int.hash(state),
            Scalar::Real(real) => real.to_bits().hash(state),
        }
    }
}

/// A comparison of one column with request values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    Eq(Scalar),
    Ne(Scalar),
    In(Vec<Scalar>),
    NotIn(Vec<Scalar>),
    Lt(Scalar),
    Lte(Scalar),
    Gt(Scalar),
    Gte(Scalar),
    /// Substring, case-sensitive.
    Contains(String),
    /// Prefix, case-sensitive.
    StartsWith(String),
    /// Whole value, ignoring ASCII case (Chinese has no case, so it compares exactly).
    EqIgnoreCase(String),
    /// Substring, ignoring ASCII case.
    ContainsIgnoreCase(String),
    /// `true`: the column is null; `false`: it has a value.
    IsNull(bool),
}

/// A boolean tree of column conditions and conditions on related rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Filter {
    /// Every child holds (an empty list holds).
    All(Vec<Filter>),
    /// At least one child holds (an empty list does not hold).
    Any(Vec<Filter>),
    /// The child does not hold.
    Not(Box<Filter>),
    /// One column condition.
    Column { column: &'static str, op: Op },
    /// A condition on the rows a relation links the row to.
    Related(Box<Related>),
}

/// A way from one entity's rows to related rows, as filters follow it: to many (a city's
/// observations) or to one (an observation's city).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// A city's observations.
    CityObservations,
    /// The sources cited for a city, each with its grade.
    CitySources,
    /// The province a city lies in.
    CityProvince,
    /// A province's cities.
    ProvinceCities,
    /// A province's observations as a whole (not its cities').
    ProvinceObservations,
    /// An indicator's observations, of every subject.
    IndicatorObservations,
    /// The targets set on an indicator.
    IndicatorTargets,
    /// The city an observation is of (none for a province's or the plan area's).
    ObservationCity,
    /// The province an observation is of as a whole (none for a city's or the plan area's).
    ObservationProvince,
    /// The indicator an observation is of.
    ObservationIndicator,
    /// The indicator a target is set on.
    TargetIndicator,
}

/// How many of the related rows must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// At least one.
    Some,
    /// All of them: true when there are none.
    Every,
    /// Not one: true when there are none.
    None,
}

/// A condition on related rows: which rows a relation links to count (`within`: the
/// relation's own scope, e.g. confirmed entries only), and how many of those must match
/// `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Related {
    pub relation: Relation,
    pub quantifier: Quantifier,
    pub within: Option<Filter>,
    pub filter: Filter,
}

impl Filter {
    /// `filter` must hold for `quantifier` of the rows `relation` links to within `within`.
    pub fn related(
        relation: Relation,
        quantifier: Quantifier,
        within: Option<Filter>,
        filter: Filter,
    ) -> Self {
        Filter::Related(Box::new(Related { relation, quantifier, within, filter }))
    }

    /// The deepest nesting of relation conditions in the tree, and how many there are in all.
    pub fn relations(&self) -> (usize, usize) {
        match self {
            Filter::All(children) | Filter::Any(children) => {
                children.iter().map(Filter::relations).fold((0, 0), |(d, n), (cd, cn)| (d.max(cd), n + cn))
            }
            Filter::Not(child) => child.relations(),
            Filter::Column { .. } => (0, 0),
            Filter::Related(related) => {
                let (within_depth, within_count) = related.within.as_ref().map_or((0, 0), Filter::relations);
                let (depth, count) = related.filter.relations();
                (1 + depth.max(within_depth), 1 + count + within_count)
            }
        }
    }
}

/// One sort key; the list always ends with the entity's primary key so order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortKey {
    pub column: &'static str,
    pub descending: bool,
}

/// Relay paging arguments, already checked: counts are non-negative, cursors decoded to offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Page {
    pub first: Option<u32>,
    /// Offset of the row the page starts after.
    pub after: Option<u32>,
    pub last: Option<u32>,
    /// Offset of the row the page ends before.
    pub before: Option<u32>,
}

/// The rows `[start, end)` of a list of `total` rows that a [`Page`] selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub end: u32,
    pub total: u32,
}

impl Window {
    /// Whether rows exist before the window.
    pub fn has_previous(&self) -> bool {
        self.start > 0
    }

    /// Whether rows exist after the window.
    pub fn has_next(&self) -> bool {
        self.end < self.total
    }
}

impl Page {
    /// Applies the Relay cursor-connections algorithm (after, before, then first, then last) to
    /// a list of `total` rows. An `after` past the end or a `before` at the start gives an empty
    /// window, never an error.
    pub fn window(&self, total: u32) -> Window {
        let start = self.after.map_or(0, |a| a.saturating_add(1)).min(total);
        let end = self.before.map_or(total, |b| b.min(total)).max(start);
        let end = self.first.map_or(end, |f| end.min(start.saturating_add(f)));
        let start = self.last.map_or(start, |l| start.max(end.saturating_sub(l)));
        Window { start, end, total }
    }
}

/// A whole list request: which rows, in which order, which page, and which of their text
/// columns to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub order: Vec<SortKey>,
    pub page: Page,
    pub texts: Texts,
}

/// Which of a table's text columns a list reads. Text is copied out of every row read, so a
/// list reads one only when a field asked for shows it; the other columns (keys, numbers,
/// enums) cost next to nothing and are always read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Texts {
    #[default]
    All,
    /// Only these (column names), sorted: two selections that show the same columns make the
    /// same query, and share its statement.
    Only(Vec<&'static str>),
}

impl Texts {
    /// These and `more`: `None` (a field that may read any) makes it all of them.
    pub fn and(self, more: Option<&'static [&'static str]>) -> Self {
        match (self, more) {
            (Texts::All, _) | (_, None) => Texts::All,
            (Texts::Only(mut columns), Some(more)) => {
                columns.extend(more);
                columns.sort_unstable();
                columns.dedup();
                Texts::Only(columns)
            }
        }
    }

    /// Whether `column` is read.
    pub fn reads(&self, column: &str) -> bool {
        match self {
            Texts::All => true,
            Texts::Only(columns) => columns.contains(&column),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(first: Option<u32>, after: Option<u32>, last: Option<u32>, before: Option<u32>) -> Page {
        Page { first, after, last, before }
    }

    fn hash_of(query: &ListQuery) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        query.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn queries_written_alike_are_one_key() {
        let query = |value: f64, first: u32| ListQuery {
            texts: Texts::All,
            filter: Some(Filter::Column { column: "value", op: Op::Gt(Scalar::Real(value)) }),
            order: vec![SortKey { column: "year", descending: true }],
            page: page(Some(first), None, None, None),
        };
        assert_eq!(query(1.5, 10), query(1.5, 10));
        assert_eq!(hash_of(&query(1.5, 10)), hash_of(&query(1.5, 10)));
        assert_ne!(query(1.5, 10), query(2.5, 10));
        assert_ne!(query(1.5, 10), query(1.5, 11));
        assert_ne!(Scalar::Int(1), Scalar::Real(1.0));
    }

    #[test]
    fn relation_conditions_are_counted_in_all_and_by_depth() {
        let leaf = || Filter::Column { column: "year", op: Op::Eq(Scalar::Int(2012)) };
        let inner = Filter::related(Relation::CityObservations, Quantifier::Every, None, leaf());
        let scoped = Filter::related(Relation::ProvinceCities, Quantifier::Some, Some(inner.clone()), inner);
        let filter = Filter::All(vec![
            Filter::Not(Box::new(scoped)),
            Filter::Any(vec![
                leaf(),
                Filter::related(Relation::ObservationCity, Quantifier::Some, None, leaf()),
            ]),
        ]);
        assert_eq!(filter.relations(), (2, 4));
        assert_eq!(leaf().relations(), (0, 0));
    }

    #[test]
    fn first_page_of_ten() {
        let w = page(Some(4), None, None, None).window(10);
        assert_eq!((w.start, w.end), (0, 4));
        assert!(!w.has_previous() && w.has_next());
    }

    #[test]
    fn after_and_first_reach_the_end_exactly() {
        let w = page(Some(4), Some(5), None, None).window(10);
        assert_eq!((w.start, w.end), (6, 10));
        assert!(w.has_previous() && !w.has_next());
    }

    #[test]
    fn last_counts_back_from_before() {
        let w = page(None, None, Some(3), Some(5)).window(10);
        assert_eq!((w.start, w.end), (2, 5));
        let w = page(None, None, Some(3), None).window(10);
        assert_eq!((w.start, w.end), (7, 10));
    }

    #[test]
    fn out_of_range_cursors_give_empty_windows() {
        let w = page(None, Some(50), None, None).window(10);
        assert_eq!((w.start, w.end), (10, 10));
        let w = page(None, Some(5), None, Some(3)).window(10);
        assert_eq!(w.start, w.end);
        let w = page(Some(0), None, None, None).window(10);
        assert_eq!((w.start, w.end), (0, 0));
    }
}
