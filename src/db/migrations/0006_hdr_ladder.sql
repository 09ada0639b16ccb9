-- A tenant that asks for it gets, for HDR sources, an HEVC Main 10 ladder
-- that keeps the HDR beside the tone-mapped SDR one. NULL: the service's default.

ALTER TABLE tenant_policies
    ADD COLUMN hdr_ladder boolean;
