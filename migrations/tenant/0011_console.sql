-- The regional console: roles (an editor edits and features any contribution), suspensions and
-- bans, last activity, the legal pages, featured contributions, privately counted page views, the
-- audit log of admin actions, and newsletters.
ALTER TABLE members DROP CONSTRAINT members_role_check;
ALTER TABLE members
    ADD CONSTRAINT members_role_check CHECK (role IN ('member', 'editor', 'admin')),
    ADD COLUMN last_seen_at     timestamptz,
    -- May read but not write until then.
    ADD COLUMN suspended_until  timestamptz,
    -- Signed out of this region and kept out.
    ADD COLUMN banned_at        timestamptz,
    ADD COLUMN sanction_reason  text CHECK (length(sanction_reason) <= 500),
    -- For the one-click unsubscribe link of newsletters.
    ADD COLUMN unsubscribe_token text;
CREATE INDEX members_joined_idx ON members (joined_at);
CREATE INDEX members_role_idx ON members (role) WHERE role <> 'member';

ALTER TABLE contributions
    ADD COLUMN featured_at  timestamptz,
    ADD COLUMN view_count   bigint NOT NULL DEFAULT 0;
CREATE INDEX contributions_featured_idx ON contributions (featured_at DESC) WHERE featured_at IS NOT NULL;
-- Participation figures aggregate by month.
CREATE INDEX contributions_published_month_idx ON contributions (kind, published_at) WHERE status = 'published';

-- About, terms, privacy, contact: Markdown and its sanitised HTML.
CREATE TABLE pages (
    slug        text PRIMARY KEY CHECK (slug IN ('a-propos', 'conditions', 'confidentialite', 'contact')),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    body_md     text NOT NULL CHECK (length(body_md) <= 50000),
    body_html   text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Page views per day, counted in memory and added in batches: no address, no visitor, no cookie.
CREATE TABLE page_views (
    day    date PRIMARY KEY,
    views  bigint NOT NULL DEFAULT 0
);

-- Every action of the region's admins (and moderators): who, what, when, before and after.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES members (id) ON DELETE SET NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_.]{1,60}$'),
    target      text NOT NULL DEFAULT '' CHECK (length(target) <= 200),
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

CREATE TABLE newsletters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body_md     text NOT NULL CHECK (length(body_md) <= 50000),
    body_html   text NOT NULL,
    audience    text CHECK (audience IN ('mediator', 'teacher', 'student', 'researcher', 'curious', 'other', 'structure')),
    tag         text,
    author_id   bigint REFERENCES members (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    recipients  integer NOT NULL DEFAULT 0,
    delivered   integer NOT NULL DEFAULT 0,
    failed      integer NOT NULL DEFAULT 0
);

-- Participation figures aggregate comments and likes by month.
CREATE INDEX comments_created_idx ON comments (created_at);
CREATE INDEX likes_created_idx ON likes (created_at);
