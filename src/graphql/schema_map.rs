//! The schema's types as the cost estimate and the response ordering walk them: each field's
//! type, and which object types an abstract type may be. Read once from the SDL, so it is the
//! served schema by construction.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};

/// A field's type: its named type, and whether it is a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldType {
    pub name: String,
    pub list: bool,
}

/// Every object and interface type's fields, and the implementers of each interface or union.
pub struct SchemaMap {
    fields: HashMap<String, HashMap<String, FieldType>>,
    possible: HashMap<String, Vec<String>>,
    /// List items a whole introspection answer (`__schema`) can hold, and one type's
    /// (`__type`) at most.
    pub introspection: Introspection,
    /// The named type of each field's `filter` argument, by parent and field.
    filters: HashMap<(String, String), String>,
}

/// How large introspection answers can be, in list items.
#[derive(Debug, Clone, Copy, Default)]
pub struct Introspection {
    pub schema: u64,
    pub largest_type: u64,
}

/// List items of the types every schema has beside its own (the scalars, and the introspection
/// types with their fields, arguments and enum values), which the SDL does not print.
const BUILT_IN_ITEMS: u64 = 120;

impl SchemaMap {
    /// The served schema's map.
    pub fn get() -> &'static Self {
        static MAP: OnceLock<SchemaMap> = OnceLock::new();
        MAP.get_or_init(|| Self::from_sdl(crate::graphql::sdl()))
    }

    fn from_sdl(sdl: &str) -> Self {
        let document = async_graphql::parser::parse_schema(sdl).expect("the schema's own SDL parses");
        let mut map = Self {
            fields: HashMap::new(),
            possible: HashMap::new(),
            introspection: Default::default(),
            filters: HashMap::new(),
        };
        map.introspection.schema = BUILT_IN_ITEMS;
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Type(definition) => {
                    let items = type_items(&definition.node.kind);
                    map.introspection.schema += items;
                    map.introspection.largest_type = map.introspection.largest_type.max(items);
                }
                TypeSystemDefinition::Directive(directive) => {
                    map.introspection.schema += 1 + directive.node.arguments.len() as u64;
                }
                TypeSystemDefinition::Schema(_) => {}
            }
        }
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else { continue };
            let name = definition.node.name.node.to_string();
            let fields = match definition.node.kind {
                TypeKind::Object(object) => {
                    for interface in &object.implements {
                        map.possible.entry(interface.node.to_string()).or_default().push(name.clone());
                    }
                    object.fields
                }
                TypeKind::Interface(interface) => interface.fields,
                TypeKind::Union(union) => {
                    let members = union.members.iter().map(|m| m.node.to_string()).collect();
                    map.possible.insert(name, members);
                    continue;
                }
                _ => continue,
            };
            for field in &fields {
                let filter = field.node.arguments.iter().find(|a| a.node.name.node == "filter");
                if let Some(BaseType::Named(ty)) = filter.map(|a| &a.node.ty.node.base) {
                    map.filters.insert((name.clone(), field.node.name.node.to_string()), ty.to_string());
                }
            }
            let fields = fields.into_iter().map(|f| {
                let (mut ty, mut list) = (&f.node.ty.node, false);
                while let BaseType::List(inner) = &ty.base {
                    (ty, list) = (inner, true);
                }
                let BaseType::Named(named) = &ty.base else { unreachable!("lists were unwrapped") };
                (f.node.name.node.to_string(), FieldType { name: named.to_string(), list })
            });
            map.fields.insert(name, fields.collect());
        }
        map
    }

    /// The type of `field` on `parent`; `None` for introspection fields and unknown names.
    pub fn field(&self, parent: &str, field: &str) -> Option<&FieldType> {
        self.fields.get(parent)?.get(field)
    }

    /// The input type of the `filter` argument of `field` on `parent`, if it takes one.
    pub fn filter(&self, parent: &str, field: &str) -> Option<&str> {
        self.filters.get(&(parent.to_string(), field.to_string())).map(String::as_str)
    }

    /// Whether `name` is an object or interface type (a type with fields).
    pub fn has_fields(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Whether `name` is an interface or a union: its values are of one of several object types.
    pub fn is_abstract(&self, name: &str) -> bool {
        self.possible.contains_key(name)
    }

    /// The object types a value of `name` may have (itself, for an object type).
    pub fn possible_types<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        match self.possible.get(name) {
            Some(types) => types.iter().map(String::as_str).collect(),
            None => vec![name],
        }
    }

    /// Whether a fragment on `condition` applies to a value of object type `object`.
    pub fn applies(&self, condition: &str, object: &str) -> bool {
        condition == object
            || self.possible.get(condition).is_some_and(|types| types.iter().any(|t| t == object))
    }

    /// Every field and list type the schema has, as (parent, field, type): for checking that
    /// each has a cost rule.
    #[cfg(test)]
    pub fn all_fields(&self) -> impl Iterator<Item = (&str, &str, &FieldType)> {
        self.fields
            .iter()
            .flat_map(|(parent, fields)| fields.iter().map(move |(f, t)| (parent.as_str(), f.as_str(), t)))
    }
}

