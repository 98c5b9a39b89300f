-- Full-text search: what every region's schema shares, created once in `public` (tenant
-- migrations run per schema, concurrently, and must not race on shared objects).
--
-- * `unaccent` (a trusted extension: the database owner may create it) for accent-insensitive
--   matching: "ecologie" finds "écologie", "energie" finds "Énergie".
-- * One text search configuration per interface language, each running every word through
--   `unaccent` before its stemmer: `echos_fr` (French), `echos_en` (English), `echos_ca`
--   (Catalan where this PostgreSQL has its stemmer, otherwise `simple`: no stemming).
-- * `echos_search_config(locale)`: the configuration of a region's language, the one place that
--   maps one to the other (a new language: a new configuration and a new version of it).
-- * `echos_html_text(html)`: the text of a sanitised body (ammonia's output), for the index and
--   the excerpts.
-- * `echos_search_vector(…)`: the weighted vector of a contribution — A title, B tags and author,
--   C summary and body.
-- A tenant's search_path is its schema alone: everything here is always called `public.…`.

CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

CREATE TEXT SEARCH CONFIGURATION public.echos_fr (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION public.echos_fr
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH public.unaccent, pg_catalog.french_stem;

CREATE TEXT SEARCH CONFIGURATION public.echos_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION public.echos_en
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH public.unaccent, pg_catalog.english_stem;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_ts_dict
                WHERE dictname = 'catalan_stem' AND dictnamespace = 'pg_catalog'::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION public.echos_ca (COPY = pg_catalog.catalan);
        ALTER TEXT SEARCH CONFIGURATION public.echos_ca
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
            WITH public.unaccent, pg_catalog.catalan_stem;
    ELSE
        CREATE TEXT SEARCH CONFIGURATION public.echos_ca (COPY = pg_catalog.simple);
        ALTER TEXT SEARCH CONFIGURATION public.echos_ca
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
            WITH public.unaccent, pg_catalog.simple;
    END IF;
END
$$;

CREATE FUNCTION public.echos_search_config(locale text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE locale
        WHEN 'fr' THEN 'public.echos_fr'::regconfig
        WHEN 'en' THEN 'public.echos_en'::regconfig
        WHEN 'ca' THEN 'public.echos_ca'::regconfig
    END;

-- ammonia serialises well-formed HTML: attribute values in double quotes (where `>` may appear),
-- and in text only `&amp;`, `&lt;`, `&gt;` and `&nbsp;` escaped. Every tag becomes a space (so
-- paragraphs do not run together); U+E000 and U+E001, the excerpts' highlight markers, are
-- removed so that no text can fake one.
CREATE FUNCTION public.echos_html_text(html text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.btrim(pg_catalog.regexp_replace(
        pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
            pg_catalog.regexp_replace(html, '<("[^"]*"|''[^'']*''|[^"''>])*>', ' ', 'g'),
            '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&nbsp;', ' '), '&amp;', '&'),
        '[[:space:]' || pg_catalog.chr(57344) || pg_catalog.chr(57345) || ']+', ' ', 'g'));

CREATE FUNCTION public.echos_search_vector(cfg regconfig, title text, tags text, author text, summary text,
                                           body_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN pg_catalog.setweight(pg_catalog.to_tsvector(cfg, coalesce(title, '')), 'A')
        || pg_catalog.setweight(pg_catalog.to_tsvector(cfg, coalesce(tags, '') || ' ' || coalesce(author, '')), 'B')
        || pg_catalog.setweight(pg_catalog.to_tsvector(cfg, coalesce(summary, '') || ' ' || coalesce(body_text, '')), 'C');
