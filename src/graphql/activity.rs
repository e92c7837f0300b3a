//! `lastActiveAt` of team members, written after the mutation that counts as
//! activity has succeeded: authorization only notes who acted where
//! ([`crate::authz::roles::Activity`]), so it never writes, and a refused or
//! failed mutation leaves no trace.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};

use crate::app::AppState;
use crate::authz::roles::Activity;

/// The schema extension that touches the memberships a mutation acted through.
pub struct TouchActivity;

impl ExtensionFactory for TouchActivity {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TouchActivity)
    }
}

#[async_trait::async_trait]
impl Extension for TouchActivity {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let root_mutation = info.parent_type == "Mutation" && info.path_node.parent.is_none();
        let result = next.run(ctx, info).await;
        if !root_mutation {
            return result;
        }
        let (Some(activity), Ok(app)) = (ctx.data_opt::<Activity>(), ctx.data::<AppState>()) else {
            return result;
        };
        let acted = activity.take();
        if result.is_ok() {
            for (team_id, user_id) in acted {
                // The mutation has committed; a failed touch is not its failure.
                if let Err(error) =
                    crate::teams::service::touch_membership(app, team_id, user_id).await
                {
                    tracing::warn!(%team_id, %user_id, ?error, "lastActiveAt not written");
                }
            }
        }
        result
    }
}
