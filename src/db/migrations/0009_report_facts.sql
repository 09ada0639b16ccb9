-- Facts of every finished job, for reports (GET /v1/reports/summary,
-- GET /v1/reports/jobs.csv, `stream-transcoding report`): one row per job in
-- a final status and one per rendition it produced, in plain columns that an
-- aggregate reads without parsing JSON. A trigger writes them when a job
-- reaches a final status, so no path there (success, failure, death by an
-- expired lease, cancellation) can miss them; a retried job's are replaced.

CREATE TABLE job_facts (
    job_id            uuid             PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    tenant_id         text             NOT NULL,
    status            job_status       NOT NULL,
    created_at        timestamptz      NOT NULL,  -- when the upload event made the job
    finished_at       timestamptz      NOT NULL,
    attempts          integer          NOT NULL,
    error_code        text,
    source_bytes      bigint,
    output_bytes      bigint,
    output_seconds    double precision,           -- seconds of video produced
    fetch_seconds     double precision,
    transcode_seconds double precision,
    encode_seconds    double precision,
    quality_seconds   double precision,
    publish_seconds   double precision,
    cpu_seconds       double precision,           -- the job's own children (ffprobe, ffmpeg, the packager)
    encode_speed      double precision            -- seconds of media per second of the encode
);
-- Reports select a time range, for every tenant or for one, and read only
-- these columns: index-only scans (a month of a million jobs in 0.4 s,
-- docs/performance.md).
CREATE INDEX job_facts_by_finish ON job_facts (finished_at)
    INCLUDE (tenant_id, status, created_at, output_seconds, cpu_seconds, source_bytes, output_bytes);
CREATE INDEX job_facts_by_tenant ON job_facts (tenant_id, finished_at)
    INCLUDE (status, created_at, output_seconds, cpu_seconds, source_bytes, output_bytes);

CREATE TABLE rendition_facts (
    job_id           uuid             NOT NULL REFERENCES job_facts (job_id) ON DELETE CASCADE,
    rendition        text             NOT NULL,
    tenant_id        text             NOT NULL,
    finished_at      timestamptz      NOT NULL,
    width            integer,
    height           integer,
    average_bit_rate bigint,
    size_bytes       bigint,
    psnr             double precision,
    psnr_y           double precision,
    ssim             double precision,
    -- The job's, repeated so that a report by rendition needs no join.
    latency_seconds  double precision,
    cpu_seconds      double precision,
    output_seconds   double precision,
    source_bytes     bigint,
    output_bytes     bigint,
    PRIMARY KEY (job_id, rendition)
);
CREATE INDEX rendition_facts_by_finish ON rendition_facts (finished_at)
    INCLUDE (tenant_id, rendition, psnr, ssim, average_bit_rate, height);

-- The renditions' figures added up by UTC day, tenant and rendition, kept by
-- record_job_facts(): a summary of a month reads a few thousand of these
-- rather than millions of rendition facts (the days a range only partly
-- covers are read from the facts).
CREATE TABLE rendition_daily (
    day            date             NOT NULL,
    tenant_id      text             NOT NULL,
    rendition      text             NOT NULL,
    renditions     bigint           NOT NULL DEFAULT 0,
    psnr_sum       double precision NOT NULL DEFAULT 0,
    psnr_count     bigint           NOT NULL DEFAULT 0,
    ssim_sum       double precision NOT NULL DEFAULT 0,
    ssim_count     bigint           NOT NULL DEFAULT 0,
    bit_rate_sum   double precision NOT NULL DEFAULT 0,
    bit_rate_count bigint           NOT NULL DEFAULT 0,
    height         integer,         -- the largest seen: orders the rungs
    cpu_seconds    double precision NOT NULL DEFAULT 0,  -- of the jobs that made the rendition
    output_seconds double precision NOT NULL DEFAULT 0,
    source_bytes   double precision NOT NULL DEFAULT 0,
    output_bytes   double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (day, tenant_id, rendition)
);

