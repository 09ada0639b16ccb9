-- The jobs table: one row per transcoding of one source version, for the whole
-- roadmap (tenants, leases with fencing, retries, progress, outcomes).

CREATE TYPE job_status AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead');

CREATE TABLE jobs (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        text        NOT NULL CHECK (tenant_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    video_id         text        NOT NULL CHECK (video_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    -- Distinguishes re-uploads of one video; the same upload delivered twice has the same version.
    source_version   text        NOT NULL DEFAULT '',
    source_bucket    text,
    source_key       text        NOT NULL,
    source_size      bigint      CHECK (source_size IS NULL OR source_size >= 0),
    source_checksum  text,
    profile_set      text[]      NOT NULL DEFAULT '{}',
    output_prefix    text        NOT NULL DEFAULT '',
    status           job_status  NOT NULL DEFAULT 'queued',
    priority         integer     NOT NULL DEFAULT 0,
    attempt          integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts     integer     NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    -- Raised by every claim and requeue: a worker whose token is stale can no longer write.
    fencing_token    bigint      NOT NULL DEFAULT 0,
    progress         real        NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    error_code       text,
    error_message    text,
    result           jsonb,
    started_at       timestamptz,
    finished_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_one_per_source_version UNIQUE (tenant_id, video_id, source_version)
);

-- The claim: queued jobs in priority, then age, order.
CREATE INDEX jobs_queue ON jobs (priority DESC, created_at) WHERE status = 'queued';
-- The reaper: running jobs by lease expiry.
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running';
-- Listing by tenant (and status), newest first, with keyset pagination on (created_at, id).
CREATE INDEX jobs_by_tenant ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_by_tenant_status ON jobs (tenant_id, status, created_at DESC, id DESC);

-- Wakes idle workers (LISTEN jobs_queued) when a job becomes claimable.
CREATE FUNCTION jobs_notify_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jobs_queued', NEW.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_queued AFTER INSERT OR UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION jobs_notify_queued();
