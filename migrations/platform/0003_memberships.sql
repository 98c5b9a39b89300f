-- Which regions an account has joined, so that exporting or deleting an account reaches every
-- region without scanning them all. The member rows themselves stay in each region's schema.
CREATE TABLE platform.memberships (
    account_id  uuid NOT NULL REFERENCES platform.accounts (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    joined_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, tenant_id)
);
CREATE INDEX memberships_tenant_idx ON platform.memberships (tenant_id);

ALTER TABLE platform.accounts ADD COLUMN deleted_at timestamptz;
