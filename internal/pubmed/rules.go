package pubmed

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"bango/internal/errs"
)

// The programmes of public-expense medical care the module keeps.
const (
	Nanbyo = "nanbyo" // 特定医療費（指定難病）
	Shoman = "shoman" // 小児慢性特定疾病医療費
)

// Programmes are the programmes in the order a form offers them.
var Programmes = []string{Nanbyo, Shoman}

// The income categories (階層区分), which follow from the household's
// municipal tax and income.
const (
	Welfare  = "welfare"  // 生活保護
	Low1     = "low1"     // 低所得Ⅰ
	Low2     = "low2"     // 低所得Ⅱ
	General1 = "general1" // 一般所得Ⅰ
	General2 = "general2" // 一般所得Ⅱ
	Upper    = "upper"    // 上位所得
)

// Categories are the categories in the order a form offers them.
var Categories = []string{Welfare, Low1, Low2, General1, General2, Upper}

// The flags that lower a cap.
const (
	FlagHighLong   = "high_long"  // 高額かつ長期
	FlagSevere     = "severe"     // 重症（小児慢性特定疾病）
	FlagVentilator = "ventilator" // 人工呼吸器等装着
)

// The columns of a cap table.
const (
	ColumnGeneral    = "general"    // 一般
	ColumnReduced    = "reduced"    // 高額かつ長期（指定難病）、重症・高額かつ長期（小児慢性）
	ColumnVentilator = "ventilator" // 人工呼吸器等装着
)

// Figures are the caps of one category, in yen a month, by column.
type Figures struct {
	General    int64 `json:"general"`
	Reduced    int64 `json:"reduced"`
	Ventilator int64 `json:"ventilator"`
}

// ProgrammeTable is one programme's caps in a table version: which flags
// select the reduced column, and the figures of each category.
type ProgrammeTable struct {
	ReducedFlags []string           `json:"reduced_flags"`
	Caps         map[string]Figures `json:"caps"`
}

// CapTable is one version of the co-payment cap tables (自己負担上限額),
// as data with the date it holds from (data/caps-*.json). A change of
// the caps is a new file, never an edit of one in force.
type CapTable struct {
	Version       string                    `json:"version"`
	EffectiveFrom string                    `json:"effective_from"`
	Source        string                    `json:"source"`
	Programmes    map[string]ProgrammeTable `json:"programmes"`
	from          time.Time
}

// Disease is one designated disease of the master list (指定難病 or
// 小児慢性特定疾病) with the dates it is designated for.
type Disease struct {
	Code          string    `json:"code"`
	Programme     string    `json:"programme"`
	Name          string    `json:"name"`
	EffectiveFrom time.Time `json:"effective_from"`
	Until         time.Time `json:"effective_until,omitzero"` // the last day; zero: still designated
}

// DesignatedOn reports whether d is designated on day.
func (d Disease) DesignatedOn(day time.Time) bool {
	return !day.Before(d.EffectiveFrom) && (d.Until.IsZero() || !day.After(d.Until))
}

// Rules are the cap tables and the disease master the module decides by.
type Rules struct {
	tables          []CapTable                   // by effective date
	tiers           map[string][]TierRule        // by programme, by effective date
	switches        map[string][]ProgrammeSwitch // by programme and municipality, by effective date
	DiseaseVersion  string
	diseases        map[string]Disease // by programme + "/" + code
	diseasesInOrder []Disease
}

//go:embed data
var shipped embed.FS

// DefaultRules are the tables and master list shipped in data/.
func DefaultRules() (*Rules, error) {
	sub, err := fs.Sub(shipped, "data")
	if err != nil {
		return nil, err
	}
	r, err := LoadRules(sub)
	if err != nil {
		return nil, err
	}
	for _, p := range Programmes {
		if len(r.tiers[p]) == 0 {
			return nil, fmt.Errorf("pubmed: no income-category rule (tiers-*.json) for %s", p)
		}
	}
	return r, nil
}

