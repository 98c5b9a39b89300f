-- A region's own settings, layered over the platform defaults and tenants/<slug>.toml.
-- Tenant migrations never name a schema: they run with search_path set to the region's.
CREATE TABLE settings (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,62}$'),
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
