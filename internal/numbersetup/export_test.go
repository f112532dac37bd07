package numbersetup

// SetBlockEntries makes blocks of n exact matches, for tests that cross
// blocks.
func SetBlockEntries(n int) (restore func()) {
	old := blockEntries
	blockEntries = n
	return func() { blockEntries = old }
}

// SetEverySeen has the filter of numbers seen mistake every number for
// one seen before, so that every row's number is looked at again.
func SetEverySeen() (restore func()) {
	everySeen = true
	return func() { everySeen = false }
}
