-- Backups. Each region's scheduled archive is a row of platform.exports requested by 'backup';
-- the dumps of the platform schema itself are listed here, their files beside the media.
CREATE TABLE platform.platform_dumps (
    id          uuid PRIMARY KEY,
    media_key   text NOT NULL,
    bytes       bigint NOT NULL,
    tables      integer NOT NULL,
    rows        bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platform_dumps_created_idx ON platform.platform_dumps (created_at DESC);
CREATE INDEX exports_backup_idx ON platform.exports (tenant_id, created_at DESC) WHERE requested_by = 'backup';
