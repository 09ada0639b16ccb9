-- A tenant may ask for the per-title ladder (each rung's rate fitted to the
-- video by an analysis step) and bound its rates by shares of the fixed
-- ladder's. NULL: the service's transcode.ladder, per_title_floor and
-- per_title_ceiling.

ALTER TABLE tenant_policies
    ADD COLUMN ladder text CHECK (ladder IN ('fixed', 'per-title')),
    ADD COLUMN bitrate_floor double precision CHECK (bitrate_floor > 0 AND bitrate_floor <= 1),
    ADD COLUMN bitrate_ceiling double precision CHECK (bitrate_ceiling > 0 AND bitrate_ceiling <= 2);
