package audit

import "bango/internal/store"

// SmallVerifyRanges makes Verify read in four ranges of a few hundred
// leaves, so that tests cross range boundaries. It returns the undo.
func SmallVerifyRanges() func() {
	oldMin, oldReaders := minRange, verifyReaders
	minRange, verifyReaders = 100, func() int { return 4 }
	return func() { minRange, verifyReaders = oldMin, oldReaders }
}

// Queued reports how many events wait for db's next batch, and whether
// db's committer is running.
func Queued(db *store.DB) (n int, running bool) {
	groups.Lock()
	defer groups.Unlock()
	waiting, running := groups.waiting[db]
	return len(waiting), running
}
