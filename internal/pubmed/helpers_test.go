package pubmed_test

import (
	"testing/fstest"

	"bango/internal/errs"
)

// fieldsOf lists err's wrong fields, or its kind when it has none.
func fieldsOf(err error) string {
	if err == nil {
		return "ok"
	}
	fs := errs.Fields(err)
	if len(fs) == 0 {
		return errs.KindOf(err).String()
	}
	out := ""
	for i, f := range fs {
		if i > 0 {
			out += ","
		}
		out += f.Field
	}
	return out
}

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for n, s := range files {
		m[n] = &fstest.MapFile{Data: []byte(s)}
	}
	return m
}
