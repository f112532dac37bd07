package numbersetup

// SetBlockEntries makes blocks of n exact matches, for tests that cross
// blocks.
func SetBlockEntries(n int) (restore func()) {
	old := blockEntries
	blockEntries = n
	return func() { blockEntries = old }
}
