-- A tenant may switch off the PSNR/SSIM scores of its renditions (they cost
-- about a seventh of a short video's encode). NULL: the service's default.

ALTER TABLE tenant_policies
    ADD COLUMN quality_scores boolean;
