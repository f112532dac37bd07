package premium

import (
	"testing"

	"bango/internal/errs"
)

func mustIncomeTable(t testing.TB, y int) IncomeTable {
	t.Helper()
	it, err := LoadIncomeTable(y)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// Salary income at every bracket boundary of the 2024 and 2025 income
// tables (R-NHI-4): each figure below is worked by hand from the brackets
// of data/income<Y>.json — revenue rounded down to the bracket's step, the
// deduction's percentage of it, the fraction of a yen dropped, less the
// fixed part.
func TestSalaryIncomeBoundaries(t *testing.T) {
	tests := []struct {
		year    int
		revenue int64
		want    int64
	}{
		{2024, 0, 0},
		{2024, 550_000, 0},                 // the whole revenue is the 550,000 minimum
		{2024, 551_000, 1_000},             // 551,000 − 550,000
		{2024, 1_618_999, 1_068_999},       // 1,618,999 − 550,000
		{2024, 1_619_000, 1_069_000},       // 1,619,000 (step 1,000) − 550,000
		{2024, 1_619_999, 1_069_000},       // rounded down to 1,619,000
		{2024, 1_620_000, 1_070_000},       // step 2,000: 1,620,000 − 550,000
		{2024, 1_621_999, 1_070_000},       // rounded down to 1,620,000
		{2024, 1_622_000, 1_072_000},       // 1,622,000 − 550,000
		{2024, 1_624_000, 1_074_000},       // step 4,000: 1,624,000 − 550,000
		{2024, 1_627_999, 1_074_000},       // rounded down to 1,624,000
		{2024, 1_628_000, 1_076_800},       // 1,628,000 × 60% + 100,000
		{2024, 1_799_999, 1_177_600},       // 1,796,000 × 60% + 100,000
		{2024, 1_800_000, 1_180_000},       // 1,800,000 × 70% − 80,000
		{2024, 3_599_999, 2_437_200},       // 3,596,000 × 70% − 80,000
		{2024, 3_600_000, 2_440_000},       // 3,600,000 × 80% − 440,000
		{2024, 6_599_999, 4_836_800},       // 6,596,000 × 80% − 440,000
		{2024, 6_600_000, 4_840_000},       // 6,600,000 × 90% − 1,100,000 (no step from here)
		{2024, 8_499_999, 6_549_999},       // ⌊8,499,999 × 90%⌋ = 7,649,999 − 1,100,000
		{2024, 8_500_000, 6_550_000},       // 8,500,000 − 1,950,000
		{2024, 20_000_000, 18_050_000},     // 20,000,000 − 1,950,000
		{2025, 650_000, 0},                 // the minimum is 650,000 for 2025 income
		{2025, 651_000, 1_000},             // 651,000 − 650,000
		{2025, 1_800_000, 1_150_000},       // 1,800,000 − 650,000 (2024 income: 1,180,000)
		{2025, 1_899_999, 1_249_999},       // 1,899,999 − 650,000
		{2025, 1_900_000, 1_250_000},       // 1,900,000 × 70% − 80,000
		{2025, 1_903_999, 1_250_000},       // rounded down to 1,900,000
		{2025, 1_904_000, 1_252_800},       // 1,904,000 × 70% − 80,000
		{2025, 3_600_000, 2_440_000},       // 3,600,000 × 80% − 440,000
		{2025, 6_600_000, 4_840_000},       // 6,600,000 × 90% − 1,100,000
		{2025, 8_500_000, 6_550_000},       // 8,500,000 − 1,950,000
		{2025, MaxYen, MaxYen - 1_950_000}, // the largest revenue accepted
	}
	for _, tt := range tests {
		got, err := SalaryIncome(mustIncomeTable(t, tt.year), tt.revenue)
		if err != nil || got != tt.want {
			t.Errorf("%d SalaryIncome(%d) = %d, %v; want %d", tt.year, tt.revenue, got, err, tt.want)
		}
	}
}

// Public pension income at every bracket boundary, by age band and by
// the other income that lowers the deduction (R-NHI-4); worked by hand
// from data/income2024.json.
func TestPensionIncomeBoundaries(t *testing.T) {
	tests := []struct {
		revenue int64
		age     int
		other   int64
		want    int64
	}{
		{600_000, 64, 0, 0},
		{600_001, 64, 0, 1},                    // 600,001 − 600,000
		{1_299_999, 64, 0, 699_999},            // 1,299,999 − 600,000
		{1_300_000, 64, 0, 700_000},            // 1,300,000 × 75% − 275,000
		{4_099_999, 64, 0, 2_799_999},          // ⌊3,074,999.25⌋ − 275,000
		{4_100_000, 64, 0, 2_800_000},          // 4,100,000 × 85% − 685,000
		{7_699_999, 64, 0, 5_859_999},          // ⌊6,544,999.15⌋ − 685,000
		{7_700_000, 64, 0, 5_860_000},          // 7,700,000 × 95% − 1,455,000
		{9_999_999, 64, 0, 8_044_999},          // ⌊9,499,999.05⌋ − 1,455,000
		{10_000_000, 64, 0, 8_045_000},         // 10,000,000 − 1,955,000
		{1_100_000, 64, 0, 500_000},            // under 65: 1,100,000 − 600,000
		{1_100_000, 65, 0, 0},                  // 65 and over: the 1,100,000 minimum
		{1_100_001, 65, 0, 1},                  // 1,100,001 − 1,100,000
		{3_299_999, 65, 0, 2_199_999},          // 3,299,999 − 1,100,000
		{3_300_000, 65, 0, 2_200_000},          // 3,300,000 × 75% − 275,000
		{4_100_000, 65, 0, 2_800_000},          // 4,100,000 × 85% − 685,000
		{2_000_000, 64, 10_000_000, 1_225_000}, // 2,000,000 × 75% − 275,000: other income not over 10,000,000
		{2_000_000, 64, 10_000_001, 1_325_000}, // the deduction 100,000 smaller
		{2_000_000, 64, 20_000_001, 1_425_000}, // 200,000 smaller
		{400_000, 64, 20_000_001, 0},           // 400,000 − (600,000 − 200,000)
	}
	it := mustIncomeTable(t, 2024)
	for _, tt := range tests {
		got, err := PensionIncome(it, tt.revenue, tt.age, tt.other)
		if err != nil || got != tt.want {
			t.Errorf("PensionIncome(%d, age %d, other %d) = %d, %v; want %d", tt.revenue, tt.age, tt.other, got, err, tt.want)
		}
	}
}

// The total income, 所得金額調整控除 and the basic deduction by total
// income (R-NHI-4).
func TestComputeIncome(t *testing.T) {
	r := mustRules(t, 2025)
	tests := []struct {
		name                   string
		salary, pension, other int64
		age                    int
		want                   Income
	}{
		{"salary 3,000,000 and pension 2,000,000 at 70", 3_000_000, 2_000_000, 0, 70,
			// 給与所得 2,020,000, 年金所得 900,000; adjustment
			// 100,000 + 100,000 − 100,000 = 100,000 off the salary income.
			Income{SalaryIncome: 1_920_000, PensionIncome: 900_000, Adjustment: 100_000, Total: 2_820_000, BasicDeduction: 430_000, Base: 2_390_000}},
		{"small pension", 3_000_000, 1_150_000, 0, 70,
			// 年金所得 50,000: adjustment 100,000 + 50,000 − 100,000.
			Income{SalaryIncome: 1_970_000, PensionIncome: 50_000, Adjustment: 50_000, Total: 2_020_000, BasicDeduction: 430_000, Base: 1_590_000}},
		{"other income at 24,000,000", 0, 0, 24_000_000, 40,
			Income{Total: 24_000_000, BasicDeduction: 430_000, Base: 23_570_000}},
		{"other income over 24,000,000", 0, 0, 24_000_001, 40,
			Income{Total: 24_000_001, BasicDeduction: 290_000, Base: 23_710_001}},
		{"other income over 25,000,000", 0, 0, 25_000_001, 40,
			Income{Total: 25_000_001, Base: 25_000_001}},
		{"income under the deduction", 0, 0, 100_000, 40,
			Income{Total: 100_000, BasicDeduction: 430_000}},
	}
	for _, tt := range tests {
		got, err := ComputeIncome(r, tt.salary, tt.pension, tt.age, tt.other)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		tt.want.SalaryRevenue, tt.want.PensionRevenue, tt.want.Age, tt.want.OtherIncome = tt.salary, tt.pension, tt.age, tt.other
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

// Negative revenue and an age outside 0–130 are refused naming the field
// (R-NHI-4, bad input).
func TestIncomeBadInput(t *testing.T) {
	it := mustIncomeTable(t, 2025)
	if _, err := SalaryIncome(it, -1); !hasField(err, "salary_revenue") {
		t.Errorf("negative salary revenue: %v", err)
	}
	if _, err := PensionIncome(it, -5, 70, 0); !hasField(err, "pension_revenue") {
		t.Errorf("negative pension revenue: %v", err)
	}
	for _, age := range []int{-1, 131} {
		if _, err := PensionIncome(it, 1_000_000, age, 0); !hasField(err, "age") {
			t.Errorf("age %d: %v", age, err)
		}
	}
	if _, err := PensionIncome(it, 1_000_000, 130, 0); err != nil {
		t.Errorf("age 130: %v", err)
	}
	if _, err := LoadIncomeTable(2019); !hasField(err, "income_year") {
		t.Errorf("income year without a table: %v", err)
	}
}

func hasField(err error, field string) bool {
	if errs.KindOf(err) != errs.Invalid {
		return false
	}
	for _, f := range errs.Fields(err) {
		if f.Field == field && f.Reason.JA != "" && f.Reason.EN != "" {
			return true
		}
	}
	return false
}
