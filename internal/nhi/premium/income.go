package premium

import (
	"errors"
	"strings"

	"bango/internal/errs"
)

// MaxYen bounds every amount of yen bango accepts (a hundred billion),
// so that no product of an amount, a rate and a month count overflows.
const MaxYen = 100_000_000_000

var (
	msgAmount = errs.Message{JA: "0以上、1000億円以下の金額（円）です", EN: "must be an amount of yen from 0 to 100,000,000,000"}
	msgAge    = errs.Message{JA: "年齢は0歳から130歳までです", EN: "the age must be from 0 to 130"}
)

func amountField(fe *errs.FieldErrors, field string, v int64) {
	if v < 0 || v > MaxYen {
		fe.Add(field, msgAmount)
	}
}

// apply converts revenue with brackets: the bracket of the revenue rounds
// it down to its step and takes its deduction off; the result may be
// below zero, which the callers floor after their own adjustments.
func apply(bs []Bracket, revenue int64) int64 {
	b := bs[0]
	for _, x := range bs {
		if revenue >= x.From {
			b = x
		}
	}
	r := revenue / b.Step * b.Step
	return mulDiv(r, 10000-b.DeductionBP, 10000) - b.Add
}

// SalaryIncome is 給与所得 of salary revenue under table t (給与所得控除).
func SalaryIncome(t IncomeTable, revenue int64) (int64, error) {
	var fe errs.FieldErrors
	amountField(&fe, "salary_revenue", revenue)
	if err := fe.Err(); err != nil {
		return 0, err
	}
	return max(apply(t.Salary.Brackets, revenue), 0), nil
}

// PensionIncome is 公的年金等所得 of public pension revenue under table t,
// for a holder of age (on 31 December of the income year) whose other
// income is otherIncome (公的年金等に係る雑所得以外の合計所得金額).
func PensionIncome(t IncomeTable, revenue int64, age int, otherIncome int64) (int64, error) {
	var fe errs.FieldErrors
	amountField(&fe, "pension_revenue", revenue)
	amountField(&fe, "other_income", otherIncome)
	if age < 0 || age > 130 {
		fe.Add("age", msgAge)
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	return pensionIncome(t.Pension, revenue, age, otherIncome), nil
}

func pensionIncome(p PensionTable, revenue int64, age int, otherIncome int64) int64 {
	bs := p.Under
	if age >= p.SeniorAge {
		bs = p.Senior
	}
	var less int64 // the deduction is smaller for those with much other income
	for _, s := range p.OtherIncomeOver {
		if otherIncome > s.Over {
			less = s.Less
		}
	}
	return max(apply(bs, revenue)+less, 0)
}

// Income is one person's income of the income year, from revenue.
type Income struct {
	SalaryRevenue  int64 `json:"salary_revenue"`
	PensionRevenue int64 `json:"pension_revenue"`
	Age            int   `json:"age"` // on 31 December of the income year
	OtherIncome    int64 `json:"other_income"`
	SalaryIncome   int64 `json:"salary_income"`  // 給与所得, after 所得金額調整控除
	PensionIncome  int64 `json:"pension_income"` // 公的年金等所得
	Adjustment     int64 `json:"adjustment"`     // 所得金額調整控除
	Total          int64 `json:"total"`          // 総所得金額等
	BasicDeduction int64 `json:"basic_deduction"`
	Base           int64 `json:"base"` // 旧ただし書所得: what 所得割 is levied on
}

// ComputeIncome converts one person's revenue to the incomes the
// assessment uses, under the rules of a fiscal year (its income table and
// basic deduction).
func ComputeIncome(r Rules, salaryRevenue, pensionRevenue int64, age int, otherIncome int64) (Income, error) {
	var fe errs.FieldErrors
	amountField(&fe, "salary_revenue", salaryRevenue)
	amountField(&fe, "pension_revenue", pensionRevenue)
	amountField(&fe, "other_income", otherIncome)
	if age < 0 || age > 130 {
		fe.Add("age", msgAge)
	}
	if err := fe.Err(); err != nil {
		return Income{}, err
	}
	t := r.Income
	in := Income{SalaryRevenue: salaryRevenue, PensionRevenue: pensionRevenue, Age: age, OtherIncome: otherIncome}
	in.SalaryIncome = max(apply(t.Salary.Brackets, salaryRevenue), 0)
	in.PensionIncome = pensionIncome(t.Pension, pensionRevenue, age, in.SalaryIncome+otherIncome)
	if in.SalaryIncome > 0 && in.PensionIncome > 0 {
		a := t.Adjustment
		in.Adjustment = max(min(in.SalaryIncome, a.SalaryCap)+min(in.PensionIncome, a.PensionCap)-a.Less, 0)
		in.SalaryIncome -= in.Adjustment
	}
	in.Total = in.SalaryIncome + in.PensionIncome + otherIncome
	for _, s := range r.BasicDeduction.Steps {
		if s.UpTo == 0 || in.Total <= s.UpTo {
			in.BasicDeduction = s.Deduction
			break
		}
	}
	in.Base = max(in.Total-in.BasicDeduction, 0)
	return in, nil
}

// jsonError names the field of a JSON decoding error.
func jsonError(err error) error {
	var fe errs.FieldErrors
	var te *jsonTypeError
	switch {
	case errors.As(err, &te):
		fe.Add(te.Field, errs.Message{JA: "値の型が正しくありません（" + te.Value + "）", EN: "has a value of the wrong type (" + te.Value + ")"})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		fe.Add(name, errs.Message{JA: "不明な項目です（項目名を確認してください）", EN: "is an unknown field (check its name)"})
	default:
		fe.Add("(file)", errs.Message{JA: "JSONとして読めません: " + err.Error(), EN: "is not valid JSON: " + err.Error()})
	}
	return &fe
}
