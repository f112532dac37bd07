-- National Health Insurance eligibility (R-NHI-1, R-NHI-3; internal/nhi).
-- Nothing here is overwritten: every acquisition, loss, change of head and
-- move between households is a new row with the date it takes effect
-- (valid time) and when and by whom it was recorded (transaction time), so
-- a household and each insured person read as of any date. Every row is
-- written by the applier of a confirmed maker–checker change (or by the
-- 75th-birthday job), never straight from a form. Row-level security: see
-- 0020_nhi_row_security.postgres.sql.

-- An NHI household (国保世帯): a resident household known by its head's
-- resident code (in its versions) and the 記号 of its insured numbers.
CREATE TABLE nhi_households (
    id          {{serial}},
    tenant_code TEXT NOT NULL,
    kigo        TEXT NOT NULL CHECK (kigo <> ''),
    created_at  {{time}} NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX nhi_households_tenant ON nhi_households (tenant_code, id);

-- The household's versions: from valid_from, its head (世帯主, who may be
-- outside NHI: 擬制世帯主) is head_resident_code, or the household is
-- dissolved ('' head). The version in force on a date is the latest whose
-- valid_from is on or before it.
CREATE TABLE nhi_household_versions (
    id                 {{serial}},
    tenant_code        TEXT NOT NULL,
    household_id       BIGINT NOT NULL REFERENCES nhi_households (id),
    valid_from         DATE NOT NULL,
    head_resident_code TEXT NOT NULL,
    -- establish: a new household; split: a new household of members who
    -- left related_household; head_change; merged: dissolved, its members
    -- moved into related_household; dissolve: no insured member is left.
    event              TEXT NOT NULL CHECK (event IN ('establish', 'split', 'head_change', 'merged', 'dissolve')),
    related_household  BIGINT,
    notified_on        DATE NOT NULL,
    late               {{bool}} NOT NULL,
    recorded_at        {{time}} NOT NULL,
    recorded_by        TEXT NOT NULL,
    CHECK ((head_resident_code = '') = (event IN ('merged', 'dissolve')))
);
CREATE INDEX nhi_household_versions_household ON nhi_household_versions (tenant_code, household_id, valid_from, id);
CREATE INDEX nhi_household_versions_head ON nhi_household_versions (tenant_code, head_resident_code, valid_from);

-- An insured person (被保険者): a resident with an insured number, 番号
-- and a two-digit 枝番, unique in the municipality (printed after the
-- household's 記号).
CREATE TABLE nhi_insured (
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    number        TEXT NOT NULL CHECK (number <> ''),
    branch        TEXT NOT NULL CHECK (length(branch) = 2),
    created_at    {{time}} NOT NULL,
    PRIMARY KEY (tenant_code, resident_code)
);
CREATE UNIQUE INDEX nhi_insured_number ON nhi_insured (tenant_code, number, branch);

-- Eligibility as dated events: an acquisition (取得) opens a period, a
-- loss (喪失) closes it on its date (the first day without NHI). late
-- marks a notification made after the statutory limit (遡及).
CREATE TABLE nhi_eligibility_events (
    id             {{serial}},
    tenant_code    TEXT NOT NULL,
    resident_code  TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('acquire', 'loss')),
    effective_date DATE NOT NULL,
    reason         TEXT NOT NULL,
    notified_on    DATE NOT NULL,
    late           {{bool}} NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('entry', 'birthday75')),
    recorded_at    {{time}} NOT NULL,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX nhi_eligibility_events_person ON nhi_eligibility_events (tenant_code, resident_code, effective_date, id);

-- Membership: from valid_from the person belongs to household_id, or to
-- none (NULL, after a loss). The household of a person on a date is the
-- latest row on or before it.
CREATE TABLE nhi_memberships (
    id            {{serial}},
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    household_id  BIGINT REFERENCES nhi_households (id),
    valid_from    DATE NOT NULL,
    recorded_at   {{time}} NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX nhi_memberships_person ON nhi_memberships (tenant_code, resident_code, valid_from, id);
CREATE INDEX nhi_memberships_household ON nhi_memberships (tenant_code, household_id, valid_from);

-- The loss at the 75th birthday (後期高齢者医療への移行), scheduled when a
-- person is acquired and applied by the daily job on its date.
CREATE TABLE nhi_scheduled_losses (
    tenant_code   TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    acquired_id   BIGINT NOT NULL REFERENCES nhi_eligibility_events (id),
    due_date      DATE NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('scheduled', 'applied', 'superseded')),
    decided_at    {{time}},
    PRIMARY KEY (tenant_code, acquired_id)
);
CREATE INDEX nhi_scheduled_losses_due ON nhi_scheduled_losses (status, due_date);

