//! `rateGeneration`: feedback by the people who may read a request.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use crate::ai_models::feedback::{self, NewFeedback};
use crate::ai_models::model::AiModelFeedback;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::load_authorized_by;
use crate::generation::model::GenerationRequest;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};

/// The input of `rateGeneration`.
#[derive(InputObject)]
pub struct RateGenerationInput {
    /// The request rated; the caller must be able to read it.
    pub generation_request_id: ID,
    /// 1 to 5 stars.
    pub rating: i32,
    /// Free text (at most 5000 characters).
    pub comment: Option<String>,
    /// Structured feedback (a JSON object).
    pub details: Option<serde_json::Value>,
}

/// The caller's feedback on the request, as stored.
#[derive(SimpleObject)]
pub struct RateGenerationPayload {
    /// One per user and request: a second call updated it.
    pub feedback: AiModelFeedback,
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Rates a generation (EDITOR and up on a request the caller can read, as
    /// PERMISSIONS.md's AIModelFeedback row says); once per user and request, a
    /// second call updates the rating.
    #[graphql(guard = "Need::matrix(Resource::AiModelFeedback, Action::Create)")]
    async fn rate_generation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `rateGeneration`.")] input: RateGenerationInput,
    ) -> async_graphql::Result<RateGenerationPayload> {
        let user_id = require_user(ctx)?;
        let request = load_authorized_by::<GenerationRequest>(
            ctx,
            GlobalId::decode_uuid(
                &input.generation_request_id,
                NodeType::GenerationRequest,
                "generationRequestId",
            )?,
            |_, _| (Resource::AiModelFeedback, Action::Create),
        )
        .await?;
        let feedback = feedback::rate(
            app(ctx),
            NewFeedback {
                user_id,
                generation_request_id: request.id,
                model_version_id: request.ai_model_version_id,
                rating: input.rating,
                comment: input.comment,
                details: input.details,
            },
        )
        .await?;
        Ok(RateGenerationPayload { feedback })
    }
}
