package mnhold

import "io/fs"

// MnholdData is the shipped rules' directory, for the tests.
func MnholdData() (fs.FS, error) { return fs.Sub(shipped, "data") }
