-- The income category (階層区分) of a public-expense application is derived
-- by the tier rules (internal/pubmed/data/tiers-*.json) from the household's
-- municipal tax and income typed from the application; the basis — the
-- figures, the rule version and any override by a clerk with its reason —
-- is kept with the application as JSON ('' for applications entered before).
ALTER TABLE pubmed_applications ADD COLUMN tier_basis TEXT NOT NULL DEFAULT '';
