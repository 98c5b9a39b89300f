-- A cover image's alternative text, written by its author (what a screen reader says of it).
ALTER TABLE contributions ADD COLUMN cover_alt text NOT NULL DEFAULT '' CHECK (length(cover_alt) <= 300);
