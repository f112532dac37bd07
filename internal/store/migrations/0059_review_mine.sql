-- The maker's own entries, newest first (review.Service.Mine): what became
-- of each, and the ones they may still withdraw.
CREATE INDEX review_changes_maker ON review_changes (tenant_code, maker_id, id);
