-- Foundation: users, stores, memberships, API keys, and the application role.
--
-- Tenancy: every table with a store_id column has Row-Level Security enabled and
-- forced. The policy reads the transaction-local setting app.store_id (set with
-- set_config(..., true) by internal/db). Two narrow, pre-tenant lookups are allowed by
-- other transaction-local settings: app.user_id (a user's own memberships and stores,
-- for login and `me`) and app.api_key_hash (the one key row whose hash matches).

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ordergraph_app') THEN
    CREATE ROLE ordergraph_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;
-- +goose StatementEnd

-- The settings read by the policies, as functions so each policy stays short.
-- SECURITY INVOKER (the default): they only read the caller's own settings.
CREATE FUNCTION app_store_id() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('app.store_id', true), '')::uuid $$;
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
CREATE FUNCTION app_api_key_hash() RETURNS bytea LANGUAGE sql STABLE
  AS $$ SELECT decode(NULLIF(current_setting('app.api_key_hash', true), ''), 'hex') $$;

-- Users are global: one login, memberships in many stores.
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL UNIQUE CHECK (email = lower(email)),
  name          text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores (
  id            uuid PRIMARY KEY,
  slug          text NOT NULL UNIQUE,
  name          text NOT NULL,
  currency_code char(3) NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE member_role AS ENUM ('OWNER', 'ADMIN', 'STAFF', 'VIEWER');

CREATE TABLE memberships (
  store_id   uuid NOT NULL REFERENCES stores (id),
  user_id    uuid NOT NULL REFERENCES users (id),
  role       member_role NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_keys (
  store_id     uuid NOT NULL REFERENCES stores (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  name         text NOT NULL,
  role         member_role NOT NULL,
  key_prefix   text NOT NULL,
  key_hash     bytea NOT NULL,
  created_by   uuid REFERENCES users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz,
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, key_hash)
);
-- Lookup by hash happens before the store is known (see app_api_key_hash).
CREATE INDEX api_keys_hash_idx ON api_keys (key_hash);

-- Per-store counters for gap-free numbers (orders now, invoices later).
CREATE TABLE store_counters (
  store_id            uuid PRIMARY KEY REFERENCES stores (id),
  last_order_number   bigint NOT NULL DEFAULT 0,
  last_invoice_number bigint NOT NULL DEFAULT 0
);

ALTER TABLE stores ENABLE ROW LEVEL SECURITY;
ALTER TABLE stores FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON stores
  USING (id = app_store_id()
         OR id IN (SELECT m.store_id FROM memberships m WHERE m.user_id = app_user_id()))
  WITH CHECK (id = app_store_id());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships
  USING (store_id = app_store_id() OR user_id = app_user_id())
  WITH CHECK (store_id = app_store_id());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON api_keys
  USING (store_id = app_store_id() OR key_hash = app_api_key_hash())
  WITH CHECK (store_id = app_store_id());

ALTER TABLE store_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE store_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON store_counters
  USING (store_id = app_store_id()) WITH CHECK (store_id = app_store_id());

GRANT SELECT, INSERT, UPDATE ON users TO ordergraph_app;
GRANT SELECT, INSERT, UPDATE ON stores, memberships, api_keys, store_counters TO ordergraph_app;

-- +goose Down
DROP TABLE store_counters, api_keys, memberships, stores, users;
DROP TYPE member_role;
DROP FUNCTION app_store_id(), app_user_id(), app_api_key_hash();
