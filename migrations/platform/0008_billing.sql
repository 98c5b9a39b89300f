-- A science centre opens its region itself: the sign-ups, the region's lifecycle and billing
-- state, Stripe's events (each stored once), one-time sign-in links, the platform's operators
-- and their audit log, and the regions' exports.

-- The lifecycle: trial → active → past_due → suspended → archived (→ deleted: the row goes,
-- its history stays in tenant_events).
ALTER TABLE platform.tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE platform.tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('trial', 'active', 'past_due', 'suspended', 'archived'));
ALTER TABLE platform.tenants
    -- 'manual' (made by an operator), 'trial' (opened without payment, waits for approval),
    -- 'subscription' (paid through Stripe).
    ADD COLUMN plan                    text NOT NULL DEFAULT 'manual' CHECK (plan IN ('manual', 'trial', 'subscription')),
    ADD COLUMN trial_ends_at           timestamptz,
    ADD COLUMN approved_at             timestamptz,
    ADD COLUMN stripe_customer_id      text UNIQUE CHECK (stripe_customer_id ~ '^[A-Za-z0-9_]{1,255}$'),
    ADD COLUMN stripe_subscription_id  text UNIQUE CHECK (stripe_subscription_id ~ '^[A-Za-z0-9_]{1,255}$'),
    ADD COLUMN current_period_end      timestamptz,
    ADD COLUMN cancel_at_period_end    boolean NOT NULL DEFAULT false,
    ADD COLUMN past_due_since          timestamptz,
    ADD COLUMN suspended_at            timestamptz,
    ADD COLUMN archived_at             timestamptz,
    -- A deletion scheduled (after an export, confirmed): undone by clearing it.
    ADD COLUMN delete_after            timestamptz,
    -- Shows its latest public contributions on the platform's site.
    ADD COLUMN showcase                boolean NOT NULL DEFAULT false;

DROP TRIGGER tenants_changed ON platform.tenants;
CREATE TRIGGER tenants_changed
    AFTER INSERT OR DELETE OR UPDATE OF slug, schema_name, name, status, database, default_locale,
        tagline, color_primary, color_accent, logo_url, map_lat, map_lng, map_zoom, logo_key, favicon_key,
        cover_key, footer_links, enabled_kinds, locales, time_zone, map_bbox, map_tile_url, map_attribution,
        suspended_at, past_due_since, showcase
    ON platform.tenants FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_tenant_change();

-- Every change of a region's state, kept after the region is deleted.
CREATE TABLE platform.tenant_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    slug        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status   text NOT NULL,
    -- 'stripe', 'sweep' (the lifecycle's clock), 'operator:<email>', 'signup', 'cli'
    by          text NOT NULL,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX tenant_events_tenant_idx ON platform.tenant_events (tenant_id, at DESC);

-- A science centre's sign-up: held until paid (or opened at once in trial without billing).
CREATE TABLE platform.signups (
    id                    uuid PRIMARY KEY,
    organisation          text NOT NULL CHECK (length(organisation) BETWEEN 1 AND 200),
    contact_name          text NOT NULL CHECK (length(contact_name) BETWEEN 1 AND 120),
    email                 text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    region_name           text NOT NULL CHECK (length(region_name) BETWEEN 1 AND 120),
    slug                  text NOT NULL,
    locales               text[] NOT NULL CHECK (locales <@ ARRAY['fr', 'en', 'ca']::text[] AND cardinality(locales) >= 1),
    status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'opened', 'expired')),
    checkout_session_id   text,
    tenant_id             uuid REFERENCES platform.tenants (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    opened_at             timestamptz
);
-- One live sign-up per subdomain: two racing for one, one wins.
CREATE UNIQUE INDEX signups_slug_key ON platform.signups (slug) WHERE status = 'pending';

-- Stripe's events, each stored once whatever the retries.
CREATE TABLE platform.stripe_events (
    id            text PRIMARY KEY CHECK (length(id) <= 255),
    type          text NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz
);

-- One-time sign-in links: into a region (tenant_id) or the operator's console (NULL).
CREATE TABLE platform.signin_links (
    token_hash  bytea PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES platform.accounts (id) ON DELETE CASCADE,
    tenant_id   uuid REFERENCES platform.tenants (id) ON DELETE CASCADE,
    next        text NOT NULL DEFAULT '/' CHECK (next ~ '^/([^/\\].*)?$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX signin_links_account_idx ON platform.signin_links (account_id);

-- The platform's operators, their sessions on the platform's domain, and what they did.
CREATE TABLE platform.operators (
    account_id  uuid PRIMARY KEY REFERENCES platform.accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE platform.operator_sessions (
    token_hash  bytea PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES platform.operators (account_id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE TABLE platform.operator_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    operator    text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_.]{1,60}$'),
    target      text NOT NULL DEFAULT '',
    detail      jsonb
);
CREATE INDEX operator_audit_at_idx ON platform.operator_audit (at DESC);

-- A region's archives (`echos tenant export`, the console, the operator): the file's media key
-- lives under the region's id; downloads need the admin's session and the link's token.
CREATE TABLE platform.exports (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    requested_by  text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    media_key     text,
    bytes         bigint,
    token_hash    bytea UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    ready_at      timestamptz
);
CREATE INDEX exports_tenant_idx ON platform.exports (tenant_id, created_at DESC);
