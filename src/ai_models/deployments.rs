//! Deployments of model versions, their status machine, rollback, and the
//! routing of a generation request to the deployment that serves it.
//!
//! There is no orchestrator behind Atelier: `deployAiModelVersion` records the
//! rollout and walks the new deployment Initiated -> Deploying -> Active in its
//! transaction (each step checked by the status table's trigger). A deployment at
//! 100 % replaces the model's Active deployments in that environment (they become
//! Inactive); one under 100 % is a canary beside them.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::{
    AiModelDeployment, AiModelVersion, AiModelVersionStatus, DeploymentEnvironment,
    DeploymentStatus,
};
use super::service::{lock_version, reason};
use super::validation::gate as validation_gate;
use super::{parameters, state};
use crate::admin::audit::{self, Actor, Entry};
use crate::app::App;
use crate::db::schema::{ai_model_deployments, ai_model_versions};
use crate::error::{AppError, AppResult};

/// What `deployAiModelVersion` takes.
pub struct NewDeployment {
    pub model_version_id: Uuid,
    pub environment: DeploymentEnvironment,
    pub deployment_strategy: Option<String>,
    pub endpoint: Option<String>,
    pub kubernetes_details: Option<Value>,
    pub traffic_percent: i32,
}

fn entry<'a>(
    action: &'a str,
    before: Option<&AiModelDeployment>,
    after: &AiModelDeployment,
) -> Entry<'a> {
    Entry {
        action,
        target_type: "AIModelDeployment",
        target_id: Some(after.id.to_string()),
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: serde_json::to_value(after).ok(),
    }
}

/// Moves one deployment along the status machine (the trigger is the backstop).
async fn set_status(
    conn: &mut AsyncPgConnection,
    deployment: &AiModelDeployment,
    to: DeploymentStatus,
) -> AppResult<AiModelDeployment> {
    if !state::deployment_may(deployment.status, to) {
        return Err(AppError::ConflictReason {
            reason: reason::INVALID_TRANSITION,
            message: format!(
                "a deployment cannot go from {} to {}",
                deployment.status.as_db_str(),
                to.as_db_str()
            ),
        });
    }
    let activated = (to == DeploymentStatus::Active).then(Utc::now);
    Ok(
        diesel::update(ai_model_deployments::table.find(deployment.id))
            .set((
                ai_model_deployments::status.eq(to),
                activated.map(|at| ai_model_deployments::activated_at.eq(at)),
            ))
            .returning(AiModelDeployment::as_returning())
            .get_result(conn)
            .await?,
    )
}

/// The Active deployments of a model in an environment, newest activation first.
async fn active_of_model(
    conn: &mut AsyncPgConnection,
    model_id: Uuid,
    environment: DeploymentEnvironment,
) -> AppResult<Vec<AiModelDeployment>> {
    Ok(ai_model_deployments::table
        .inner_join(ai_model_versions::table)
        .filter(ai_model_versions::model_id.eq(model_id))
        .filter(ai_model_deployments::environment.eq(environment))
        .filter(ai_model_deployments::status.eq(DeploymentStatus::Active))
        .order((
            ai_model_deployments::activated_at.desc(),
            ai_model_deployments::id.asc(),
        ))
        .select(AiModelDeployment::as_select())
        .load(conn)
        .await?)
}

pub async fn deploy(app: &App, actor: &Actor, new: NewDeployment) -> AppResult<AiModelDeployment> {
    let strategy = crate::studio::service::validate::optional_text(
        "deploymentStrategy",
        new.deployment_strategy,
        50,
    )?;
    let endpoint = crate::studio::service::validate::optional_text("endpoint", new.endpoint, 255)?;
    if let Some(url) = &endpoint {
        parameters::check_endpoint(url).map_err(|m| AppError::bad_input("endpoint", m))?;
    }
    if new
        .kubernetes_details
        .as_ref()
        .is_some_and(|v| !v.is_object())
    {
        return Err(AppError::bad_input(
            "kubernetesDetails",
            "a JSON object is expected",
        ));
    }
    if !(0..=100).contains(&new.traffic_percent) {
        return Err(AppError::bad_input("trafficPercent", "from 0 to 100"));
    }
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let version = lock_version(conn, new.model_version_id).await?;
        if matches!(
            version.status,
            AiModelVersionStatus::Failed | AiModelVersionStatus::Archived
        ) {
            return Err(AppError::ConflictReason {
                reason: reason::VERSION_NOT_DEPLOYABLE,
                message: format!(
                    "a {} version cannot be deployed",
                    version.status.as_db_str()
                ),
            });
        }
        if new.environment == DeploymentEnvironment::Production {
            validation_gate(conn, &version).await?;
        }
        let replaced = if new.traffic_percent == 100 {
            active_of_model(conn, version.model_id, new.environment).await?
        } else {
            Vec::new()
        };
        let created: AiModelDeployment = diesel::insert_into(ai_model_deployments::table)
            .values((
                ai_model_deployments::model_version_id.eq(version.id),
                ai_model_deployments::environment.eq(new.environment),
                ai_model_deployments::deployment_strategy.eq(&strategy),
                ai_model_deployments::endpoint.eq(&endpoint),
                ai_model_deployments::kubernetes_details.eq(&new.kubernetes_details),
                ai_model_deployments::deployed_by_user_id.eq(actor.user_id),
                ai_model_deployments::traffic_percent.eq(new.traffic_percent),
            ))
            .returning(AiModelDeployment::as_returning())
            .get_result(conn)
            .await?;
        let deploying = set_status(conn, &created, DeploymentStatus::Deploying).await?;
        let active = set_status(conn, &deploying, DeploymentStatus::Active).await?;
        for old in replaced {
            let stopped = set_status(conn, &old, DeploymentStatus::Inactive).await?;
            audit::record(
                conn,
                actor,
                entry("ai_model_deployment.replace", Some(&old), &stopped),
            )
            .await?;
        }
        audit::record(
            conn,
            actor,
            entry("ai_model_deployment.deploy", None, &active),
        )
        .await?;
        Ok(active)
    })
    .await
}

