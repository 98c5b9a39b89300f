-- Keeps `contributions.like_count` of the region whose `likes` changed (each tenant schema's
-- `likes` calls it by trigger). Created once in `public`, like the search functions: the schema
-- comes from the trigger, so a schema renamed when a spare is claimed keeps working.
CREATE FUNCTION public.echos_likes_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('UPDATE %I.contributions SET like_count = like_count + 1 WHERE id = $1', TG_TABLE_SCHEMA)
            USING NEW.contribution_id;
    ELSE
        EXECUTE format('UPDATE %I.contributions SET like_count = like_count - 1 WHERE id = $1', TG_TABLE_SCHEMA)
            USING OLD.contribution_id;
    END IF;
    RETURN NULL;
END $$;
