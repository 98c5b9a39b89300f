-- The control plane: the directory of regions, their domains, and the migration ledger.
-- The schema `platform` and `platform.schema_migrations` are created by the runner itself.

CREATE TABLE platform.tenants (
    id              uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE,
    schema_name     text NOT NULL UNIQUE CHECK (schema_name ~ '^tenant_[a-z0-9_]{2,40}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    -- The PostgreSQL cluster that holds the schema; one ("main") today.
    database        text NOT NULL DEFAULT 'main',
    default_locale  text NOT NULL DEFAULT 'fr' CHECK (default_locale IN ('fr', 'en', 'ca')),
    tagline         text NOT NULL DEFAULT '',
    color_primary   text NOT NULL DEFAULT '#1b5e7a' CHECK (color_primary ~ '^#[0-9a-f]{6}$'),
    color_accent    text NOT NULL DEFAULT '#c2410c' CHECK (color_accent ~ '^#[0-9a-f]{6}$'),
    logo_url        text,
    map_lat         double precision NOT NULL DEFAULT 46.6 CHECK (map_lat BETWEEN -90 AND 90),
    map_lng         double precision NOT NULL DEFAULT 2.4 CHECK (map_lng BETWEEN -180 AND 180),
    map_zoom        smallint NOT NULL DEFAULT 6 CHECK (map_zoom BETWEEN 1 AND 18),
    schema_version  bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform.tenant_domains (
    host        text PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    is_primary  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_domains_tenant_idx ON platform.tenant_domains (tenant_id);
CREATE UNIQUE INDEX tenant_domains_one_primary ON platform.tenant_domains (tenant_id) WHERE is_primary;

-- Migrated, unclaimed schemas; provisioning renames one into a region's schema.
CREATE TABLE platform.spare_schemas (
    schema_name     text PRIMARY KEY CHECK (schema_name ~ '^spare_[a-f0-9]{32}$'),
    schema_version  bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Which tenant migration ran in which schema, and when (follows a spare into its region).
CREATE TABLE platform.schema_ledger (
    schema_name  text NOT NULL,
    version      bigint NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, version)
);

-- Every process caches host → region; any change that can alter a lookup tells them all.
CREATE FUNCTION platform.notify_tenant_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('echos_tenants', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_changed
    AFTER INSERT OR DELETE OR UPDATE OF slug, schema_name, name, status, database, default_locale,
        tagline, color_primary, color_accent, logo_url, map_lat, map_lng, map_zoom
    ON platform.tenants FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_tenant_change();

CREATE TRIGGER tenant_domains_changed
    AFTER INSERT OR UPDATE OR DELETE ON platform.tenant_domains
    FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_tenant_change();
