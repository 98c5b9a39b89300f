-- A member's avatar: the media key of the processed image (tenants/<region id>/avatars/…).
ALTER TABLE members ADD COLUMN avatar_key text;
