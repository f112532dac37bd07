package vault

import (
	"context"

	"bango/internal/errs"
	"bango/internal/mynumber"
)

// numberLen is how many digits a My Number has.
const numberLen = 12

// SealNumbers seals nums as one value for binding b: the numbers of a
// batch kept together and opened together (the My Number setup's blocks of
// candidates), one seal instead of one a number. The digits are read here,
// where sealing reads them (R-AC-4), and cleared once sealed.
func (v *Vault) SealNumbers(ctx context.Context, b Binding, nums []mynumber.Number) (sealed []byte, version int, err error) {
	digits := make([]byte, 0, numberLen*len(nums))
	for _, n := range nums {
		digits = append(digits, n.Digits()...)
	}
	defer clear(digits)
	return v.Seal(ctx, b, digits)
}

// OpenNumbers opens a value SealNumbers sealed for binding b, which must
// hold n numbers.
func (v *Vault) OpenNumbers(ctx context.Context, b Binding, sealed []byte, n int) ([]mynumber.Number, error) {
	digits, err := v.Open(ctx, b, sealed)
	if err != nil {
		return nil, err
	}
	defer clear(digits)
	if len(digits) != numberLen*n {
		return nil, errs.E(errs.Internal, "vault: %s.%s row %s holds %d bytes of numbers for %d numbers", b.Table, b.Column, b.Row, len(digits), n)
	}
	nums := make([]mynumber.Number, n)
	for i := range nums {
		if nums[i], err = mynumber.Parse(string(digits[i*numberLen : (i+1)*numberLen])); err != nil {
			return nil, errs.Wrap(errs.Internal, err, "vault: %s.%s row %s: number %d of %d", b.Table, b.Column, b.Row, i+1, n)
		}
	}
	return nums, nil
}