// LoadRules reads every caps-*.json of fsys as a cap table version, every
// tiers-*.json as a programme's income-category rule version, every
// programme-*.json as a switch of a programme run by choice, and the
// latest diseases-*.csv (by name) as the disease master. A file that does
// not read whole is refused with its name, line and field.
func LoadRules(fsys ...fs.FS) (*Rules, error) {
	r := &Rules{diseases: map[string]Disease{}}
	var latestDiseases string
	var latestFS fs.FS
	for _, f := range fsys {
		names, err := fs.Glob(f, "caps-*.json")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			t, err := readCapTable(f, n)
			if err != nil {
				return nil, err
			}
			r.tables = append(r.tables, t)
		}
		if err := r.loadTierRules(f); err != nil {
			return nil, err
		}
		if err := r.loadSwitches(f); err != nil {
			return nil, err
		}
		dn, err := fs.Glob(f, "diseases-*.csv")
		if err != nil {
			return nil, err
		}
		for _, n := range dn {
			if n > latestDiseases {
				latestDiseases, latestFS = n, f
			}
		}
	}
	if len(r.tables) == 0 {
		return nil, fmt.Errorf("pubmed: no cap table (caps-*.json)")
	}
	slices.SortFunc(r.tables, func(a, b CapTable) int { return a.from.Compare(b.from) })
	for i := 1; i < len(r.tables); i++ {
		if r.tables[i].from.Equal(r.tables[i-1].from) {
			return nil, fmt.Errorf("pubmed: cap tables %s and %s hold from the same day", r.tables[i-1].Version, r.tables[i].Version)
		}
	}
	if latestDiseases == "" {
		return nil, fmt.Errorf("pubmed: no disease master (diseases-*.csv)")
	}
	if err := r.readDiseases(latestFS, latestDiseases); err != nil {
		return nil, err
	}
	return r, nil
}

func readCapTable(f fs.FS, name string) (CapTable, error) {
	var t CapTable
	b, err := fs.ReadFile(f, name)
	if err != nil {
		return t, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return t, fmt.Errorf("pubmed: cap table %s: %w", name, err)
	}
	if t.from, err = time.Parse(time.DateOnly, t.EffectiveFrom); err != nil {
		return t, fmt.Errorf("pubmed: cap table %s: effective_from %q is not a date", name, t.EffectiveFrom)
	}
	if t.Version == "" || t.Source == "" {
		return t, fmt.Errorf("pubmed: cap table %s: version and source are required", name)
	}
	for _, p := range Programmes {
		pt, ok := t.Programmes[p]
		if !ok {
			return t, fmt.Errorf("pubmed: cap table %s: programme %s missing", name, p)
		}
		for _, c := range Categories {
			if _, ok := pt.Caps[c]; !ok {
				return t, fmt.Errorf("pubmed: cap table %s: programme %s: category %s missing", name, p, c)
			}
		}
		if len(pt.Caps) != len(Categories) {
			return t, fmt.Errorf("pubmed: cap table %s: programme %s: a category outside %v", name, p, Categories)
		}
		for _, fl := range pt.ReducedFlags {
			if fl != FlagHighLong && fl != FlagSevere {
				return t, fmt.Errorf("pubmed: cap table %s: programme %s: reduced flag %q is not high_long or severe", name, p, fl)
			}
		}
	}
	if len(t.Programmes) != len(Programmes) {
		return t, fmt.Errorf("pubmed: cap table %s: a programme outside %v", name, Programmes)
	}
	return t, nil
}

// readDiseases reads the master list: comment lines (#), a header, then
// code,programme,name,effective_from,effective_until.
func (r *Rules) readDiseases(f fs.FS, name string) error {
	file, err := f.Open(name)
	if err != nil {
		return err
	}
	defer file.Close()
	r.DiseaseVersion = strings.TrimSuffix(path.Base(name), ".csv")
	cr := csv.NewReader(file)
	cr.Comment = '#'
	cr.FieldsPerRecord = 5
	header := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("pubmed: disease master %s: %w", name, err)
		}
		if header {
			if strings.Join(rec, ",") != "code,programme,name,effective_from,effective_until" {
				return fmt.Errorf("pubmed: disease master %s line %d: the header is not code,programme,name,effective_from,effective_until", name, line)
			}
			header = false
			continue
		}
		d := Disease{Code: strings.TrimSpace(rec[0]), Programme: strings.TrimSpace(rec[1]), Name: strings.TrimSpace(rec[2])}
		if d.Code == "" || d.Name == "" || !slices.Contains(Programmes, d.Programme) {
			return fmt.Errorf("pubmed: disease master %s line %d: code, name and a programme of %v are required", name, line, Programmes)
		}
		if d.EffectiveFrom, err = time.Parse(time.DateOnly, rec[3]); err != nil {
			return fmt.Errorf("pubmed: disease master %s line %d: effective_from %q is not a date", name, line, rec[3])
		}
		if rec[4] != "" {
			if d.Until, err = time.Parse(time.DateOnly, rec[4]); err != nil || d.Until.Before(d.EffectiveFrom) {
				return fmt.Errorf("pubmed: disease master %s line %d: effective_until %q is not a date on or after effective_from", name, line, rec[4])
			}
		}
		key := d.Programme + "/" + d.Code
		if _, dup := r.diseases[key]; dup {
			return fmt.Errorf("pubmed: disease master %s line %d: %s listed twice", name, line, key)
		}
		r.diseases[key] = d
		r.diseasesInOrder = append(r.diseasesInOrder, d)
	}
	return nil
}

