-- Communities members propose and run themselves, and moderation after the fact: reports that
-- hide an item at a threshold, pending a moderator's review.

CREATE TABLE communities (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    name              text NOT NULL CHECK (length(name) BETWEEN 2 AND 80),
    -- A theme (neuroscience, robotics), a research group, the attendees of an event or congress.
    kind              text NOT NULL CHECK (kind IN ('theme', 'research_group', 'event')),
    description_md    text NOT NULL DEFAULT '' CHECK (length(description_md) <= 5000),
    description_html  text NOT NULL DEFAULT '',
    cover_key         text,
    -- Anyone joins at once, or asks and waits for a moderator.
    access            text NOT NULL DEFAULT 'open' CHECK (access IN ('open', 'request')),
    -- pending: waits for a regional admin; refused; active; hidden (reported, pending review);
    -- archived (read-only, out of the lists).
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'refused', 'active', 'hidden', 'archived')),
    refusal_reason    text CHECK (length(refusal_reason) <= 1000),
    -- Reports that hide an item of this community; NULL: the region's.
    report_threshold  smallint CHECK (report_threshold BETWEEN 1 AND 100),
    proposed_by       bigint REFERENCES members (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    approved_at       timestamptz,
    archived_at       timestamptz
);
CREATE INDEX communities_status_idx ON communities (status, name);

CREATE TABLE community_tags (
    community_id  bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    tag_id        bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, tag_id)
);

CREATE TABLE community_members (
    community_id  bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    role          text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'owner')),
    -- pending: asked to join a community on request.
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending')),
    joined_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX community_members_member_idx ON community_members (member_id);

CREATE TABLE community_pins (
    community_id     bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    pinned_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, contribution_id)
);

-- Contributions published into a community (detached when it is deleted).
UPDATE contributions SET community_id = NULL WHERE community_id IS NOT NULL;
ALTER TABLE contributions
    ADD CONSTRAINT contributions_community_fkey FOREIGN KEY (community_id) REFERENCES communities (id) ON DELETE SET NULL;
CREATE INDEX contributions_community_idx ON contributions (community_id, published_at DESC) WHERE status = 'published';

-- Hidden pending review: a contribution's status 'hidden' (existing), a comment's, a profile's,
-- a community's (above). Why, and whether its author asked for a review.
ALTER TABLE contributions
    ADD COLUMN hidden_at            timestamptz,
    ADD COLUMN review_requested_at  timestamptz;
ALTER TABLE comments DROP CONSTRAINT comments_status_check;
ALTER TABLE comments ADD CONSTRAINT comments_status_check CHECK (status IN ('visible', 'hidden', 'deleted'));
ALTER TABLE comments ADD COLUMN hidden_at timestamptz;
ALTER TABLE members ADD COLUMN hidden_at timestamptz;
ALTER TABLE communities ADD COLUMN hidden_at timestamptz;

CREATE TABLE reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_kind  text NOT NULL CHECK (target_kind IN ('contribution', 'comment', 'community', 'member')),
    target_id    bigint NOT NULL,
    reporter_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reason       text NOT NULL CHECK (reason IN ('spam', 'offensive', 'off_topic', 'illegal', 'other')),
    details      text NOT NULL DEFAULT '' CHECK (length(details) <= 1000),
    -- 1, or ½ from an account younger than a day or unconfirmed (a region setting).
    weight       real NOT NULL CHECK (weight > 0 AND weight <= 1),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- restored (the reports were wrong), removed (they were right); NULL: pending.
    resolution   text CHECK (resolution IN ('restored', 'removed')),
    resolved_at  timestamptz,
    UNIQUE (target_kind, target_id, reporter_id)
);
CREATE INDEX reports_pending_idx ON reports (target_kind, target_id) WHERE resolution IS NULL;
CREATE INDEX reports_reporter_idx ON reports (reporter_id);

-- A notification names what it is about, so that an item hidden later leaves every list of
-- notifications and every e-mail not yet sent.
ALTER TABLE notifications
    ADD COLUMN contribution_id  bigint REFERENCES contributions (id) ON DELETE CASCADE,
    ADD COLUMN comment_id       bigint REFERENCES comments (id) ON DELETE CASCADE;
