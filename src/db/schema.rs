// @generated automatically by Diesel CLI.

diesel::table! {
    admin_audit (id) {
        id -> Uuid,
        admin_user_id -> Nullable<Uuid>,
        #[max_length = 100]
        action -> Varchar,
        #[max_length = 50]
        target_type -> Varchar,
        #[max_length = 100]
        target_id -> Nullable<Varchar>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        #[max_length = 100]
        request_id -> Nullable<Varchar>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ai_model_deployments (id) {
        id -> Uuid,
        model_version_id -> Uuid,
        #[max_length = 50]
        environment -> Varchar,
        #[max_length = 50]
        status -> Varchar,
        #[max_length = 50]
        deployment_strategy -> Nullable<Varchar>,
        #[max_length = 255]
        endpoint -> Nullable<Varchar>,
        kubernetes_details -> Nullable<Jsonb>,
        deployed_by_user_id -> Nullable<Uuid>,
        deployment_timestamp -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        traffic_percent -> Int4,
        activated_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ai_model_status_transitions (kind, from_status, to_status) {
        #[max_length = 20]
        kind -> Varchar,
        #[max_length = 50]
        from_status -> Varchar,
        #[max_length = 50]
        to_status -> Varchar,
    }
}

diesel::table! {
    ai_model_feedback (id) {
        id -> Uuid,
        user_id -> Nullable<Uuid>,
        generation_request_id -> Nullable<Uuid>,
        model_version_id -> Nullable<Uuid>,
        rating -> Nullable<Int4>,
        comment -> Nullable<Text>,
        feedback_timestamp -> Timestamptz,
        details -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ai_model_validation_results (id) {
        id -> Uuid,
        model_version_id -> Uuid,
        validation_timestamp -> Timestamptz,
        #[max_length = 50]
        security_scan_status -> Varchar,
        #[max_length = 50]
        functional_status -> Varchar,
        performance_benchmark -> Nullable<Jsonb>,
        results -> Nullable<Jsonb>,
        validated_by_user_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ai_model_versions (id) {
        id -> Uuid,
        model_id -> Uuid,
        #[max_length = 50]
        version_number -> Varchar,
        #[max_length = 1024]
        source_path -> Nullable<Varchar>,
        #[max_length = 50]
        format -> Nullable<Varchar>,
        parameters -> Nullable<Jsonb>,
        #[max_length = 50]
        status -> Varchar,
        validation_result_id -> Nullable<Uuid>,
        created_by_user_id -> Nullable<Uuid>,
        release_notes -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    ai_models (id) {
        id -> Uuid,
        #[max_length = 100]
        name -> Varchar,
        description -> Nullable<Text>,
        #[max_length = 50]
        provider -> Varchar,
        #[max_length = 50]
        task_type -> Varchar,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 100]
        api_key -> Varchar,
        #[max_length = 255]
        secret_hash -> Varchar,
        permissions -> Nullable<Jsonb>,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        team_id -> Nullable<Uuid>,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        allowed_origins -> Jsonb,
        allowed_ips -> Jsonb,
        rate_limit_per_min -> Nullable<Int4>,
        scopes -> Jsonb,
    }
}

diesel::table! {
    asset_versions (id) {
        id -> Uuid,
        asset_id -> Nullable<Uuid>,
        project_id -> Nullable<Uuid>,
        version_number -> Int4,
        #[max_length = 1024]
        file_path -> Nullable<Varchar>,
        state_data -> Nullable<Jsonb>,
        description -> Nullable<Text>,
        created_by_user_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        is_project_state -> Bool,
    }
}

diesel::table! {
    assets (id) {
        id -> Uuid,
        project_id -> Nullable<Uuid>,
        user_id -> Uuid,
        generation_request_id -> Nullable<Uuid>,
        #[max_length = 255]
        name -> Varchar,
        #[sql_name = "type"]
        #[max_length = 20]
        type_ -> Varchar,
        #[max_length = 1024]
        file_path -> Varchar,
        #[max_length = 50]
        mime_type -> Varchar,
        #[max_length = 10]
        format -> Varchar,
        #[max_length = 20]
        resolution -> Nullable<Varchar>,
        is_final -> Bool,
        metadata -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    brand_kits (id) {
        id -> Uuid,
        user_id -> Uuid,
        team_id -> Nullable<Uuid>,
        #[max_length = 100]
        name -> Varchar,
        colors -> Jsonb,
        fonts -> Jsonb,
        logos -> Nullable<Jsonb>,
        style_preferences -> Nullable<Jsonb>,
        is_default -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    credit_transactions (id, created_at) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 255]
        odoo_invoice_id -> Nullable<Varchar>,
        generation_request_id -> Nullable<Uuid>,
        #[max_length = 255]
        api_call_id -> Nullable<Varchar>,
        amount -> Numeric,
        #[max_length = 50]
        action_type -> Varchar,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        synced_at -> Timestamptz,
        team_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    generation_jobs (id) {
        id -> Uuid,
        generation_request_id -> Nullable<Uuid>,
        #[max_length = 20]
        phase -> Varchar,
        #[max_length = 20]
        status -> Varchar,
        attempts -> Int4,
        run_after -> Timestamptz,
        #[max_length = 100]
        locked_by -> Nullable<Varchar>,
        lease_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        data_export_id -> Nullable<Uuid>,
        published_post_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    generation_requests (id) {
        id -> Uuid,
        user_id -> Uuid,
        project_id -> Nullable<Uuid>,
        input_prompt -> Text,
        style_guidance -> Nullable<Text>,
        input_parameters -> Nullable<Jsonb>,
        #[max_length = 50]
        status -> Varchar,
        error_message -> Nullable<Text>,
        sample_assets -> Nullable<Jsonb>,
        selected_sample_id -> Nullable<Uuid>,
        final_asset_id -> Nullable<Uuid>,
        credits_cost_sample -> Nullable<Numeric>,
        credits_cost_final -> Nullable<Numeric>,
        #[max_length = 100]
        ai_model_used -> Nullable<Varchar>,
        processing_time_ms -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        #[max_length = 255]
        idempotency_key -> Nullable<Varchar>,
        team_id -> Nullable<Uuid>,
        ai_model_version_id -> Nullable<Uuid>,
        sample_charged_at -> Nullable<Timestamptz>,
        final_charged_at -> Nullable<Timestamptz>,
        sample_refunded_at -> Nullable<Timestamptz>,
        final_refunded_at -> Nullable<Timestamptz>,
        phase_deadline -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        ai_model_deployment_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    generation_status_transitions (from_status, to_status) {
        #[max_length = 50]
        from_status -> Varchar,
        #[max_length = 50]
        to_status -> Varchar,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> Uuid,
        #[max_length = 100]
        caller -> Varchar,
        #[max_length = 255]
        key -> Varchar,
        #[max_length = 64]
        request_hash -> Varchar,
        #[max_length = 20]
        status -> Varchar,
        response -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Uuid,
        #[max_length = 255]
        to_address -> Varchar,
        #[max_length = 50]
        kind -> Varchar,
        #[max_length = 255]
        subject -> Varchar,
        body -> Text,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    oauth_flows (id) {
        id -> Uuid,
        #[max_length = 64]
        state_hash -> Varchar,
        #[max_length = 20]
        purpose -> Varchar,
        #[max_length = 20]
        provider -> Varchar,
        user_id -> Nullable<Uuid>,
        #[max_length = 1024]
        redirect_uri -> Nullable<Varchar>,
        code_verifier -> Nullable<Text>,
        #[max_length = 64]
        nonce -> Nullable<Varchar>,
        #[max_length = 255]
        subject -> Nullable<Varchar>,
        #[max_length = 255]
        email -> Nullable<Varchar>,
        email_verified -> Bool,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id, created_at) {
        id -> Uuid,
        user_id -> Uuid,
        #[sql_name = "type"]
        #[max_length = 50]
        type_ -> Varchar,
        message -> Text,
        metadata -> Nullable<Jsonb>,
        is_read -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    projects (id) {
        id -> Uuid,
        workbench_id -> Uuid,
        user_id -> Uuid,
        template_id -> Nullable<Uuid>,
        brand_kit_id -> Nullable<Uuid>,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 50]
        target_platform -> Nullable<Varchar>,
        collaboration_state -> Nullable<Jsonb>,
        last_collaborated_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        team_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    published_posts (id) {
        id -> Uuid,
        user_id -> Uuid,
        asset_id -> Uuid,
        connection_id -> Nullable<Uuid>,
        #[max_length = 20]
        platform -> Varchar,
        caption -> Text,
        #[max_length = 64]
        caption_hash -> Varchar,
        #[max_length = 20]
        status -> Varchar,
        #[max_length = 255]
        external_post_id -> Nullable<Varchar>,
        error -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 255]
        device_info -> Varchar,
        #[max_length = 45]
        ip_address -> Varchar,
        user_agent -> Nullable<Text>,
        last_activity -> Timestamptz,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        #[max_length = 64]
        token_hash -> Varchar,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    social_media_connections (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 20]
        platform -> Varchar,
        #[max_length = 100]
        external_user_id -> Varchar,
        access_token -> Text,
        refresh_token -> Nullable<Text>,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        #[max_length = 20]
        status -> Varchar,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 255]
        odoo_sale_order_id -> Varchar,
        #[max_length = 50]
        plan_id -> Varchar,
        #[max_length = 20]
        status -> Varchar,
        current_period_start -> Timestamptz,
        current_period_end -> Timestamptz,
        #[max_length = 50]
        payment_provider -> Varchar,
        #[max_length = 255]
        payment_provider_subscription_id -> Nullable<Varchar>,
        #[max_length = 255]
        payment_method_id -> Nullable<Varchar>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        team_id -> Nullable<Uuid>,
        provider_event_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    team_members (id) {
        id -> Uuid,
        team_id -> Uuid,
        user_id -> Uuid,
        #[max_length = 20]
        role -> Varchar,
        joined_at -> Timestamptz,
        last_active_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    team_invitations (id) {
        id -> Uuid,
        team_id -> Uuid,
        #[max_length = 255]
        email -> Varchar,
        #[max_length = 20]
        role -> Varchar,
        #[max_length = 64]
        token_hash -> Varchar,
        invited_by -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        accepted_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    teams (id) {
        id -> Uuid,
        #[max_length = 100]
        name -> Varchar,
        owner_id -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        description -> Nullable<Text>,
        credit_balance -> Numeric,
    }
}

diesel::table! {
    templates (id) {
        id -> Uuid,
        user_id -> Nullable<Uuid>,
        #[max_length = 100]
        name -> Varchar,
        description -> Nullable<Text>,
        #[max_length = 50]
        category -> Varchar,
        #[max_length = 1024]
        preview_url -> Varchar,
        source_data -> Jsonb,
        tags -> Nullable<Jsonb>,
        is_public -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        team_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    usage_logs (id) {
        id -> Int8,
        user_id -> Nullable<Uuid>,
        generation_request_id -> Nullable<Uuid>,
        api_client_id -> Nullable<Uuid>,
        #[max_length = 100]
        action_type -> Varchar,
        details -> Nullable<Jsonb>,
        credits_cost -> Nullable<Numeric>,
        timestamp -> Timestamptz,
        team_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    user_data_exports (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 20]
        kind -> Varchar,
        #[max_length = 20]
        status -> Varchar,
        #[max_length = 1024]
        file_path -> Nullable<Varchar>,
        requested_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
        failure_reason -> Nullable<Text>,
        byte_size -> Nullable<Int8>,
        expires_at -> Nullable<Timestamptz>,
        removed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        #[max_length = 255]
        email -> Varchar,
        #[max_length = 255]
        password_hash -> Nullable<Varchar>,
        #[max_length = 50]
        social_provider -> Nullable<Varchar>,
        #[max_length = 255]
        social_provider_id -> Nullable<Varchar>,
        is_email_verified -> Bool,
        #[max_length = 255]
        email_verification_token -> Nullable<Varchar>,
        #[max_length = 255]
        password_reset_token -> Nullable<Varchar>,
        password_reset_expires -> Nullable<Timestamptz>,
        #[max_length = 100]
        full_name -> Nullable<Varchar>,
        #[max_length = 50]
        username -> Nullable<Varchar>,
        #[max_length = 1024]
        profile_picture_url -> Nullable<Varchar>,
        #[max_length = 10]
        language_preference -> Varchar,
        #[max_length = 50]
        timezone -> Varchar,
        mfa_enabled -> Bool,
        #[max_length = 255]
        mfa_secret -> Nullable<Varchar>,
        #[max_length = 20]
        subscription_tier -> Varchar,
        credit_balance -> Numeric,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        #[max_length = 3]
        currency_preference -> Varchar,
        #[max_length = 20]
        number_notation -> Varchar,
        is_platform_admin -> Bool,
        email_verification_expires -> Nullable<Timestamptz>,
        #[max_length = 255]
        pending_email -> Nullable<Varchar>,
        mfa_last_used_step -> Nullable<Int8>,
        suspended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    workbenches (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 100]
        name -> Varchar,
        default_brand_kit_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        team_id -> Nullable<Uuid>,
    }
}

diesel::joinable!(admin_audit -> users (admin_user_id));
diesel::joinable!(ai_model_deployments -> ai_model_versions (model_version_id));
diesel::joinable!(ai_model_deployments -> users (deployed_by_user_id));
diesel::joinable!(ai_model_feedback -> ai_model_versions (model_version_id));
diesel::joinable!(ai_model_feedback -> generation_requests (generation_request_id));
diesel::joinable!(ai_model_feedback -> users (user_id));
diesel::joinable!(ai_model_validation_results -> users (validated_by_user_id));
diesel::joinable!(ai_model_versions -> ai_models (model_id));
diesel::joinable!(ai_model_versions -> users (created_by_user_id));
diesel::joinable!(api_clients -> teams (team_id));
diesel::joinable!(api_clients -> users (user_id));
diesel::joinable!(asset_versions -> assets (asset_id));
diesel::joinable!(asset_versions -> projects (project_id));
diesel::joinable!(asset_versions -> users (created_by_user_id));
diesel::joinable!(assets -> projects (project_id));
diesel::joinable!(assets -> users (user_id));
diesel::joinable!(brand_kits -> teams (team_id));
diesel::joinable!(brand_kits -> users (user_id));
diesel::joinable!(credit_transactions -> generation_requests (generation_request_id));
diesel::joinable!(credit_transactions -> teams (team_id));
diesel::joinable!(credit_transactions -> users (user_id));
diesel::joinable!(generation_jobs -> generation_requests (generation_request_id));
diesel::joinable!(generation_jobs -> user_data_exports (data_export_id));
diesel::joinable!(generation_requests -> ai_model_deployments (ai_model_deployment_id));
diesel::joinable!(generation_requests -> ai_model_versions (ai_model_version_id));
diesel::joinable!(generation_requests -> projects (project_id));
diesel::joinable!(generation_requests -> teams (team_id));
diesel::joinable!(generation_requests -> users (user_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(projects -> brand_kits (brand_kit_id));
diesel::joinable!(projects -> teams (team_id));
diesel::joinable!(projects -> templates (template_id));
diesel::joinable!(projects -> users (user_id));
diesel::joinable!(projects -> workbenches (workbench_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(oauth_flows -> users (user_id));
diesel::joinable!(published_posts -> assets (asset_id));
diesel::joinable!(published_posts -> social_media_connections (connection_id));
diesel::joinable!(published_posts -> users (user_id));
diesel::joinable!(generation_jobs -> published_posts (published_post_id));
diesel::joinable!(social_media_connections -> users (user_id));
diesel::joinable!(subscriptions -> users (user_id));
diesel::joinable!(team_invitations -> teams (team_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(teams -> users (owner_id));
diesel::joinable!(templates -> teams (team_id));
diesel::joinable!(templates -> users (user_id));
diesel::joinable!(usage_logs -> teams (team_id));
diesel::joinable!(usage_logs -> api_clients (api_client_id));
diesel::joinable!(usage_logs -> generation_requests (generation_request_id));
diesel::joinable!(usage_logs -> users (user_id));
diesel::joinable!(user_data_exports -> users (user_id));
diesel::joinable!(workbenches -> brand_kits (default_brand_kit_id));
diesel::joinable!(workbenches -> teams (team_id));
diesel::joinable!(workbenches -> users (user_id));

diesel::table! {
    credit_ledger_openings (id) {
        id -> Uuid,
        user_id -> Nullable<Uuid>,
        team_id -> Nullable<Uuid>,
        opening_balance -> Numeric,
        ledger_sum_at_opening -> Numeric,
        opened_at -> Timestamptz,
    }
}

diesel::joinable!(credit_ledger_openings -> teams (team_id));
diesel::joinable!(credit_ledger_openings -> users (user_id));

diesel::table! {
    stripe_events (event_id) {
        #[max_length = 255]
        event_id -> Varchar,
        #[max_length = 100]
        event_type -> Varchar,
        #[max_length = 20]
        outcome -> Varchar,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    billing_grants (grant_key) {
        #[max_length = 255]
        grant_key -> Varchar,
        user_id -> Uuid,
        team_id -> Nullable<Uuid>,
        amount -> Numeric,
        #[max_length = 50]
        action_type -> Varchar,
        #[max_length = 255]
        stripe_event_id -> Nullable<Varchar>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(billing_grants -> teams (team_id));
diesel::joinable!(billing_grants -> users (user_id));

diesel::table! {
    plans (id) {
        #[max_length = 50]
        id -> Varchar,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 20]
        tier -> Varchar,
        price -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        monthly_credits -> Numeric,
        seats -> Nullable<Int4>,
        #[max_length = 255]
        stripe_price_id -> Nullable<Varchar>,
        is_active -> Bool,
        sort_order -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    credit_packs (id) {
        #[max_length = 50]
        id -> Varchar,
        #[max_length = 100]
        name -> Varchar,
        credits -> Numeric,
        price -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        #[max_length = 255]
        stripe_price_id -> Nullable<Varchar>,
        is_active -> Bool,
        sort_order -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(subscriptions -> teams (team_id));

// --- The Odoo sync (issue 14, migration 2026-12-04-500001) ----------------

diesel::table! {
    odoo_sync_cursors (model) {
        #[max_length = 64]
        model -> Varchar,
        #[max_length = 32]
        write_date -> Varchar,
        last_id -> Int8,
        last_run_at -> Timestamptz,
    }
}

diesel::table! {
    odoo_invoices (odoo_invoice_id) {
        #[max_length = 255]
        odoo_invoice_id -> Varchar,
        user_id -> Uuid,
        team_id -> Nullable<Uuid>,
        credits -> Numeric,
        #[max_length = 32]
        write_date -> Varchar,
        synced_at -> Timestamptz,
    }
}

diesel::joinable!(odoo_invoices -> teams (team_id));
diesel::joinable!(odoo_invoices -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    admin_audit,
    ai_model_deployments,
    ai_model_feedback,
    ai_model_status_transitions,
    ai_model_validation_results,
    ai_model_versions,
    ai_models,
    api_clients,
    asset_versions,
    assets,
    billing_grants,
    brand_kits,
    credit_ledger_openings,
    credit_packs,
    credit_transactions,
    generation_jobs,
    generation_requests,
    generation_status_transitions,
    idempotency_keys,
    mail_outbox,
    notifications,
    plans,
    projects,
    sessions,
    oauth_flows,
    published_posts,
    social_media_connections,
    stripe_events,
    subscriptions,
    team_invitations,
    team_members,
    teams,
    templates,
    usage_logs,
    user_data_exports,
    users,
    workbenches,
);
