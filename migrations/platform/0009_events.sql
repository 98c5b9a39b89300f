-- Events and places to visit are offered by every region unless its admins turn them off; a
-- region may name a geocoder (a Nominatim-compatible search URL) to place addresses on its map.
ALTER TABLE platform.tenants
    ALTER COLUMN enabled_kinds SET DEFAULT
        ARRAY['article', 'link', 'debate', 'announcement', 'dossier', 'event', 'place']::text[],
    ADD COLUMN geocoder_url text CHECK (geocoder_url ~ '^https?://[^\s"''<>]+$' AND length(geocoder_url) <= 300);

UPDATE platform.tenants SET enabled_kinds = enabled_kinds || ARRAY['event', 'place']::text[]
 WHERE NOT enabled_kinds && ARRAY['event', 'place']::text[];

DROP TRIGGER tenants_changed ON platform.tenants;
CREATE TRIGGER tenants_changed
    AFTER INSERT OR DELETE OR UPDATE OF slug, schema_name, name, status, database, default_locale,
        tagline, color_primary, color_accent, logo_url, map_lat, map_lng, map_zoom, logo_key, favicon_key,
        cover_key, footer_links, enabled_kinds, locales, time_zone, map_bbox, map_tile_url, map_attribution,
        suspended_at, past_due_since, showcase, geocoder_url
    ON platform.tenants FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_tenant_change();
