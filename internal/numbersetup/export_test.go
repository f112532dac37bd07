package numbersetup

// SetChunkRows makes the import write n rows a chunk until the returned
// function restores the size.
func SetChunkRows(n int) (restore func()) {
	old := chunkRows
	chunkRows = n
	return func() { chunkRows = old }
}
