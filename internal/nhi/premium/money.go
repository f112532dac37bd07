package premium

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

type jsonTypeError = json.UnmarshalTypeError

// mulDiv is ⌊a × b / c⌋ for a, b ≥ 0 and c > 0, exact in 128 bits, so
// that money never passes through a float.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c)) // callers keep the quotient under 2^63 (MaxYen)
	return int64(q)
}

// Rate is an exact rate in millionths (ppm): 7.71% is 77100. It reads
// and writes as a percent string with at most four decimals ("7.71"), so
// that a rate from an ordinance is kept as printed, never as a float.
type Rate int64

const ratePerPercent = 10000 // millionths per percent

// ParseRate reads a percent with at most four decimals, 0 to 100.
func ParseRate(s string) (Rate, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 3 || len(frac) > 4 || !allDigits(whole) || !allDigits(frac) || (strings.Contains(s, ".") && frac == "") {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64)
	}
	r := Rate(w*ratePerPercent + f)
	if r > 100*ratePerPercent {
		return 0, false
	}
	return r, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String is the rate as a percent, without trailing zeros.
func (r Rate) String() string {
	s := strconv.FormatInt(int64(r)/ratePerPercent, 10)
	if f := int64(r) % ratePerPercent; f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(f+ratePerPercent, 10)[1:], "0")
	}
	return s
}

// MarshalJSON writes the rate as a percent string.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads the rate as MarshalJSON writes it, so that a
// stored breakdown reads back as it was computed.
func (r *Rate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := ParseRate(s)
	if !ok {
		return fmt.Errorf("rate %q is not a percent with at most four decimals", s)
	}
	*r = v
	return nil
}
