-- A region's members: an account's profile and role in this region. The e-mail stays with the
-- account in the control plane.
CREATE TABLE members (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    uuid NOT NULL UNIQUE,
    handle        text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9-]{1,47}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    kind          text NOT NULL CHECK (kind IN ('person', 'structure')),
    audience      text CHECK (audience IN ('mediator', 'teacher', 'student', 'researcher', 'curious', 'other')),
    role          text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    bio           text NOT NULL DEFAULT '' CHECK (length(bio) <= 4000),
    website       text,
    location      text,
    joined_at     timestamptz NOT NULL DEFAULT now()
);
