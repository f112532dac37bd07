package numbersetup

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// Row is one person of a registry file as FileWriter writes it.
type Row struct {
	Municipality string
	ResidentCode string // 住民票コード, 11 digits
	Name         string // full-width, e.g. 山田　太郎
	NameKana     string // full-width katakana
	Birth        time.Time
	Sex          string // 1, 2
	Address      string // full-width
	MyNumber     string // 12 digits
}

// FileWriter produces a registry file of the layout (CSV, Shift_JIS, CRLF
// line ends; header, rows, trailer with the count), for the demo, the
// bench and tests. It writes what it is given: a wrong value makes a file
// the import rejects.
type FileWriter struct {
	w   *bufio.Writer
	enc *encoding.Encoder
	n   int
	err error
}

// NewFileWriter writes the header of a file of municipality made on created.
func NewFileWriter(w io.Writer, municipality string, created time.Time) *FileWriter {
	fw := &FileWriter{w: bufio.NewWriterSize(w, 64<<10), enc: japanese.ShiftJIS.NewEncoder()}
	fw.Line("1", municipality, "HKJK", created.Format("20060102"))
	return fw
}

// Line writes one record of raw columns as given (the first is the record
// kind), quoting a column that holds a comma or a quote.
func (fw *FileWriter) Line(cols ...string) {
	if fw.err != nil {
		return
	}
	for i, c := range cols {
		if strings.ContainsAny(c, ",\"") {
			c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		if i > 0 {
			fw.w.WriteByte(',')
		}
		b, err := fw.enc.Bytes([]byte(c))
		if err != nil {
			fw.err = err
			return
		}
		fw.w.Write(b)
	}
	_, fw.err = fw.w.WriteString("\r\n")
}

// Write adds one person.
func (fw *FileWriter) Write(r Row) {
	fw.n++
	fw.Line("2", r.Municipality, r.ResidentCode, r.Name, r.NameKana, r.Birth.Format("20060102"), r.Sex, r.Address, r.MyNumber)
}

// Close writes the trailer with the number of rows written and flushes.
func (fw *FileWriter) Close() error {
	fw.Line("9", strconv.Itoa(fw.n))
	if fw.err != nil {
		return fw.err
	}
	return fw.w.Flush()
}
