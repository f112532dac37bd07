package mnhold

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RetentionRule is how many years after its need ended a business keeps a
// My Number (its retention period), as data with the day it holds from
// (data/retention-<business>-*.json). A rule with a municipality
// (its 地方公共団体コード, data/retention-<business>-<code>-*.json) is that
// municipality's own period, overriding the business's default from its
// effective date; without one it is the default of every municipality. A
// change of the period is a new file from its day, never an edit of one in
// force; the rule that applies is the one in force on the day the need
// ended.
type RetentionRule struct {
	Version       string `json:"version"`
	Business      string `json:"business"`
	Municipality  string `json:"municipality,omitempty"`
	EffectiveFrom string `json:"effective_from"`
	Years         int    `json:"years"`
	Source        string `json:"source"`
	File          string `json:"-"` // the file it was read from
	from          time.Time
}

// Basis describes the rule as a decision records it: its version, file,
// municipality ("default" for the business's) and period.
func (r RetentionRule) Basis() string {
	m := r.Municipality
	if m == "" {
		m = "default"
	}
	return "rule=" + r.Version + " file=" + r.File + " municipality=" + m + " effective_from=" + r.EffectiveFrom + " years=" + strconv.Itoa(r.Years)
}

// NeededUntil is the last day a number whose need ended on ended is kept.
func (r RetentionRule) NeededUntil(ended time.Time) time.Time { return ended.AddDate(r.Years, 0, 0) }

// Retention is every business's retention rules by effective date: the
// defaults and each municipality's own.
type Retention struct {
	rules map[string][]RetentionRule // by ruleKey
}

func ruleKey(business, municipality string) string { return business + "/" + municipality }

//go:embed data
var shipped embed.FS

// DefaultRetention is the rules shipped in data/.
func DefaultRetention() (*Retention, error) {
	sub, err := fs.Sub(shipped, "data")
	if err != nil {
		return nil, err
	}
	return LoadRetention(sub)
}

// LoadRetention reads every retention-*.json of fsys. A file that does not
// read whole, a municipality that is not a six-digit code, or two rules of
// a business (or of a business in one municipality) from the same day, are
// refused with the file's name.
func LoadRetention(fsys ...fs.FS) (*Retention, error) {
	r := &Retention{rules: map[string][]RetentionRule{}}
	for _, f := range fsys {
		names, err := fs.Glob(f, "retention-*.json")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			b, err := fs.ReadFile(f, n)
			if err != nil {
				return nil, err
			}
			var rule RetentionRule
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rule); err != nil {
				return nil, fmt.Errorf("mnhold: retention rule %s: %w", n, err)
			}
			if rule.from, err = time.Parse(time.DateOnly, rule.EffectiveFrom); err != nil {
				return nil, fmt.Errorf("mnhold: retention rule %s: effective_from %q is not a date", n, rule.EffectiveFrom)
			}
			if rule.Version == "" || rule.Business == "" || rule.Source == "" || rule.Years < 1 || rule.Years > 100 {
				return nil, fmt.Errorf("mnhold: retention rule %s: version, business, source and 1 to 100 years are required", n)
			}
			if m := rule.Municipality; m != "" && (len(m) != 6 || strings.Trim(m, "0123456789") != "") {
				return nil, fmt.Errorf("mnhold: retention rule %s: municipality %q is not a six-digit municipality code", n, m)
			}
			rule.File = n
			k := ruleKey(rule.Business, rule.Municipality)
			r.rules[k] = append(r.rules[k], rule)
		}
	}
	for k, rs := range r.rules {
		slices.SortFunc(rs, func(x, y RetentionRule) int { return x.from.Compare(y.from) })
		for i := 1; i < len(rs); i++ {
			if rs[i].from.Equal(rs[i-1].from) {
				return nil, fmt.Errorf("mnhold: retention rules %s and %s of %s hold from the same day", rs[i-1].Version, rs[i].Version, k)
			}
		}
	}
	return r, nil
}

// For is business's rule in municipality in force on day (the day its
// need ended): the municipality's own rule in force then, else the
// business's default in force then.
func (r *Retention) For(business, municipality string, day time.Time) (RetentionRule, bool) {
	if municipality != "" {
		if rule, ok := inForce(r.rules[ruleKey(business, municipality)], day); ok {
			return rule, true
		}
	}
	return inForce(r.rules[ruleKey(business, "")], day)
}

func inForce(rs []RetentionRule, day time.Time) (RetentionRule, bool) {
	for i := len(rs) - 1; i >= 0; i-- {
		if !rs[i].from.After(day) {
			return rs[i], true
		}
	}
	return RetentionRule{}, false
}
