package premium

import (
	"fmt"
	"regexp"
	"slices"
	"sort"

	"bango/internal/errs"
)

// PartRates are a municipality's figures of one part in one fiscal year,
// as its ordinance prints them.
type PartRates struct {
	// IncomeRate is 所得割率, a percent with at most four decimals
	// ("7.71"), applied to each member's 旧ただし書所得.
	IncomeRate   string `json:"income_rate"`
	PerCapita    int64  `json:"per_capita"`    // 均等割額, per insured and year
	PerHousehold int64  `json:"per_household"` // 平等割額, per household and year; 0 with two components
	Cap          int64  `json:"cap"`           // 賦課限度額, at most the statutory cap
	// Rounding is the unit the part is rounded down to after its cap:
	// 100 (most) or 1.
	Rounding int64 `json:"rounding"`
	// AdultSurcharge is added to the 均等割 of each member not exempt
	// from it, to spread the exemption of those under 18 (子ども・子育て
	// 支援金分 only: "18歳以上均等割"); 0 for none.
	AdultSurcharge int64 `json:"adult_surcharge,omitempty"`
}

// Instalments is the plan of ordinary collection (普通徴収): the calendar
// months of the instalments in the order they fall due (7 to 2 for eight,
// 6 to 3 for ten), and the unit every instalment but the first is a
// multiple of.
type Instalments struct {
	Months []int `json:"months"`
	Unit   int64 `json:"unit"`
}

// RateTable is a municipality's premium rates of one fiscal year: one
// entry per part the year's rules have, never changed once used (a
// correction is a new version).
type RateTable struct {
	Municipality string               `json:"municipality"`
	FiscalYear   int                  `json:"fiscal_year"`
	Version      string               `json:"version"`
	Source       string               `json:"source"` // the ordinance or notice the figures are from
	Parts        map[string]PartRates `json:"parts"`
	Instalments  Instalments          `json:"instalments"`
	// Remissions are the municipality's reasons for 減免 on application,
	// each with the day it holds from (none: no 減免 can be decided).
	Remissions []RemissionRule `json:"remissions,omitempty"`
}

var (
	msgRate       = errs.Message{JA: "0から100までの百分率（小数4桁まで、例 \"7.71\"）で入力してください", EN: `must be a percent from 0 to 100 with at most four decimals, as a string ("7.71")`}
	msgNegative   = errs.Message{JA: "0以上の金額（円）です", EN: "must be an amount of yen, 0 or more"}
	msgRequiredRT = errs.Message{JA: "入力されていません", EN: "is required"}
	msgRounding   = errs.Message{JA: "端数処理の単位は1、10、100、1000のいずれかです", EN: "must be 1, 10, 100 or 1000"}
	msgNoPart     = errs.Message{JA: "この年度の料率表に必要な区分がありません", EN: "is missing: the fiscal year has this part"}
	msgExtraPart  = errs.Message{JA: "この年度にない区分です", EN: "is not a part of this fiscal year"}
	msgSurcharge  = errs.Message{JA: "18歳以上均等割の加算は子ども・子育て支援金分だけに設定できます", EN: "only the 子ども・子育て支援金分 may spread the under-18 exemption"}
	msgMonths     = errs.Message{JA: "納期の月は1〜12の異なる月を1〜12個です", EN: "must list 1 to 12 distinct months from 1 to 12"}
	msgYear       = errs.Message{JA: "料率表の年度と計算する年度が違います", EN: "is not the fiscal year being computed"}
	msgMuni       = errs.Message{JA: "市区町村コードは6桁の数字です", EN: "must be the municipality's 6-digit code"}
)

var muniCode = regexp.MustCompile(`^[0-9]{6}$`)

// DecodeRates reads a rate table file (JSON, documented in the README):
// an unknown field is an error naming it.
func DecodeRates(b []byte) (RateTable, error) {
	var t RateTable
	err := strict(b, &t)
	return t, err
}

// Validate checks the table against the rules of its fiscal year: every
// part the year has and no other, no negative figure, caps at most the
// statutory ones. Every wrong field is named at once.
func (t RateTable) Validate(r Rules) error {
	var fe errs.FieldErrors
	if !muniCode.MatchString(t.Municipality) {
		fe.Add("municipality", msgMuni)
	}
	if t.FiscalYear != r.FiscalYear {
		fe.Add("fiscal_year", msgYear)
	}
	if t.Version == "" {
		fe.Add("version", msgRequiredRT)
	}
	if t.Source == "" {
		fe.Add("source", msgRequiredRT)
	}
	for _, p := range r.Parts {
		pr, ok := t.Parts[p.Part]
		f := "parts." + p.Part
		if !ok {
			fe.Add(f, msgNoPart)
			continue
		}
		if _, ok := ParseRate(pr.IncomeRate); !ok {
			fe.Add(f+".income_rate", msgRate)
		}
		amountOr(&fe, f+".per_capita", pr.PerCapita)
		amountOr(&fe, f+".per_household", pr.PerHousehold)
		amountOr(&fe, f+".adult_surcharge", pr.AdultSurcharge)
		switch {
		case pr.Cap < 0:
			fe.Add(f+".cap", msgNegative)
		case pr.Cap == 0:
			fe.Add(f+".cap", msgRequiredRT)
		case pr.Cap > p.StatutoryCap:
			fe.Add(f+".cap", errs.Message{
				JA: fmt.Sprintf("賦課限度額は法定の限度額（%d年度 %s %d円）以下です", r.FiscalYear, p.NameJA, p.StatutoryCap),
				EN: fmt.Sprintf("must be at most the statutory cap (fiscal %d %s: %d yen)", r.FiscalYear, p.Part, p.StatutoryCap)})
		}
		if !slices.Contains([]int64{1, 10, 100, 1000}, pr.Rounding) {
			fe.Add(f+".rounding", msgRounding)
		}
		if pr.AdultSurcharge != 0 && p.EqualExemptUntilAge == 0 {
			fe.Add(f+".adult_surcharge", msgSurcharge)
		}
	}
	extra := []string{}
	for k := range t.Parts {
		if _, ok := r.Part(k); !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		fe.Add("parts."+k, msgExtraPart)
	}
	ms := t.Instalments.Months
	seen := map[int]bool{}
	okMonths := len(ms) >= 1 && len(ms) <= 12
	for _, m := range ms {
		if m < 1 || m > 12 || seen[m] {
			okMonths = false
		}
		seen[m] = true
	}
	if !okMonths {
		fe.Add("instalments.months", msgMonths)
	}
	if !slices.Contains([]int64{1, 10, 100, 1000}, t.Instalments.Unit) {
		fe.Add("instalments.unit", msgRounding)
	}
	validateRemissions(&fe, t.Remissions)
	return fe.Err()
}

func amountOr(fe *errs.FieldErrors, field string, v int64) {
	if v < 0 {
		fe.Add(field, msgNegative)
	} else if v > MaxYen {
		fe.Add(field, msgAmount)
	}
}
