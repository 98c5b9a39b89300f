-- In-app notifications of a region's members, and which kinds each member also wants by e-mail.
CREATE TABLE notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    message     text NOT NULL CHECK (length(message) <= 500),
    link        text CHECK (link IS NULL OR link LIKE '/%'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX notifications_member_idx ON notifications (member_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (member_id) WHERE read_at IS NULL;

ALTER TABLE members ADD COLUMN email_notifications text[] NOT NULL
    DEFAULT ARRAY['comment_on_mine', 'reply_to_me']::text[];
