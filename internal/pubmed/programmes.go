package pubmed

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"bango/internal/errs"
)

// 療育医療 (R-PUB-1 names it beside 小児慢性特定疾病; the issue: "where the
// prefecture runs it"). Unlike 指定難病 and 小児慢性特定疾病, which every
// prefecture runs, whether a prefecture (or municipality) runs it is data
// with an effective date: data/programme-<programme>-<code>-*.json, a
// switch per municipality code. The sources give neither its co-payment
// figures nor its income rules (docs/domain-facts.md has only the two
// other programmes' caps; the seeds count its recipients together with
// 小児慢性's and say there were none), so no cap table of it is shipped
// and none can be loaded: where it runs, an application is refused at
// determination naming the rule table that is missing, rather than
// decided by figures nobody can source.
const Ryoiku = "ryoiku" // 療育医療

// SwitchedProgrammes are the programmes run only where a switch says so.
var SwitchedProgrammes = []string{Ryoiku}

// ProgrammeSwitch says from which day a municipality (a prefecture's or a
// city's code) runs a switched programme, or stops running it. A change
// is a new file from its day, never an edit.
type ProgrammeSwitch struct {
	Version       string `json:"version"`
	Programme     string `json:"programme"`
	Municipality  string `json:"municipality"`
	EffectiveFrom string `json:"effective_from"`
	Runs          bool   `json:"runs"`
	Source        string `json:"source"`
	from          time.Time
}

func switchKey(programme, municipality string) string { return programme + "/" + municipality }

// loadSwitches reads every programme-*.json of f. A file that does not
// read whole, a programme that is not switched, a municipality that is not
// a six-digit code, or two switches of a programme in a municipality from
// the same day, are refused with the file's name.
func (r *Rules) loadSwitches(f fs.FS) error {
	names, err := fs.Glob(f, "programme-*.json")
	if err != nil {
		return err
	}
	for _, n := range names {
		b, err := fs.ReadFile(f, n)
		if err != nil {
			return err
		}
		var sw ProgrammeSwitch
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sw); err != nil {
			return fmt.Errorf("pubmed: programme switch %s: %w", n, err)
		}
		if sw.from, err = time.Parse(time.DateOnly, sw.EffectiveFrom); err != nil {
			return fmt.Errorf("pubmed: programme switch %s: effective_from %q is not a date", n, sw.EffectiveFrom)
		}
		if sw.Version == "" || sw.Source == "" {
			return fmt.Errorf("pubmed: programme switch %s: version and source are required", n)
		}
		if !slices.Contains(SwitchedProgrammes, sw.Programme) {
			return fmt.Errorf("pubmed: programme switch %s: programme %q is not one run by a switch (%v; %v run everywhere)", n, sw.Programme, SwitchedProgrammes, Programmes)
		}
		if m := sw.Municipality; len(m) != 6 || strings.Trim(m, "0123456789") != "" {
			return fmt.Errorf("pubmed: programme switch %s: municipality %q is not a six-digit municipality code", n, m)
		}
		if r.switches == nil {
			r.switches = map[string][]ProgrammeSwitch{}
		}
		k := switchKey(sw.Programme, sw.Municipality)
		r.switches[k] = append(r.switches[k], sw)
	}
	return inDayOrder(r.switches, "programme switches", func(sw ProgrammeSwitch) (time.Time, string) { return sw.from, sw.Version })
}

// Runs reports whether municipality runs programme on day: 指定難病 and
// 小児慢性特定疾病 everywhere; a switched programme where its latest switch
// in force on day says so (with that switch).
func (r *Rules) Runs(programme, municipality string, day time.Time) (ProgrammeSwitch, bool) {
	if slices.Contains(Programmes, programme) {
		return ProgrammeSwitch{Programme: programme, Runs: true}, true
	}
	ss := r.switches[switchKey(programme, municipality)]
	for i := len(ss) - 1; i >= 0; i-- {
		if !ss[i].from.After(day) {
			return ss[i], ss[i].Runs
		}
	}
	return ProgrammeSwitch{}, false
}

// Offered are the programmes municipality runs on day, in the order a form
// offers them.
func (r *Rules) Offered(municipality string, day time.Time) []string {
	out := slices.Clone(Programmes)
	for _, p := range SwitchedProgrammes {
		if _, ok := r.Runs(p, municipality, day); ok {
			out = append(out, p)
		}
	}
	return out
}

// notRunHere refuses, on the programme field, an application for a
// switched programme that municipality does not run on the day received.
func (r *Rules) notRunHere(programme, municipality, received string) error {
	programme = strings.TrimSpace(programme)
	if !slices.Contains(SwitchedProgrammes, programme) {
		return nil
	}
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(received))
	if err != nil {
		return nil // the day's own error is said on its field
	}
	if _, ok := r.Runs(programme, municipality, day); ok {
		return nil
	}
	var fe errs.FieldErrors
	fe.Add("programme", errs.Message{
		JA: "この団体では受付日に" + ProgrammeNames[programme] + "を実施していません（実施の切替えのデータ data/programme-" + programme + "-" + municipality + "-*.json で、受付日に実施となっていません）",
		EN: "this municipality does not run " + programme + " on the day received (no switch data/programme-" + programme + "-" + municipality + "-*.json says it runs then)",
	})
	return fe.Err()
}

// msgNoRules says that the cap rules of a programme are missing from the
// table in force: it is refused rather than decided by guess.
func msgNoRules(programme, version string) errs.Message {
	return errs.Message{
		JA: ProgrammeNames[programme] + "の自己負担上限額の規則の表がありません（効力のある表 " + version + " に programmes." + programme +
			" がなく、階層区分の規則 data/tiers-" + programme + "-*.json もありません）。出典のある額と規則がデータに入るまで決定できません",
		EN: "there is no co-payment cap rule table for " + programme + " (the table in force, " + version + ", has no programmes." + programme +
			", and there is no income rule data/tiers-" + programme + "-*.json): it cannot be decided until sourced figures and rules are in the data",
	}
}
