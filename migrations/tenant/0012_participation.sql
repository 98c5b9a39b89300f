-- Participation figures of months that have ended, kept once computed: a month's figures are
-- fixed when it ends (the console reads a few rows instead of a year of activity). Keyed by the
-- time zone the months were cut in, so a region that changes its zone simply computes anew.
CREATE TABLE participation_months (
    time_zone  text NOT NULL,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    series     text NOT NULL CHECK (series ~ '^[a-z]+/[a-z_]+$'),
    n          bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (time_zone, month, series)
);

-- The "J'aime" count kept on the contribution, by trigger (so a member's deletion, which
-- cascades to their likes, keeps it true; the function is in platform/0007): lists read it
-- instead of counting.
ALTER TABLE contributions ADD COLUMN like_count bigint NOT NULL DEFAULT 0;
UPDATE contributions c SET like_count = (SELECT count(*) FROM likes l WHERE l.contribution_id = c.id);

CREATE TRIGGER likes_count AFTER INSERT OR DELETE ON likes FOR EACH ROW EXECUTE FUNCTION public.echos_likes_count();

-- The console's rankings.
CREATE INDEX contributions_most_read_idx ON contributions (view_count DESC, id DESC) WHERE status = 'published';
CREATE INDEX contributions_most_liked_idx ON contributions (like_count DESC, id DESC) WHERE status = 'published';
-- The members list, newest first.
CREATE INDEX members_newest_idx ON members (joined_at DESC, id DESC);
DROP INDEX members_joined_idx;
