-- Subtitle files uploaded beside the master: [{"key", "language", "kind"}],
-- read back by the worker that fetches them with the master.

ALTER TABLE jobs
    ADD COLUMN subtitles jsonb NOT NULL DEFAULT '[]'::jsonb;
