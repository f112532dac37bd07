package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/width"

	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
)

const nhiEstimateSummary = `Estimate a household's NHI premium (保険料試算, R-NHI-4) for a fiscal year
from a household file (JSON, see the README) and either a municipality's
rate table file (--rates: no database is needed) or the rate table in force
of a municipality in bango's database (--tenant: what the estimate screen and
API use; the estimate is an audit event, and nothing else is stored), with
the statutory figures of the year built into bango. The breakdown per part
(所得割, 均等割, 平等割, reductions, exemptions, cap, rounding), the total and
the instalments are printed.`

// runNHIEstimate is "bango nhi estimate".
func runNHIEstimate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("nhi estimate", "--fiscal-year Y (--tenant CODE | --rates FILE) --household FILE [--json]", nhiEstimateSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	year := fs.Int("fiscal-year", 0, "the fiscal year (April to March) to estimate, e.g. 2025 (required)")
	tenant := fs.String("tenant", "", "the municipality (6-digit code) whose confirmed rate table in force is used, read from the database")
	ratesFile := fs.String("rates", "", "a municipality's rate table of that year, a JSON file (instead of --tenant)")
	householdFile := fs.String("household", "", "the household, a JSON file (required)")
	asJSON := fs.Bool("json", false, "print the whole result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *year == 0 || *householdFile == "" || (*ratesFile == "") == (*tenant == "") {
		fmt.Fprintln(stderr, "bango nhi estimate: --fiscal-year, --household and one of --tenant or --rates are required")
		return errUsage
	}
	b, err := os.ReadFile(*householdFile)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "--household")
	}
	h, err := premium.DecodeHousehold(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *householdFile, err)
	}
	if *tenant != "" {
		cfg, err := config.Load(fs)
		if err != nil {
			return err
		}
		sys, err := openSystem(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		defer sys.Close()
		defer sys.placeEvents(ctx)
		res, err := sys.assess.Estimate(ctx, *tenant, assess.EstimateInput{FiscalYear: *year, Household: h})
		if err != nil {
			return err
		}
		return showEstimate(stdout, res, *asJSON)
	}
	rules, err := premium.LoadRules(*year)
	if err != nil {
		return err
	}
	if b, err = os.ReadFile(*ratesFile); err != nil {
		return errs.Wrap(errs.Invalid, err, "--rates")
	}
	rates, err := premium.DecodeRates(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *ratesFile, err)
	}
	res, err := premium.Estimate(*year, h, rates, rules)
	if err != nil {
		return err
	}
	return showEstimate(stdout, res, *asJSON)
}

// showEstimate prints the result as JSON or as the tables a clerk reads.
func showEstimate(stdout io.Writer, res premium.Result, asJSON bool) error {
	if asJSON {
		return writeJSON(stdout, res)
	}
	printEstimate(stdout, res)
	return nil
}

