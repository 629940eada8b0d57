//! Relay Global Object Identification: opaque global IDs and the `Node` interface.

use async_graphql::{Context, ID, Interface};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::graphql::types::city::CityNode;
use crate::graphql::types::indicator::IndicatorNode;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::types::plan::PlanNode;
use crate::graphql::types::province::ProvinceNode;
use crate::graphql::types::target::TargetNode;
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// An object with a global ID, fetchable again with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global ID (Relay Object Identification)."))]
pub enum Node {
    Plan(PlanNode),
    Province(ProvinceNode),
    City(CityNode),
    Indicator(IndicatorNode),
    Target(TargetNode),
    Observation(ObservationNode),
}

/// The global ID of the `type_name` object with key `key`.
pub fn global_id(type_name: &str, key: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

/// Splits a global ID into its type name and key.
pub fn decode(id: &str) -> Result<(String, String), ApiError> {
    let invalid = || ApiError::InvalidId(id.chars().take(64).collect());
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(id).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let (type_name, key) = text.split_once(':').ok_or_else(invalid)?;
    Ok((type_name.to_string(), key.to_string()))
}

/// The object with this global ID; `None` if it no longer exists. An ID this server could
/// not have issued is an `INVALID_ID` error.
pub async fn fetch(ctx: &Context<'_>, id: &ID) -> ApiResult<Option<Node>> {
    let (type_name, key) = decode(id)?;
    let l = loaders(ctx)?;
    let node = match type_name.as_str() {
        "Plan" if key == "2013" => Some(Node::Plan(PlanNode)),
        "Plan" => None,
        "Province" => {
            l.province().load_one(key).await.map_err(db_error)?.map(|p| Node::Province(ProvinceNode(p)))
        }
        "City" => l.city().load_one(key).await.map_err(db_error)?.map(|c| Node::City(CityNode(c))),
        "Indicator" => {
            l.indicator().load_one(key).await.map_err(db_error)?.map(|i| Node::Indicator(IndicatorNode(i)))
        }
        "Target" => l.target().load_one(key).await.map_err(db_error)?.map(|t| Node::Target(TargetNode(t))),
        "Observation" => l
            .observation()
            .load_one(key)
            .await
            .map_err(db_error)?
            .map(|o| Node::Observation(ObservationNode(o))),
        _ => return Err(ApiError::InvalidId(id.chars().take(64).collect()).into()),
    };
    Ok(node)
}
