-- Projects are offered by every region unless its admins turn them off.
ALTER TABLE platform.tenants
    ALTER COLUMN enabled_kinds SET DEFAULT
        ARRAY['article', 'link', 'debate', 'announcement', 'dossier', 'event', 'place', 'project']::text[];

UPDATE platform.tenants SET enabled_kinds = enabled_kinds || ARRAY['project']::text[]
 WHERE NOT 'project' = ANY(enabled_kinds);
