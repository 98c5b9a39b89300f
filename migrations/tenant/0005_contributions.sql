-- Contributions: one table for every kind (articles first; curated links, debates,
-- announcements, dossiers, events, places and projects add their own columns or side tables).
-- The Markdown source is kept beside its sanitised HTML, rendered once on write.
CREATE TABLE contributions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('article', 'link', 'debate', 'announcement', 'dossier')),
    author_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'hidden', 'deleted')),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    slug          text NOT NULL,
    summary       text NOT NULL DEFAULT '' CHECK (length(summary) <= 500),
    body_md       text NOT NULL DEFAULT '' CHECK (length(body_md) <= 100000),
    body_html     text NOT NULL DEFAULT '',
    community_id  bigint,
    published_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contributions_listing_idx ON contributions (kind, status, published_at DESC);
CREATE INDEX contributions_author_idx ON contributions (author_id);

CREATE TABLE tags (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name  text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 40)
);

CREATE TABLE contribution_tags (
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    tag_id           bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contribution_id, tag_id)
);
CREATE INDEX contribution_tags_tag_idx ON contribution_tags (tag_id);
