-- Full-text search over contributions (see docs/search.md). `body_text` is the body without its
-- markup, for the index and the excerpts; `search` the weighted vector, kept current by
-- `echos_core::search::refresh` in the transaction of every write, in the configuration of the
-- region's language. Only published contributions are searched: the index covers them alone.
ALTER TABLE contributions
    ADD COLUMN body_text  text NOT NULL DEFAULT '',
    ADD COLUMN search     tsvector;

-- What is already there. A spare schema has no row in `platform.tenants` (and no content).
UPDATE contributions c
   SET body_text = x.body_text,
       search = public.echos_search_vector(x.cfg, c.title, x.tags, m.display_name, c.summary, x.body_text)
  FROM (SELECT c2.id,
               public.echos_html_text(c2.body_html) AS body_text,
               (SELECT string_agg(t.name, ' ') FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                 WHERE ct.contribution_id = c2.id) AS tags,
               (SELECT public.echos_search_config(r.default_locale) FROM platform.tenants r
                 WHERE r.schema_name = current_schema()) AS cfg
          FROM contributions c2) x,
       members m
 WHERE c.id = x.id AND m.id = c.author_id;

CREATE INDEX contributions_search_idx ON contributions USING gin (search) WHERE status = 'published';
