package audit

// SmallVerifyRanges makes Verify read in four ranges of a few hundred
// leaves, so that tests cross range boundaries. It returns the undo.
func SmallVerifyRanges() func() {
	oldMin, oldReaders := minRange, verifyReaders
	minRange, verifyReaders = 100, func() int { return 4 }
	return func() { minRange, verifyReaders = oldMin, oldReaders }
}
