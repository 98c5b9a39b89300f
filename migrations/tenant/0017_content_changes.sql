-- Every table whose rows a visitor can see tells the processes when it changes (their page cache
-- then stops serving what was rendered before; `platform.notify_content_change`). Updates of
-- columns no visitor sees (a member's last visit, private tokens, counters flushed in the
-- background, reminders sent) do not: they name only the other columns. The private tables
-- (notifications, page views, the audit log, reports, newsletters, ballots) have no trigger.
-- A test checks that every column of these tables is either listed here or private.
DO $$
DECLARE
    t text;
    cols text;
BEGIN
    FOREACH t IN ARRAY ARRAY['settings', 'members', 'contributions', 'comments', 'likes', 'link_previews',
        'tags', 'pages', 'contribution_tags', 'community_tags', 'dossier_items', 'communities',
        'community_members', 'contribution_coauthors', 'project_team', 'event_occurrences', 'votes',
        'member_follows', 'community_pins', 'structure_managers', 'event_attendance', 'tag_follows', 'calls']
    LOOP
        SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
          FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = t
           AND (table_name || '.' || column_name) NOT IN (
               'members.last_seen_at', 'members.email_notifications', 'members.unsubscribe_token',
               'members.agenda_token', 'members.sanction_reason', 'contributions.view_count',
               'contributions.closure_told_at', 'event_attendance.reminded_until');
        EXECUTE format('CREATE TRIGGER content_changed AFTER INSERT OR DELETE OR UPDATE OF %s ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_content_change()', cols, t);
        EXECUTE format('CREATE TRIGGER content_truncated AFTER TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_content_change()', t);
    END LOOP;
END
$$;
