-- What a region's visitors see changed: every process bumps the region's content generation, and
-- the pages cached for anonymous visitors under the old one are no longer served. NOTIFY is
-- delivered at commit (never for a rolled-back write) and once per transaction however many
-- statements fired it; the payload is the region's schema.
CREATE FUNCTION platform.notify_content_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('echos_content', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;