// Diseases lists the master list of programme ("" for every programme).
func (r *Rules) Diseases(programme string) []Disease {
	var out []Disease
	for _, d := range r.diseasesInOrder {
		if programme == "" || d.Programme == programme {
			out = append(out, d)
		}
	}
	return out
}

// Disease finds a disease of the master list.
func (r *Rules) Disease(programme, code string) (Disease, bool) {
	d, ok := r.diseases[programme+"/"+code]
	return d, ok
}

// Tables lists the cap table versions, the oldest first.
func (r *Rules) Tables() []CapTable { return slices.Clone(r.tables) }

// tableOn is the cap table in force on day.
func (r *Rules) tableOn(day time.Time) (CapTable, bool) {
	for i := len(r.tables) - 1; i >= 0; i-- {
		if !r.tables[i].from.After(day) {
			return r.tables[i], true
		}
	}
	return CapTable{}, false
}

// Cap is a decided monthly co-payment cap with its basis: the table
// version and the figures of the category it was read from.
type Cap struct {
	Programme     string    `json:"programme"`
	Category      string    `json:"category"`
	Flags         []string  `json:"flags"`
	On            time.Time `json:"on"`
	Column        string    `json:"column"`
	Yen           int64     `json:"yen"`
	TableVersion  string    `json:"table_version"`
	TableFrom     string    `json:"table_from"`
	TableFigures  Figures   `json:"table_figures"` // the category's row as it stood
	TableSource   string    `json:"table_source"`
	ReducedByFlag string    `json:"reduced_by,omitempty"` // the flag that chose the reduced column
	// Tier is how the category was derived (the rule version, figures and
	// any override); nil for a category decided elsewhere (LoadRecipients).
	Tier *Tier `json:"tier,omitempty"`
}

var (
	msgProgramme = errs.Message{JA: "制度は 指定難病（nanbyo）か 小児慢性特定疾病（shoman）です", EN: "the programme is nanbyo (指定難病) or shoman (小児慢性特定疾病)"}
	msgCategory  = errs.Message{JA: "階層区分は 生活保護・低所得Ⅰ・低所得Ⅱ・一般所得Ⅰ・一般所得Ⅱ・上位所得 のいずれかです",
		EN: "the income category is one of welfare, low1, low2, general1, general2, upper"}
	msgFlag    = errs.Message{JA: "この制度にない区分です（高額かつ長期・人工呼吸器等装着、小児慢性特定疾病は重症も）", EN: "this programme has no such flag (high_long and ventilator; severe for shoman only)"}
	msgNoTable = errs.Message{JA: "この日に効力のある自己負担上限額の表がありません", EN: "no co-payment cap table is in force on this date"}
)

// DetermineCap decides the monthly cap of a recipient of programme in
// category with flags on day, from the table in force then (R-PUB-1): the
// ventilator column when 人工呼吸器等装着, else the reduced column when a
// flag the table names for the programme is set (高額かつ長期; 重症 for
// 小児慢性特定疾病), else the general column. The answer records the
// table version and the figures it read.
func (r *Rules) DetermineCap(programme, category string, flags []string, day time.Time) (Cap, error) {
	var fe errs.FieldErrors
	if !slices.Contains(Programmes, programme) && !slices.Contains(SwitchedProgrammes, programme) {
		fe.Add("programme", msgProgramme)
	}
	if !slices.Contains(Categories, category) {
		fe.Add("category", msgCategory)
	}
	if err := fe.Err(); err != nil {
		return Cap{}, err
	}
	t, ok := r.tableOn(day)
	if !ok {
		fe.Add("valid_from", msgNoTable)
		return Cap{}, fe.Err()
	}
	pt, ok := t.Programmes[programme]
	if !ok {
		fe.Add("programme", msgNoRules(programme, t.Version))
		return Cap{}, fe.Err()
	}
	c := Cap{Programme: programme, Category: category, Flags: []string{}, On: day, TableVersion: t.Version, TableFrom: t.EffectiveFrom,
		TableFigures: pt.Caps[category], TableSource: t.Source, Column: ColumnGeneral}
	ventilator := false
	for _, f := range flags {
		switch {
		case f == FlagVentilator:
			ventilator = true
		case slices.Contains(pt.ReducedFlags, f):
			if c.ReducedByFlag == "" {
				c.ReducedByFlag = f
			}
		default:
			fe.Add("flags", msgFlag)
			return Cap{}, fe.Err()
		}
		if !slices.Contains(c.Flags, f) {
			c.Flags = append(c.Flags, f)
		}
	}
	slices.Sort(c.Flags)
	switch {
	case ventilator:
		c.Column, c.Yen, c.ReducedByFlag = ColumnVentilator, c.TableFigures.Ventilator, ""
	case c.ReducedByFlag != "":
		c.Column, c.Yen = ColumnReduced, c.TableFigures.Reduced
	default:
		c.Yen = c.TableFigures.General
	}
	return c, nil
}
