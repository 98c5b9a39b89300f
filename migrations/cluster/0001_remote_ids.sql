-- On a region cluster: the next id of a control-plane table with an identity column, drawn from
-- the control plane's `<table>_next_id` view (a foreign table here). The default of those
-- columns in the foreign tables (set by the runner after each import).
CREATE FUNCTION platform.remote_next_id(source text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    value bigint;
BEGIN
    EXECUTE format('SELECT id FROM platform.%I', source) INTO STRICT value;
    RETURN value;
END
$$;
