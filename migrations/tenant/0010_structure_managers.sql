-- The people who publish on behalf of a structure (a member of kind `structure`: a museum, a
-- lab, an association). The structure's own account names them from its personal space; they
-- may then sign a contribution with the structure's name, and edit what the structure signed.
CREATE TABLE structure_managers (
    structure_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    member_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (structure_id, member_id),
    CHECK (structure_id <> member_id)
);
CREATE INDEX structure_managers_member_idx ON structure_managers (member_id);
