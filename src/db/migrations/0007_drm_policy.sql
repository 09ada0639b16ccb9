-- A tenant's content protection: {"scheme", "systems", "videoKeys",
-- "clearLeadSeconds"} as the API takes it. NULL: the service's drm section.
-- Key IDs and keys are never stored here (nor anywhere in the database).

ALTER TABLE tenant_policies
    ADD COLUMN drm jsonb;
