package linkage

import (
	"context"
	"io"

	"bango/internal/store"
)

// Checked is a file that passed its check, read again to be written: its
// bytes, layout and options, the SHA-256 the check saw, and the error
// that says it changed since (a different SHA-256, or a record that no
// longer passes).
type Checked struct {
	R       io.Reader
	Layout  *Layout
	Options Options
	SHA256  string
	Changed error
}

// CopyRecords parses f again and writes a row per data record — row's
// values for it — into table through the transaction's bulk path, the
// rows handed from the parsing goroutine in batches so that parsing and
// writing overlap and memory stays flat in the file's size. An error of
// row stops the parse and is returned.
func CopyRecords(ctx context.Context, tx *store.Tx, table string, columns []string, f Checked, row func(rec *Record) ([]any, error)) (int64, error) {
	const batch = 1024
	ch := make(chan [][]any, 4)
	stop := make(chan struct{})
	done := make(chan struct{})
	var rep *Report
	var perr error
	go func() {
		defer close(done)
		defer close(ch)
		buf := make([][]any, 0, batch)
		send := func() bool {
			select {
			case ch <- buf:
				buf = make([][]any, 0, batch)
				return true
			case <-stop:
				return false
			}
		}
		rep, perr = Parse(f.R, f.Layout, f.Options, func(rec *Record) error {
			if rec.Def.Role != Data {
				return nil
			}
			values, err := row(rec)
			if err != nil {
				return err
			}
			buf = append(buf, values)
			if len(buf) == batch && !send() {
				return errStopped
			}
			return nil
		})
		if perr == nil && len(buf) > 0 {
			send()
		}
	}()
	var cur [][]any
	i := 0
	next := func() ([]any, error) {
		for i >= len(cur) {
			b, ok := <-ch
			if !ok {
				<-done
				switch {
				case perr != nil:
					return nil, perr
				case rep.SHA256 != f.SHA256 || !rep.OK():
					return nil, f.Changed
				}
				return nil, nil
			}
			cur, i = b, 0
		}
		i++
		return cur[i-1], nil
	}
	n, err := tx.CopyFrom(ctx, table, columns, next)
	close(stop)
	<-done
	return n, err
}
