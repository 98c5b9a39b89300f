-- Projects members support with their votes, on their own or within a call a regional admin
-- opens. A vote is a row (one per member and project); the count shown is always counted from
-- them. Within a call that gives each member N votes, `call_ballots` holds how many a member has
-- used, raised under its row lock so that concurrent votes never exceed the allowance.
ALTER TABLE contributions DROP CONSTRAINT contributions_kind_check;
ALTER TABLE contributions ADD CONSTRAINT contributions_kind_check
    CHECK (kind IN ('article', 'link', 'debate', 'announcement', 'dossier', 'event', 'place', 'project'));

CREATE TABLE calls (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body_md           text NOT NULL DEFAULT '' CHECK (length(body_md) <= 20000),
    body_html         text NOT NULL DEFAULT '',
    -- Projects are submitted, and voted for, between these instants.
    opens_at          timestamptz NOT NULL,
    closes_at         timestamptz NOT NULL,
    -- Who may submit: any member, people only, structures only.
    submitters        text NOT NULL DEFAULT 'members' CHECK (submitters IN ('members', 'people', 'structures')),
    -- NULL: one vote per project; N: N votes in the whole call.
    votes_per_member  smallint CHECK (votes_per_member BETWEEN 1 AND 100),
    created_by        bigint REFERENCES members (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at)
);

ALTER TABLE contributions
    ADD COLUMN funding_url     text CHECK (length(funding_url) <= 2000),
    ADD COLUMN goal            text CHECK (length(goal) <= 300),
    -- A project's own voting period (without a call): from publication to this instant.
    ADD COLUMN vote_closes_at  timestamptz,
    ADD COLUMN call_id         bigint REFERENCES calls (id) ON DELETE SET NULL,
    -- When its supporters were told the vote is over.
    ADD COLUMN closure_told_at timestamptz;
CREATE INDEX contributions_call_idx ON contributions (call_id) WHERE call_id IS NOT NULL;

-- A project's team, beside its author.
CREATE TABLE project_team (
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    member_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (contribution_id, member_id)
);

CREATE TABLE votes (
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    member_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    call_id          bigint REFERENCES calls (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contribution_id, member_id)
);
CREATE INDEX votes_member_idx ON votes (member_id);
CREATE INDEX votes_created_idx ON votes (created_at);

CREATE TABLE call_ballots (
    call_id    bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    used       smallint NOT NULL CHECK (used >= 0),
    PRIMARY KEY (call_id, member_id)
);