-- Notification limits, as data with the date they hold from: a notice
-- later than late_after_days after the event is late (遡及); an event may
-- be entered at most future_days ahead (an announced move).
CREATE TABLE nhi_notice_rules (
    effective_from  DATE PRIMARY KEY,
    late_after_days INTEGER NOT NULL CHECK (late_after_days > 0),
    future_days     INTEGER NOT NULL CHECK (future_days >= 0),
    source          TEXT NOT NULL
);
INSERT INTO nhi_notice_rules (effective_from, late_after_days, future_days, source) VALUES ('1959-01-01', 14, 14,
    '国民健康保険法施行規則 第2条・第3条（取得）、第9条（世帯変更）、第10条の2（世帯主変更）、第11条〜第13条（喪失）: 届出は14日以内。'
    || '予定日の届出を受ける期間（14日）は法定ではなく bango の既定値（市町村の運用）。');

-- The 70–74 cost-share thresholds (一部負担金の割合, R-NHI-3), as data
-- with the date they hold from; a decision records the version it used.
CREATE TABLE nhi_cost_share_rules (
    version                TEXT PRIMARY KEY,
    effective_from         DATE NOT NULL UNIQUE,
    taxable_income_min     BIGINT NOT NULL, -- 課税所得 at or above: 現役並み (3割)
    revenue_single_max     BIGINT NOT NULL, -- 収入 under: 2割, one 70–74 member
    revenue_multi_max      BIGINT NOT NULL, -- 収入 under: 2割, two or more (or with a former member)
    former_member_years    INTEGER NOT NULL, -- a member who left for 後期高齢者医療 within these years counts
    old_proviso_max        BIGINT NOT NULL, -- 旧ただし書所得 total at or under: 2割 without application
    old_proviso_born_from  DATE NOT NULL,   -- … in households with a 70–74 member born on or after
    source                 TEXT NOT NULL
);
INSERT INTO nhi_cost_share_rules (version, effective_from, taxable_income_min, revenue_single_max, revenue_multi_max,
    former_member_years, old_proviso_max, old_proviso_born_from, source)
VALUES ('2015-01', '2015-01-01', 1450000, 3830000, 5200000, 5, 2100000, '1945-01-02',
    '70〜74歳の一部負担金割合: 2割、住民税課税所得145万円以上の70〜74歳の被保険者がいる世帯は3割（現役並み所得）。'
    || 'ただし70〜74歳の被保険者の収入が1人で383万円未満、2人以上（または後期高齢者医療へ移行した旧被保険者を含め）520万円未満なら2割。'
    || '昭和20年1月2日以降生まれの70〜74歳の被保険者がいる世帯で旧ただし書所得の合計が210万円以下なら申請なく2割（平成27年1月から）。'
    || '出典: city.minato.tokyo.jp; kensetsukokuho.or.jp/member/hoken/09.html（docs/domain-facts.md）');

-- Income per person and year of income (暦年), entered for the decision
-- of the period that starts the next August. The latest row of a person
-- and year is the one in force; earlier rows stay as they were entered.
CREATE TABLE nhi_incomes (
    id                 {{serial}},
    tenant_code        TEXT NOT NULL,
    resident_code      TEXT NOT NULL,
    income_year        INTEGER NOT NULL,
    taxable_income     BIGINT NOT NULL CHECK (taxable_income >= 0), -- 住民税課税所得
    revenue            BIGINT NOT NULL CHECK (revenue >= 0),        -- 収入
    old_proviso_income BIGINT NOT NULL CHECK (old_proviso_income >= 0), -- 旧ただし書所得
    recorded_at        {{time}} NOT NULL,
    recorded_by        TEXT NOT NULL
);
CREATE INDEX nhi_incomes_person ON nhi_incomes (tenant_code, resident_code, income_year, id);

-- Decisions of the 70–74 cost share: the ratio, its period, the rule
-- that decided it and the figures it used (basis, JSON).
CREATE TABLE nhi_cost_share_decisions (
    id           {{serial}},
    tenant_code  TEXT NOT NULL,
    household_id BIGINT NOT NULL REFERENCES nhi_households (id),
    period_from  DATE NOT NULL,
    period_to    DATE NOT NULL,
    ratio        INTEGER NOT NULL CHECK (ratio IN (2, 3)),
    rule         TEXT NOT NULL,
    rule_version TEXT NOT NULL REFERENCES nhi_cost_share_rules (version),
    basis        TEXT NOT NULL,
    decided_at   {{time}} NOT NULL,
    decided_by   TEXT NOT NULL
);
CREATE INDEX nhi_cost_share_decisions_household ON nhi_cost_share_decisions (tenant_code, household_id, period_from, id);
