-- Lianban on PostgreSQL: the services' role may append to the audit log but never change it.
--
-- Run as the owner of the tables (the role that created the schema, e.g. with the first
-- `lianban serve` against an owner URL), after the schema exists; again after every upgrade
-- that adds tables (it is idempotent):
--
--   psql "postgresql://owner@host/lianban" -f deploy/sql/audit_grants.sql
--   psql ... -c "ALTER ROLE lianban_app PASSWORD '…'"    -- once
--
-- Then run the services with LIANBAN_DATABASE_URL=postgresql+asyncpg://lianban_app:…@host/lianban.
-- The owner must not be the services' role: an owner may grant itself anything back or disable
-- the triggers. The triggers (created with the tables) are the second line: they refuse
-- UPDATE, DELETE and TRUNCATE of audit_log and audit_anchors for every role.

DO $$
BEGIN
    CREATE ROLE lianban_app LOGIN;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- already there (roles are per cluster)
END
$$;

GRANT USAGE ON SCHEMA public TO lianban_app;

-- The read model, the outbox and the rest: the services read and change them.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lianban_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO lianban_app;

-- The audit record: append and read only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_anchors, audit_digest_checks FROM lianban_app;
GRANT SELECT, INSERT ON audit_log, audit_anchors TO lianban_app;

-- Each case's head moves forward with every append (UPDATE also lets an anchor take
-- LOCK TABLE audit_heads IN SHARE MODE); it is never deleted. A forged head is caught by
-- `lianban audit verify` against the chain and the anchors.
REVOKE DELETE, TRUNCATE ON audit_heads FROM lianban_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO lianban_app;