/// The list items one type adds to an introspection answer: itself, its fields with their
/// arguments, its enum values, input fields, interfaces and members.
fn type_items(kind: &TypeKind) -> u64 {
    let fields = |fields: &[async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>]| {
        fields.iter().map(|f| 1 + f.node.arguments.len() as u64).sum::<u64>()
    };
    1 + match kind {
        TypeKind::Object(object) => fields(&object.fields) + object.implements.len() as u64,
        TypeKind::Interface(interface) => fields(&interface.fields) + interface.implements.len() as u64,
        TypeKind::Union(union) => union.members.len() as u64,
        TypeKind::Enum(values) => values.values.len() as u64,
        TypeKind::InputObject(input) => input.fields.len() as u64,
        TypeKind::Scalar => 0,
    }
}

/// One step through a selection set: a field with the type its parent has at that point
/// (fragments may narrow it), whatever fragments it came through.
pub struct Visited<'a> {
    pub parent: &'a str,
    pub field: &'a async_graphql::parser::types::Field,
}

/// Visits every field of `set` in document order, entering fragment spreads and inline
/// fragments (each spread at most once on the way down, so a cyclic document, which
/// validation refuses, cannot loop), until `visit` breaks off. `keep` says whether a fragment
/// on a type condition is entered, given the parent type there and the condition.
pub fn each_field<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    parent: &'a str,
    keep: &dyn Fn(&str) -> bool,
    visit: &mut dyn FnMut(Visited<'a>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    fn walk<'a>(
        document: &'a ExecutableDocument,
        set: &'a SelectionSet,
        parent: &'a str,
        keep: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(Visited<'a>) -> ControlFlow<()>,
        entered: &mut Vec<&'a str>,
    ) -> ControlFlow<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => visit(Visited { parent, field: &field.node })?,
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = document.fragments.get(name) else { continue };
                    let condition = fragment.node.type_condition.node.on.node.as_str();
                    if entered.contains(&name) || !keep(condition) {
                        continue;
                    }
                    entered.push(name);
                    walk(document, &fragment.node.selection_set.node, condition, keep, visit, entered)?;
                    entered.pop();
                }
                Selection::InlineFragment(inline) => {
                    let condition =
                        inline.node.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                    if keep(condition) {
                        walk(document, &inline.node.selection_set.node, condition, keep, visit, entered)?;
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
    walk(document, set, parent, keep, visit, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_knows_lists_connections_and_the_node_interface() {
        let map = SchemaMap::get();
        assert_eq!(
            map.field("Province", "cities"),
            Some(&FieldType { name: "CityConnection".into(), list: false })
        );
        assert_eq!(
            map.field("City", "evaluation"),
            Some(&FieldType { name: "TargetEvaluation".into(), list: true })
        );
        assert!(map.is_abstract("Node") && map.possible_types("Node").contains(&"City"));
        assert!(
            map.applies("Node", "City") && map.applies("City", "City") && !map.applies("Province", "City")
        );
        assert_eq!(map.filter("Province", "cities"), Some("CityFilter"));
        assert_eq!(map.filter("Target", "evaluations"), Some("CityEvaluationFilter"));
        assert_eq!(map.filter("Province", "code"), None);
    }

    /// The list items of an answer, at every depth.
    fn items(value: &async_graphql::Value) -> u64 {
        match value {
            async_graphql::Value::List(list) => list.len() as u64 + list.iter().map(items).sum::<u64>(),
            async_graphql::Value::Object(object) => object.values().map(items).sum(),
            _ => 0,
        }
    }

    const TYPE_REF: &str = "fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

    /// GraphiQL's introspection query, every list selected.
    fn whole_schema() -> String {
        format!(
            "{{ __schema {{ queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }}
                 types {{ kind name description specifiedByURL
                   fields(includeDeprecated: true) {{ name description args(includeDeprecated: true) {{ name type {{ ...T }} defaultValue }} type {{ ...T }} isDeprecated deprecationReason }}
                   inputFields(includeDeprecated: true) {{ name type {{ ...T }} defaultValue }}
                   interfaces {{ ...T }} enumValues(includeDeprecated: true) {{ name isDeprecated }} possibleTypes {{ ...T }} }}
                 directives {{ name locations args(includeDeprecated: true) {{ name type {{ ...T }} }} }} }} }} {TYPE_REF}"
        )
    }

    #[tokio::test]
    async fn the_introspection_estimate_covers_every_answer() {
        use super::super::{MutationRoot, QueryRoot, SubscriptionRoot};
        let schema = async_graphql::Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish();
        let map = SchemaMap::get();
        let whole = schema.execute(whole_schema()).await;
        assert!(whole.errors.is_empty(), "{:?}", whole.errors);
        let answered = items(&whole.data);
        assert!(answered > 500, "the whole schema: {answered}");
        assert!(
            answered <= map.introspection.schema,
            "{answered} items, estimated {}",
            map.introspection.schema
        );
        // Not far above: an estimate that refuses what it need not.
        assert!(
            map.introspection.schema <= answered + answered / 4,
            "{answered} vs {}",
            map.introspection.schema
        );
        let async_graphql::Value::Object(data) = &whole.data else { panic!("an object") };
        let names: Vec<String> = match &data["__schema"] {
            async_graphql::Value::Object(schema) => match &schema["types"] {
                async_graphql::Value::List(types) => types
                    .iter()
                    .filter_map(|t| match t {
                        async_graphql::Value::Object(t) => {
                            Some(t["name"].to_string().trim_matches('"').to_string())
                        }
                        _ => None,
                    })
                    .collect(),
                _ => panic!("a list of types"),
            },
            _ => panic!("__schema"),
        };
        for name in names {
            let query = format!(
                "{{ __type(name: \"{name}\") {{ kind name fields(includeDeprecated: true) {{ name args(includeDeprecated: true) {{ name type {{ ...T }} }} type {{ ...T }} }}
                   inputFields(includeDeprecated: true) {{ name type {{ ...T }} }} interfaces {{ ...T }} enumValues(includeDeprecated: true) {{ name }} possibleTypes {{ ...T }} }} }} {TYPE_REF}"
            );
            let one = schema.execute(query).await;
            assert!(one.errors.is_empty(), "{name}: {:?}", one.errors);
            let answered = items(&one.data);
            assert!(
                answered <= map.introspection.largest_type,
                "{name}: {answered} items, estimated {}",
                map.introspection.largest_type
            );
        }
    }
}