/// Rolls an Active deployment back: it becomes RolledBack and, when no other
/// deployment of the model in that environment is still Active, the one that was
/// Active before it becomes Active again, in one transaction. Returns both.
pub async fn rollback(
    app: &App,
    actor: &Actor,
    deployment_id: Uuid,
) -> AppResult<(AiModelDeployment, Option<AiModelDeployment>)> {
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let version_id: Uuid = ai_model_deployments::table
            .find(deployment_id)
            .select(ai_model_deployments::model_version_id)
            .first(conn)
            .await
            .optional()?
            .ok_or(AppError::NotFound("AI model deployment"))?;
        let version = lock_version(conn, version_id).await?;
        let current: AiModelDeployment = ai_model_deployments::table
            .find(deployment_id)
            .select(AiModelDeployment::as_select())
            .first(conn)
            .await?;
        let rolled_back = set_status(conn, &current, DeploymentStatus::RolledBack).await?;
        audit::record(
            conn,
            actor,
            entry("ai_model_deployment.rollback", Some(&current), &rolled_back),
        )
        .await?;
        let still_active = active_of_model(conn, version.model_id, current.environment).await?;
        if !still_active.is_empty() {
            return Ok((rolled_back, None));
        }
        let previous: Option<AiModelDeployment> = ai_model_deployments::table
            .inner_join(ai_model_versions::table)
            .filter(ai_model_versions::model_id.eq(version.model_id))
            .filter(
                ai_model_versions::status
                    .ne_all([AiModelVersionStatus::Failed, AiModelVersionStatus::Archived]),
            )
            .filter(ai_model_deployments::environment.eq(current.environment))
            .filter(ai_model_deployments::status.eq(DeploymentStatus::Inactive))
            .filter(ai_model_deployments::activated_at.is_not_null())
            .filter(ai_model_deployments::id.ne(current.id))
            .order((
                ai_model_deployments::activated_at.desc(),
                ai_model_deployments::id.asc(),
            ))
            .select(AiModelDeployment::as_select())
            .first(conn)
            .await
            .optional()?;
        let Some(previous) = previous else {
            return Ok((rolled_back, None));
        };
        let restored = set_status(conn, &previous, DeploymentStatus::Active).await?;
        audit::record(
            conn,
            actor,
            entry("ai_model_deployment.restore", Some(&previous), &restored),
        )
        .await?;
        Ok((rolled_back, Some(restored)))
    })
    .await
}

/// A request's place in 0..100, the same for the same id: a retried request (or
/// its job) is always routed the same way.
pub fn bucket(request_id: Uuid) -> u64 {
    let digest = Sha256::digest(request_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 100
}

/// Picks among Active deployments (newest activation first): the newest takes
/// the first `trafficPercent` of the buckets, the next one the following share,
/// and so on; buckets beyond the sum go to the oldest, the base of the canaries.
pub fn pick(active: &[(AiModelDeployment, AiModelVersion)], bucket: u64) -> Option<usize> {
    let mut upper = 0u64;
    for (i, (deployment, _)) in active.iter().enumerate() {
        upper += u64::try_from(deployment.traffic_percent).unwrap_or(0);
        if bucket < upper {
            return Some(i);
        }
    }
    active.len().checked_sub(1)
}

/// The version (and deployment) that serves a request for `model_id`: the
/// model's Active production deployments split by traffic, or `None` when it has
/// none (then the Production version serves).
pub async fn route(
    conn: &mut AsyncPgConnection,
    model_id: Uuid,
    request_id: Uuid,
) -> AppResult<Option<(AiModelDeployment, AiModelVersion)>> {
    let mut active: Vec<(AiModelDeployment, AiModelVersion)> = ai_model_deployments::table
        .inner_join(ai_model_versions::table)
        .filter(ai_model_versions::model_id.eq(model_id))
        .filter(
            ai_model_versions::status
                .ne_all([AiModelVersionStatus::Failed, AiModelVersionStatus::Archived]),
        )
        .filter(ai_model_deployments::environment.eq(DeploymentEnvironment::Production))
        .filter(ai_model_deployments::status.eq(DeploymentStatus::Active))
        .order((
            ai_model_deployments::activated_at.desc(),
            ai_model_deployments::id.asc(),
        ))
        .select((AiModelDeployment::as_select(), AiModelVersion::as_select()))
        .load(conn)
        .await?;
    Ok(pick(&active, bucket(request_id)).map(|i| active.swap_remove(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_spread() {
        let id = Uuid::new_v4();
        assert_eq!(bucket(id), bucket(id));
        let under_20 = (0..10_000).filter(|_| bucket(Uuid::new_v4()) < 20).count();
        assert!((1_700..2_300).contains(&under_20), "{under_20}");
    }
}
