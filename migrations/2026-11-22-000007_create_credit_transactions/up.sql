-- Creates the helper function atelier_create_monthly_partitions() and the
-- range-partitioned (monthly, on created_at) credit_transactions table with
-- a DEFAULT partition and partitions for the current + next 3 months.

-- atelier_create_monthly_partitions(parent, months_ahead)
--
-- Creates (if missing) one partition per calendar month for the RANGE
-- partitioned table `parent`, from the current month through `months_ahead`
-- months ahead, named <table>_pYYYY_MM. Month boundaries are computed in UTC
-- (bounds are written as 'YYYY-MM-01 00:00:00+00'), so the result does not
-- depend on the session TimeZone. Returns the number of partitions created.
--
-- Default partition: if <table>'s DEFAULT partition already holds rows that
-- fall into a month being created, a plain CREATE TABLE ... PARTITION OF
-- would fail ("updated partition constraint for default partition would be
-- violated"). In that case the function instead
--   1. creates the new month as a standalone table (LIKE parent, with
--      defaults and CHECK constraints),
--   2. moves the matching rows out of the DEFAULT partition into it
--      (DELETE ... RETURNING feeding an INSERT, in one statement), and
--   3. ATTACHes it to the parent (Postgres then clones the parent's indexes,
--      primary key, foreign keys and row triggers onto it).
-- All of this runs in the caller's transaction, so it is all-or-nothing and
-- no row is ever invisible to other sessions. It takes ACCESS EXCLUSIVE
-- locks on the DEFAULT partition while doing so; run it from a maintenance
-- job ahead of time so the default partition normally stays empty.
-- Concurrent calls for the same parent are serialized with a transaction
-- scoped advisory lock.
CREATE FUNCTION atelier_create_monthly_partitions(parent regclass, months_ahead integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_schema   name;
    v_table    name;
    v_key      name;
    v_default  regclass;
    v_cols     text;
    v_month    date;
    v_part     text;
    v_from     text;
    v_to       text;
    v_existing oid;
    v_conflict boolean;
    v_moved    bigint;
    v_created  integer := 0;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 THEN
        RAISE EXCEPTION 'atelier_create_monthly_partitions: months_ahead must be >= 0, got %',
            months_ahead;
    END IF;

    SELECT n.nspname, c.relname
      INTO v_schema, v_table
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = parent;

    -- Single-column RANGE partitioning only; also finds the DEFAULT partition.
    SELECT a.attname, NULLIF(pt.partdefid, 0)::regclass
      INTO v_key, v_default
      FROM pg_partitioned_table pt
      JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = parent
       AND pt.partstrat = 'r'
       AND pt.partnatts = 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'atelier_create_monthly_partitions: % is not partitioned by RANGE on a single column',
            parent;
    END IF;

    PERFORM pg_advisory_xact_lock(hashtext('atelier_create_monthly_partitions'),
                                  hashtext(parent::oid::text));

    -- Explicit column list for moving rows (robust to column-order differences).
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
      INTO v_cols
      FROM pg_attribute
     WHERE attrelid = parent AND attnum > 0 AND NOT attisdropped;

    FOR i IN 0..months_ahead LOOP
        v_month := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
        v_part  := v_table || '_p' || to_char(v_month, 'YYYY_MM');
        v_from  := to_char(v_month, 'YYYY-MM-DD') || ' 00:00:00+00';
        v_to    := to_char((v_month + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00';

        SELECT c.oid INTO v_existing
          FROM pg_class c
         WHERE c.relname = v_part
           AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = v_schema);
        IF FOUND THEN
            IF NOT EXISTS (SELECT 1 FROM pg_inherits
                            WHERE inhrelid = v_existing AND inhparent = parent) THEN
                RAISE EXCEPTION 'atelier_create_monthly_partitions: %.% exists but is not a partition of %',
                    v_schema, v_part, parent;
            END IF;
            CONTINUE;  -- IF NOT EXISTS semantics
        END IF;

        v_conflict := false;
        IF v_default IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I >= %L AND %I < %L)',
                           v_default, v_key, v_from, v_key, v_to)
               INTO v_conflict;
        END IF;

        IF NOT v_conflict THEN
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                           v_schema, v_part, parent, v_from, v_to);
        ELSE
            EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                           v_schema, v_part, parent);
            EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L AND %I < %L RETURNING %s) '
                           'INSERT INTO %I.%I (%s) SELECT %s FROM moved',
                           v_default, v_key, v_from, v_key, v_to, v_cols,
                           v_schema, v_part, v_cols, v_cols);
            GET DIAGNOSTICS v_moved = ROW_COUNT;
            EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                           parent, v_schema, v_part, v_from, v_to);
            RAISE NOTICE 'atelier_create_monthly_partitions: moved % row(s) from % into %.%',
                v_moved, v_default, v_schema, v_part;
        END IF;
        v_created := v_created + 1;
    END LOOP;

    RETURN v_created;
END;
$$;

CREATE TABLE credit_transactions (
    id                    uuid          NOT NULL DEFAULT gen_random_uuid(),
    user_id               uuid          NOT NULL
                          REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    odoo_invoice_id       varchar(255),
    generation_request_id uuid
                          REFERENCES generation_requests (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    api_call_id           varchar(255),
    -- Positive for purchase/refund, negative for usage.
    amount                numeric(10,2) NOT NULL,
    action_type           varchar(50)   NOT NULL,
    description           text,
    created_at            timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    synced_at             timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Team whose credit pool was charged/credited, if any.
    team_id               uuid
                          REFERENCES teams (id) ON DELETE SET NULL ON UPDATE NO ACTION,
    -- The spec's PK is (id), but on a partitioned table every unique
    -- constraint must include the partition key, so the PK is (id, created_at).
    -- id stays unique in practice (gen_random_uuid()).
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

-- Indexes are declared on the parent and propagate to every partition.
CREATE INDEX idx_credittransaction_userid_createdat
    ON credit_transactions USING btree (user_id, created_at);
CREATE INDEX idx_credittransaction_actiontype ON credit_transactions USING btree (action_type);
CREATE INDEX idx_credittransaction_teamid ON credit_transactions USING btree (team_id);

CREATE TABLE credit_transactions_default PARTITION OF credit_transactions DEFAULT;

SELECT atelier_create_monthly_partitions('credit_transactions', 3);
