-- Accounts (one identity for every region), sessions (each bound to one region), single-use
-- e-mail tokens, and the job queue (the outbox of side effects).

CREATE TABLE platform.accounts (
    id              uuid PRIMARY KEY,
    email           text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash   text NOT NULL,
    home_tenant_id  uuid REFERENCES platform.tenants (id) ON DELETE SET NULL,
    locale          text CHECK (locale IN ('fr', 'en', 'ca')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    disabled_at     timestamptz
);
CREATE UNIQUE INDEX accounts_email_key ON platform.accounts (email);

CREATE TABLE platform.sessions (
    token_hash    bytea PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES platform.accounts (id) ON DELETE CASCADE,
    tenant_id     uuid NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_account_idx ON platform.sessions (account_id);
CREATE INDEX sessions_tenant_idx ON platform.sessions (tenant_id);

CREATE TABLE platform.account_tokens (
    token_hash  bytea PRIMARY KEY,
    purpose     text NOT NULL CHECK (purpose IN ('confirm', 'reset')),
    account_id  uuid NOT NULL REFERENCES platform.accounts (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX account_tokens_account_idx ON platform.account_tokens (account_id);

CREATE TABLE platform.jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid REFERENCES platform.tenants (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    payload       jsonb NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 8,
    run_at        timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    done_at       timestamptz,
    failed_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON platform.jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;
