-- Redis beside PostgreSQL: live progress persisted at step boundaries and
-- every few seconds (its detail as JSON, so the API can fall back to it while
-- Redis is away), the progress events already announced (at most one per 10%
-- per job), and the order of creation that decides which source version of a
-- video is the newest (jobs of one batch share created_at).

ALTER TABLE jobs
    ADD COLUMN progress_detail    jsonb,
    ADD COLUMN progress_announced integer NOT NULL DEFAULT -1,
    ADD COLUMN created_seq        bigint GENERATED ALWAYS AS IDENTITY;

-- Superseding: the other unfinished jobs of a video.
CREATE INDEX jobs_unfinished_by_video ON jobs (tenant_id, video_id, created_seq)
    WHERE status IN ('queued', 'running');