-- Adds (sign 1) or takes away (sign -1) one job's rendition facts.
CREATE FUNCTION roll_up_renditions(job uuid, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO rendition_daily AS d (day, tenant_id, rendition, renditions, psnr_sum, psnr_count, ssim_sum,
                                      ssim_count, bit_rate_sum, bit_rate_count, height, cpu_seconds, output_seconds,
                                      source_bytes, output_bytes)
    SELECT (finished_at AT TIME ZONE 'UTC')::date, tenant_id, rendition, sign, sign * coalesce(psnr, 0),
           sign * (psnr IS NOT NULL)::integer, sign * coalesce(ssim, 0), sign * (ssim IS NOT NULL)::integer,
           sign * coalesce(average_bit_rate, 0), sign * (average_bit_rate IS NOT NULL)::integer, height,
           sign * coalesce(cpu_seconds, 0), sign * coalesce(output_seconds, 0), sign * coalesce(source_bytes, 0),
           sign * coalesce(output_bytes, 0)
      FROM rendition_facts WHERE job_id = job
    ON CONFLICT (day, tenant_id, rendition) DO UPDATE SET
        renditions = d.renditions + EXCLUDED.renditions, psnr_sum = d.psnr_sum + EXCLUDED.psnr_sum,
        psnr_count = d.psnr_count + EXCLUDED.psnr_count, ssim_sum = d.ssim_sum + EXCLUDED.ssim_sum,
        ssim_count = d.ssim_count + EXCLUDED.ssim_count, bit_rate_sum = d.bit_rate_sum + EXCLUDED.bit_rate_sum,
        bit_rate_count = d.bit_rate_count + EXCLUDED.bit_rate_count,
        height = greatest(d.height, EXCLUDED.height), cpu_seconds = d.cpu_seconds + EXCLUDED.cpu_seconds,
        output_seconds = d.output_seconds + EXCLUDED.output_seconds,
        source_bytes = d.source_bytes + EXCLUDED.source_bytes, output_bytes = d.output_bytes + EXCLUDED.output_bytes
$$;

-- A JSON value as a number, or NULL when it is not one: a malformed outcome
-- must never make a job's final status fail to be written.
CREATE FUNCTION jsonb_number(value jsonb) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'number' THEN (value #>> '{}')::double precision END
$$;

-- The wall seconds of one step of the pipeline, from the report kept in the outcome.
CREATE FUNCTION report_step_seconds(result jsonb, step text) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT sum(jsonb_number(s -> 'wall_seconds'))
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(result -> 'report' -> 'steps') = 'array'
                                     THEN result -> 'report' -> 'steps' ELSE '[]'::jsonb END) AS s
     WHERE s ->> 'name' = step
$$;

CREATE FUNCTION record_job_facts(j jobs) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    finished timestamptz := coalesce(j.finished_at, now());
    renditions jsonb := CASE WHEN jsonb_typeof(j.result -> 'renditions') = 'array'
                             THEN j.result -> 'renditions' ELSE '[]'::jsonb END;
BEGIN
    PERFORM roll_up_renditions(j.id, -1);
    DELETE FROM job_facts WHERE job_id = j.id;
    INSERT INTO job_facts (job_id, tenant_id, status, created_at, finished_at, attempts, error_code, source_bytes,
                           output_bytes, output_seconds, fetch_seconds, transcode_seconds, encode_seconds,
                           quality_seconds, publish_seconds, cpu_seconds, encode_speed)
    VALUES (j.id, j.tenant_id, j.status, j.created_at, finished, j.attempt, j.error_code, j.source_size,
            jsonb_number(j.result -> 'bytes')::bigint, jsonb_number(j.result -> 'durationSeconds'),
            jsonb_number(j.result -> 'timings' -> 'fetchSeconds'),
            jsonb_number(j.result -> 'timings' -> 'transcodeSeconds'),
            report_step_seconds(j.result, 'encode'), report_step_seconds(j.result, 'quality'),
            jsonb_number(j.result -> 'timings' -> 'publishSeconds'),
            jsonb_number(j.result -> 'timings' -> 'cpuSeconds'),
            jsonb_number(j.result -> 'timings' -> 'encodeSpeed'));
    INSERT INTO rendition_facts (job_id, rendition, tenant_id, finished_at, width, height, average_bit_rate,
                                 size_bytes, psnr, psnr_y, ssim, latency_seconds, cpu_seconds, output_seconds,
                                 source_bytes, output_bytes)
    SELECT j.id, r ->> 'name', j.tenant_id, finished, jsonb_number(r -> 'width')::integer,
           jsonb_number(r -> 'height')::integer, jsonb_number(r -> 'averageBitRate')::bigint,
           jsonb_number(r -> 'sizeBytes')::bigint, jsonb_number(r -> 'quality' -> 'mean' -> 'psnr'),
           jsonb_number(r -> 'quality' -> 'mean' -> 'psnrY'), jsonb_number(r -> 'quality' -> 'mean' -> 'ssim'),
           extract(epoch FROM finished - j.created_at), jsonb_number(j.result -> 'timings' -> 'cpuSeconds'),
           jsonb_number(j.result -> 'durationSeconds'), j.source_size, jsonb_number(j.result -> 'bytes')::bigint
      FROM jsonb_array_elements(renditions) AS r
     WHERE jsonb_typeof(r -> 'name') = 'string'
    ON CONFLICT DO NOTHING;
    PERFORM roll_up_renditions(j.id, 1);
END;
$$;

CREATE FUNCTION jobs_record_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM record_job_facts(NEW);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_facts AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status IN ('succeeded', 'failed', 'cancelled', 'dead')
                       AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION jobs_record_facts();

-- The jobs that finished before this migration.
SELECT record_job_facts(j) FROM jobs AS j WHERE j.status IN ('succeeded', 'failed', 'cancelled', 'dead');
