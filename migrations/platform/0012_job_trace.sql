-- The W3C trace context of the request that queued a job (`traceparent`), so that the job's
-- spans join the request's trace. Null when tracing was off.
ALTER TABLE platform.jobs ADD COLUMN trace_parent text
    CHECK (trace_parent IS NULL OR length(trace_parent) <= 128);
