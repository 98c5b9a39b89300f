-- Comments on contributions, threaded one level (a reply answers a top-level comment).
CREATE TABLE comments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    author_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    parent_id        bigint REFERENCES comments (id) ON DELETE CASCADE,
    body_md          text NOT NULL CHECK (length(body_md) <= 5000),
    body_html        text NOT NULL,
    status           text NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'deleted')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_contribution_idx ON comments (contribution_id, created_at);
