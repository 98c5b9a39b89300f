-- "J'aime": one per member and contribution.
CREATE TABLE likes (
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    member_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contribution_id, member_id)
);
CREATE INDEX likes_member_idx ON likes (member_id);
