-- Every kind of contribution in the one table: a cover image (articles), the shared address
-- (curated links) and its fetched preview, the kind and closing date of announcements, the
-- ordered items and co-authors of dossiers. And follows: of a member (a person or a structure)
-- and of a tag.
ALTER TABLE contributions
    ADD COLUMN cover_key          text,
    ADD COLUMN link_url           text CHECK (length(link_url) <= 2000),
    ADD COLUMN announcement_kind  text CHECK (announcement_kind IN ('competition', 'job', 'call', 'other')),
    ADD COLUMN closes_on          date,
    ADD CONSTRAINT contributions_link_has_url CHECK (kind <> 'link' OR link_url IS NOT NULL),
    ADD CONSTRAINT contributions_announcement_is_complete
        CHECK (kind <> 'announcement' OR (announcement_kind IS NOT NULL AND closes_on IS NOT NULL));

CREATE INDEX contributions_published_idx ON contributions (published_at DESC) WHERE status = 'published';

-- The preview of a curated link, fetched by a job: `pending` until it runs, then `ready` or
-- `none` (refused or failed: the page shows the bare link).
CREATE TABLE link_previews (
    contribution_id  bigint PRIMARY KEY REFERENCES contributions (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'none')),
    url              text,
    title            text,
    description      text,
    image_url        text,
    site_name        text,
    fetched_at       timestamptz
);

CREATE TABLE dossier_items (
    dossier_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    item_id     bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    PRIMARY KEY (dossier_id, item_id),
    CHECK (dossier_id <> item_id)
);
CREATE INDEX dossier_items_item_idx ON dossier_items (item_id);

CREATE TABLE contribution_coauthors (
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    member_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (contribution_id, member_id)
);
CREATE INDEX contribution_coauthors_member_idx ON contribution_coauthors (member_id);

CREATE TABLE member_follows (
    follower_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    followed_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followed_id),
    CHECK (follower_id <> followed_id)
);
CREATE INDEX member_follows_followed_idx ON member_follows (followed_id);

CREATE TABLE tag_follows (
    follower_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    tag_id       bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, tag_id)
);
CREATE INDEX tag_follows_tag_idx ON tag_follows (tag_id);
