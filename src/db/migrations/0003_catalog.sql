-- The management API's needs: progress in percent (one vocabulary with the
-- CLI and the events), fair claiming across tenants, per-tenant policy,
-- cancellation of running jobs, and listing by video.

ALTER TABLE jobs DROP CONSTRAINT jobs_progress_check;
UPDATE jobs SET progress = progress * 100;
ALTER TABLE jobs ADD CONSTRAINT jobs_progress_check CHECK (progress >= 0 AND progress <= 100);

-- When the job last became claimable (created, retried, requeued): its wait.
ALTER TABLE jobs ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now();

-- A tenant's policy; a NULL column takes the service's configured default.
CREATE TABLE tenant_policies (
    tenant_id            text        PRIMARY KEY CHECK (tenant_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    allowed_profiles     text[],
    top_rung             text,
    segment_seconds      integer     CHECK (segment_seconds BETWEEN 1 AND 30),
    preset               text,
    max_duration_seconds integer     CHECK (max_duration_seconds > 0),
    max_width            integer     CHECK (max_width > 0),
    max_height           integer     CHECK (max_height > 0),
    max_frame_rate       real        CHECK (max_frame_rate > 0),
    max_queued           integer     CHECK (max_queued >= 0),
    max_running          integer     CHECK (max_running >= 0),
    priority             integer     CHECK (priority BETWEEN -100 AND 100),
    requests_per_second  real        CHECK (requests_per_second > 0),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Every tenant that ever queued a job, and when a worker last took one of its
-- jobs: the claim serves the tenant that has waited longest (fairness).
CREATE TABLE tenant_queue (
    tenant_id       text        PRIMARY KEY,
    last_claimed_at timestamptz
);

CREATE FUNCTION jobs_register_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_queue (tenant_id) VALUES (NEW.tenant_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_register_tenant AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_register_tenant();
INSERT INTO tenant_queue (tenant_id) SELECT DISTINCT tenant_id FROM jobs ON CONFLICT DO NOTHING;

-- One tenant's claimable jobs in claim order.
CREATE INDEX jobs_tenant_queue ON jobs (tenant_id, priority DESC, queued_at, id) WHERE status = 'queued';
-- Listing across tenants (admins) and by video.
CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_by_video ON jobs (tenant_id, video_id, created_at DESC, id DESC);

-- Stops a cancelled job's worker at once (LISTEN jobs_cancelled), without
-- waiting for its next heartbeat.
CREATE FUNCTION jobs_notify_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jobs_cancelled', NEW.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_cancelled AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status = 'running') EXECUTE FUNCTION jobs_notify_cancelled();
