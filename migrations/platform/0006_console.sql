-- The regional console: what a region's admins brand and configure themselves. Everything a
-- page needs on every request lives on the region's row, so it is cached with it (the directory)
-- and reaches every replica through the existing NOTIFY.
ALTER TABLE platform.tenants
    -- Uploaded images (media keys under the region's id); `logo_url` stays for the operator's
    -- assets from tenants/*.toml.
    ADD COLUMN logo_key      text,
    ADD COLUMN favicon_key   text,
    ADD COLUMN cover_key     text,
    -- [{"label": "…", "url": "https://…"}], at most eight.
    ADD COLUMN footer_links  jsonb NOT NULL DEFAULT '[]'
        CHECK (jsonb_typeof(footer_links) = 'array' AND jsonb_array_length(footer_links) <= 8),
    ADD COLUMN enabled_kinds text[] NOT NULL
        DEFAULT ARRAY['article', 'link', 'debate', 'announcement', 'dossier']::text[],
    ADD COLUMN locales       text[] NOT NULL DEFAULT ARRAY['fr', 'en', 'ca']::text[]
        CHECK (locales <@ ARRAY['fr', 'en', 'ca']::text[] AND cardinality(locales) >= 1),
    ADD COLUMN time_zone     text NOT NULL DEFAULT 'Europe/Paris' CHECK (time_zone ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$'),
    -- The map: [min lon, min lat, max lon, max lat], and the tile server.
    ADD COLUMN map_bbox      double precision[] CHECK (map_bbox IS NULL OR cardinality(map_bbox) = 4),
    ADD COLUMN map_tile_url  text NOT NULL DEFAULT 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
        CHECK (map_tile_url ~ '^https://[^\s"''<>]+$' AND length(map_tile_url) <= 300),
    ADD COLUMN map_attribution text NOT NULL DEFAULT '© OpenStreetMap contributors'
        CHECK (length(map_attribution) <= 200);

ALTER TABLE platform.tenants ADD CONSTRAINT tenants_default_locale_is_offered
    CHECK (default_locale = ANY (locales));

-- A domain is served only once verified: by a DNS TXT record `_echosciences.<domain>` or a file
-- at `http://<domain>/.well-known/echosciences-domain`, both holding `verify_token`.
ALTER TABLE platform.tenant_domains
    ADD COLUMN verified_at   timestamptz,
    ADD COLUMN verify_token  text,
    ADD COLUMN checked_at    timestamptz,
    ADD COLUMN check_error   text;
UPDATE platform.tenant_domains SET verified_at = created_at;
CREATE UNIQUE INDEX tenant_domains_verify_token_key ON platform.tenant_domains (verify_token);

-- Every change that alters what a page shows tells every process.
DROP TRIGGER tenants_changed ON platform.tenants;
CREATE TRIGGER tenants_changed
    AFTER INSERT OR DELETE OR UPDATE OF slug, schema_name, name, status, database, default_locale,
        tagline, color_primary, color_accent, logo_url, map_lat, map_lng, map_zoom, logo_key, favicon_key,
        cover_key, footer_links, enabled_kinds, locales, time_zone, map_bbox, map_tile_url, map_attribution
    ON platform.tenants FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_tenant_change();
