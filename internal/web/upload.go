package web

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"bango/internal/cleantext"
	"bango/internal/errs"
	"bango/internal/spool"
)

// A form with a file (a registry file, a linkage file) is read as a
// stream, never through net/http's ParseMultipartForm: that keeps a file
// part over 32 MiB in a temporary file of its own, in plaintext, removed
// after the request without being overwritten — names and My Numbers
// left readable on the disk (R-LNK-1). Here the CSRF check reads the
// fields before the file (every form of bango's puts the token first),
// and only the handler, past the permission check, reads the file, into
// a spool sealed with a key only memory holds (internal/spool).

// maxFormParts bounds the parts of a multipart form: bango's forms with a
// file have a handful.
const maxFormParts = 32

// uploadKey holds the multipart form's reader from the CSRF check to the
// handler.
type uploadKey struct{}

type streamedForm struct {
	mr   *multipart.Reader
	next *multipart.Part // the file's part, read by takeUpload
	done bool            // every part has been read
}

var errFormUnreadable = func() error {
	var fe errs.FieldErrors
	fe.Add("form", errs.Message{JA: "フォームが読めません（大きすぎるか、形式が違います）", EN: "the form cannot be read (too large or malformed)"})
	return fe.Err()
}()

// readFormHead reads a multipart form's fields up to its first file part
// into r.PostForm (so that PostFormValue answers from them) and returns
// the request carrying the rest for takeUpload.
func readFormHead(r *http.Request) (*http.Request, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return r, errFormUnreadable
	}
	r.PostForm = url.Values{}
	r.Form = url.Values{}
	for k, v := range r.URL.Query() {
		r.Form[k] = v
	}
	sf := &streamedForm{mr: mr}
	if err := sf.readFields(r, true); err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), uploadKey{}, sf)), nil
}

// readFields reads small fields into r's form until a file part (kept
// in sf.next when stopAtFile) or the end.
func (sf *streamedForm) readFields(r *http.Request, stopAtFile bool) error {
	for parts := 0; ; parts++ {
		p, err := sf.mr.NextPart()
		if errors.Is(err, io.EOF) {
			sf.done = true
			return nil
		}
		if err != nil || parts >= maxFormParts {
			return errFormUnreadable
		}
		if p.FileName() != "" {
			if !stopAtFile {
				return errFormUnreadable // one file a form
			}
			sf.next = p
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(p, maxField+1))
		name, v := p.FormName(), string(b)
		if err != nil || len(b) > maxField || !cleantext.Valid(name, false) || !cleantext.Valid(v, multiline[name]) {
			return errFormUnreadable
		}
		r.PostForm.Add(name, v)
		r.Form.Add(name, v)
	}
}

// upload is a form's file, sealed on disk until Destroy.
type upload struct {
	name  string
	spool *spool.Spool
}

// takeUpload reads the form's file (field "file") into a sealed spool, and
// the fields after it into r's form. The caller destroys the upload.
func takeUpload(r *http.Request) (*upload, error) {
	sf, _ := r.Context().Value(uploadKey{}).(*streamedForm)
	noFile := &errs.FieldErrors{List: []errs.FieldError{{Field: "file", Reason: errs.Message{JA: "取り込むファイルを選んでください", EN: "choose the file to import"}}}}
	if sf == nil || sf.next == nil || sf.next.FormName() != "file" {
		return nil, noFile
	}
	sp, err := spool.New("")
	if err != nil {
		return nil, err
	}
	part := sf.next
	sf.next = nil
	if _, err := sp.Fill(part); err != nil {
		sp.Destroy()
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			var fe errs.FieldErrors
			fe.Add("file", errs.Message{JA: "ファイルが大きすぎます（256MBまで）", EN: "the file is too large (at most 256 MB)"})
			return nil, fe.Err()
		}
		return nil, errFormUnreadable
	}
	if err := sf.readFields(r, false); err != nil {
		sp.Destroy()
		return nil, err
	}
	return &upload{name: part.FileName(), spool: sp}, nil
}
