-- Events and places to visit: two more kinds of contribution (comments, likes, tags, communities,
-- moderation and search come with the contribution). An event has one or more dates, each its
-- own row of the agenda; members say they go or are interested. Structures may give an address
-- and appear on the map.
ALTER TABLE contributions DROP CONSTRAINT contributions_kind_check;
ALTER TABLE contributions ADD CONSTRAINT contributions_kind_check
    CHECK (kind IN ('article', 'link', 'debate', 'announcement', 'dossier', 'event', 'place'));

ALTER TABLE contributions
    -- Where: events and places.
    ADD COLUMN place_name        text CHECK (length(place_name) <= 200),
    ADD COLUMN address           text CHECK (length(address) <= 300),
    ADD COLUMN lat               double precision CHECK (lat BETWEEN -90 AND 90),
    ADD COLUMN lon               double precision CHECK (lon BETWEEN -180 AND 180),
    -- Events.
    ADD COLUMN event_kind        text CHECK (event_kind IN ('workshop', 'conference', 'exhibition', 'festival',
                                                            'visit', 'science_cafe', 'other')),
    ADD COLUMN all_day           boolean NOT NULL DEFAULT false,
    ADD COLUMN online_url        text CHECK (length(online_url) <= 2000),
    ADD COLUMN audience          text CHECK (audience IN ('everyone', 'children', 'families', 'schools',
                                                          'students', 'professionals')),
    -- NULL: free.
    ADD COLUMN price             text CHECK (length(price) <= 200),
    ADD COLUMN registration_url  text CHECK (length(registration_url) <= 2000),
    ADD COLUMN organiser_id      bigint REFERENCES members (id) ON DELETE SET NULL,
    -- Places.
    ADD COLUMN place_kind        text CHECK (place_kind IN ('museum', 'garden', 'observatory', 'lab', 'company',
                                                            'library', 'other')),
    ADD COLUMN opening_hours     text CHECK (length(opening_hours) <= 1000),
    ADD COLUMN accessibility     text CHECK (length(accessibility) <= 1000),
    ADD COLUMN website           text CHECK (length(website) <= 2000),
    ADD CONSTRAINT contributions_point_is_whole CHECK ((lat IS NULL) = (lon IS NULL));

-- Places on the map, by position.
CREATE INDEX contributions_point_idx ON contributions (lon, lat) WHERE status = 'published' AND lat IS NOT NULL;

-- Each date of an event: an instant range, and the local day it starts on in the region's time
-- zone (the agenda groups by it).
CREATE TABLE event_occurrences (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    CHECK (ends_at >= starts_at)
);
CREATE INDEX event_occurrences_time_idx ON event_occurrences (starts_at, ends_at);
CREATE INDEX event_occurrences_event_idx ON event_occurrences (contribution_id, starts_at);

-- "I'm going" and "interested". Organisers see the names of those going who agree to it.
CREATE TABLE event_attendance (
    contribution_id  bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    member_id        bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('going', 'interested')),
    show_name        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- The day before, those going are reminded once per occurrence.
    reminded_until   timestamptz,
    PRIMARY KEY (contribution_id, member_id)
);
CREATE INDEX event_attendance_member_idx ON event_attendance (member_id);

-- A member's private agenda feed ("I'm going"): a secret address, changed on demand.
ALTER TABLE members
    ADD COLUMN agenda_token  text UNIQUE,
    -- Structures with an address appear on the map.
    ADD COLUMN address       text CHECK (length(address) <= 300),
    ADD COLUMN lat           double precision CHECK (lat BETWEEN -90 AND 90),
    ADD COLUMN lon           double precision CHECK (lon BETWEEN -180 AND 180),
    ADD CONSTRAINT members_point_is_whole CHECK ((lat IS NULL) = (lon IS NULL));