// printEstimate writes the breakdown as the tables a clerk reads.
func printEstimate(w io.Writer, res premium.Result) {
	fmt.Fprintf(w, "%d年度 国民健康保険料 試算 / NHI premium estimate, fiscal %d — municipality %s\n", res.FiscalYear, res.FiscalYear, res.Municipality)
	fmt.Fprintf(w, "rates %s, rules %s, income tables %s\n\n", res.RatesVersion, res.RulesVersion, res.IncomeTable)
	people := [][]string{{"member", "給与所得", "年金所得", "総所得", "基礎控除", "算定基礎"}}
	for _, m := range res.Members {
		people = append(people, []string{m.ID, fmtYen(m.SalaryIncome), fmtYen(m.PensionIncome), fmtYen(m.Total), fmtYen(m.BasicDeduction), fmtYen(m.Base)})
	}
	printTable(w, people)
	r := res.Reduction
	level := "なし / none"
	if r.Percent > 0 {
		level = fmt.Sprintf("%d割", r.Percent/10)
	}
	fmt.Fprintf(w, "\n軽減 / reduction: %s (income %s, 給与所得者等 %d, insured %d; 7割 ≤ %s, 5割 ≤ %s, 2割 ≤ %s)\n\n",
		level, fmtYen(r.Income), r.Earners, r.Insured, fmtYen(r.Thresholds["70"]), fmtYen(r.Thresholds["50"]), fmtYen(r.Thresholds["20"]))
	parts := [][]string{{""}}
	for _, p := range res.Parts {
		parts[0] = append(parts[0], p.NameJA)
	}
	row := func(label string, f func(premium.PartResult) string) {
		r := []string{label}
		for _, p := range res.Parts {
			r = append(r, f(p))
		}
		parts = append(parts, r)
	}
	row("所得割率", func(p premium.PartResult) string { return p.IncomeRate.String() + "%" })
	row("月数 months", func(p premium.PartResult) string { return fmt.Sprint(p.Months) })
	row("所得割", func(p premium.PartResult) string { return fmtYen(p.Income) })
	row("  うち産前産後免除", func(p premium.PartResult) string { return fmtOff(p.IncomePerinatal) })
	row("均等割 (軽減前)", func(p premium.PartResult) string { return fmtYen(p.EqualGross) })
	row("  軽減", func(p premium.PartResult) string { return fmtOff(p.EqualReduction) })
	row("  未就学児", func(p premium.PartResult) string { return fmtOff(p.EqualPreschool) })
	row("  産前産後", func(p premium.PartResult) string { return fmtOff(p.EqualPerinatal) })
	row("  18歳未満", func(p premium.PartResult) string { return fmtOff(p.EqualUnder18) })
	row("均等割", func(p premium.PartResult) string { return fmtYen(p.Equal) })
	row("平等割 (軽減前)", func(p premium.PartResult) string { return fmtYen(p.HouseholdGross) })
	row("  特定世帯", func(p premium.PartResult) string { return fmtOff(p.HouseholdRelief) })
	row("  軽減", func(p premium.PartResult) string { return fmtOff(p.HouseholdReduct) })
	row("平等割", func(p premium.PartResult) string { return fmtYen(p.Household) })
	row("計", func(p premium.PartResult) string { return fmtYen(p.BeforeCap) })
	row("賦課限度額", func(p premium.PartResult) string { return fmtYen(p.Cap) })
	row("  限度超過", func(p premium.PartResult) string { return fmtOff(p.CapCut) })
	row("  端数", func(p premium.PartResult) string { return fmtOff(p.Rounding) })
	row("保険料", func(p premium.PartResult) string { return fmtYen(p.Amount) })
	printTable(w, parts)
	fmt.Fprintf(w, "\n年額 / total: %s円\n納期 / instalments:", fmtYen(res.Total))
	phases := map[string]string{"provisional": "仮徴収", "final": "本徴収", "ordinary": "普通徴収", "special": "特別徴収"}
	for _, i := range res.Instalments {
		fmt.Fprintf(w, " %d期 %s %s", i.No, i.Month, fmtYen(i.Amount))
		if ph := phases[i.Phase]; ph != "" {
			fmt.Fprintf(w, " (%s)", ph)
		}
	}
	fmt.Fprintln(w)
	if c := res.Collection; c.Refund > 0 {
		fmt.Fprintf(w, "還付 / refund: %s円 (仮徴収 over the year's premium)\n", fmtYen(c.Refund))
	}
	for _, p := range res.Parts {
		if len(p.HouseholdMonths) == 0 {
			continue
		}
		fmt.Fprintf(w, "平等割の月数 %s:", p.NameJA)
		for _, m := range p.HouseholdMonths {
			fmt.Fprintf(w, " %s〜 %dか月 %s %s円", m.From, m.Months, map[string]string{"": "軽減なし", premium.ReliefSpecific: "特定世帯",
				premium.ReliefSpecificContinuing: "特定継続世帯"}[m.Relief], fmtYen(m.Rate))
		}
		fmt.Fprintln(w)
	}
}

// printTable writes rows in columns: the first left-aligned, the others
// right-aligned, measured in terminal cells (a kanji is two).
func printTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], cells(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-cells(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func cells(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// fmtYen writes an amount with thousands separators.
func fmtYen(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + fmtYen(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtOff(n int64) string {
	if n == 0 {
		return "0"
	}
	return "-" + fmtYen(n)
}
