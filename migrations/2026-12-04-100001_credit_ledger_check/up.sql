-- The money invariant: a holder's balance equals the sum of its ledger
-- (credit_transactions) since its opening row. A holder without an opening row
-- opened at zero with an empty ledger (every account and team created after
-- this migration). The holders that existed before it get one opening row
-- each, so balances set before the ledger was complete are not reported.
--
-- The opening keeps the ledger's sum at the moment it was taken instead of a
-- timestamp: "the transactions since" is then the sum now minus the sum then,
-- which a transaction committing late cannot blur.
CREATE TABLE credit_ledger_openings (
    id                     uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid          REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    team_id                uuid          REFERENCES teams (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    opening_balance        numeric(12,2) NOT NULL,
    ledger_sum_at_opening  numeric(14,2) NOT NULL,
    opened_at              timestamptz   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_creditledgeropening_one_holder CHECK ((user_id IS NULL) <> (team_id IS NULL)),
    CONSTRAINT uq_creditledgeropening_user UNIQUE (user_id),
    CONSTRAINT uq_creditledgeropening_team UNIQUE (team_id)
);

-- A user's own ledger is its rows without a team (as `User.creditTransactions`
-- reads it); a team's pool is its rows with that team.
INSERT INTO credit_ledger_openings (user_id, opening_balance, ledger_sum_at_opening)
SELECT u.id, u.credit_balance,
       coalesce((SELECT sum(t.amount) FROM credit_transactions t
                  WHERE t.user_id = u.id AND t.team_id IS NULL), 0)
  FROM users u;

INSERT INTO credit_ledger_openings (team_id, opening_balance, ledger_sum_at_opening)
SELECT tm.id, tm.credit_balance,
       coalesce((SELECT sum(t.amount) FROM credit_transactions t WHERE t.team_id = tm.id), 0)
  FROM teams tm;

-- Every holder whose balance differs from its opening plus its ledger since:
-- empty when the books add up. `atelier check-ledger` and the tests read it.
CREATE FUNCTION atelier_ledger_mismatches()
RETURNS TABLE (holder_kind text, holder_id uuid, balance numeric, expected numeric)
LANGUAGE sql STABLE
AS $$
    WITH user_sums AS (
        SELECT user_id AS id, sum(amount) AS total
          FROM credit_transactions WHERE team_id IS NULL GROUP BY user_id
    ), team_sums AS (
        SELECT team_id AS id, sum(amount) AS total
          FROM credit_transactions WHERE team_id IS NOT NULL GROUP BY team_id
    ), holders AS (
        SELECT 'user'::text AS holder_kind, u.id AS holder_id, u.credit_balance AS balance,
               coalesce(o.opening_balance, 0) + coalesce(s.total, 0)
                 - coalesce(o.ledger_sum_at_opening, 0) AS expected
          FROM users u
          LEFT JOIN user_sums s ON s.id = u.id
          LEFT JOIN credit_ledger_openings o ON o.user_id = u.id
        UNION ALL
        SELECT 'team', tm.id, tm.credit_balance,
               coalesce(o.opening_balance, 0) + coalesce(s.total, 0)
                 - coalesce(o.ledger_sum_at_opening, 0)
          FROM teams tm
          LEFT JOIN team_sums s ON s.id = tm.id
          LEFT JOIN credit_ledger_openings o ON o.team_id = tm.id
    )
    SELECT holder_kind, holder_id, balance, expected
      FROM holders
     WHERE balance <> expected
     ORDER BY holder_kind, holder_id;
$$;
