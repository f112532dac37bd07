package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"bango/internal/errs"
)

// Forms: reading dates, and answering a refused form.

// parseDay reads a date (YYYY-MM-DD) as the start of that day in Japan.
func parseDay(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, jst)
	if err != nil {
		var fe errs.FieldErrors
		fe.Add(field, errs.Message{JA: "日付は 2026-04-01 の形で入力してください", EN: "must be a date like 2026-04-01"})
		return time.Time{}, fe.Err()
	}
	return t.UTC(), nil
}

// refusal is what a refused form shows: one sentence at the top and, when
// fields are to blame, each field's message beside the field and in the
// error summary that links to it.
type refusal struct {
	Text   string
	Fields []formField
	At     string // the form that shows Text beside itself (the reveal); "" for the top of the page
}

// formField is one wrong field, named by its label in the person's
// language; Field is the input's id.
type formField struct{ Field, Label, Message string }

// required is the message of a required field left empty.
var required = errs.Message{JA: "入力してください（必須）", EN: "Enter this: it is required"}

// refused is a refusal that only says text.
func refused(text string) refusal { return refusal{Text: text} }

// formProblem answers a refused form: "not found" stays an error page, a
// problem the person can fix shows the form again with its message, and
// anything else is a server error.
func formProblem(r *http.Request, err error, rerender func(status int, problem refusal) error) error {
	if errs.Is(err, errs.NotFound) {
		return err
	}
	problem, ok := problemText(lang(r), err)
	if !ok {
		return err
	}
	return rerender(problemStatus(err), problem)
}

// problemText is what an error the user can act on tells them, in their
// language: every wrong field by its label, or the error's own sentence
// for staff, or the sentence of its kind. Developer English (keys, codes,
// permission names) never reaches the page; ok is false for a server
// failure.
func problemText(lang string, err error) (refusal, bool) {
	if fs := errs.Fields(err); fs != nil {
		out := refusal{Text: fmt.Sprintf(tr(lang, "error.fields"), len(fs))}
		for _, f := range fs {
			msg := f.Reason.In(lang)
			if f.Line > 0 {
				msg = fmt.Sprintf(tr(lang, "error.line"), f.Line) + msg
			}
			out.Fields = append(out.Fields, formField{Field: f.Field, Label: fieldLabel(lang, f.Field), Message: msg})
		}
		return out, true
	}
	kind := errs.KindOf(err)
	if kind == errs.Internal {
		return refusal{}, false
	}
	if said, ok := errs.Told(err, lang); ok {
		return refused(said), true
	}
	key, ok := kindSentence[kind]
	if !ok {
		return refusal{}, false
	}
	return refused(tr(lang, key)), true
}

// kindSentence is what an error of a kind says when it has no sentence of
// its own for staff.
var kindSentence = map[errs.Kind]string{
	errs.Forbidden: "error.forbidden", errs.Conflict: "error.conflict", errs.NotFound: "error.gone",
	errs.Invalid: "error.invalid", errs.Locked: "error.locked",
}

// fieldLabel is a field's label in lang ("field.<name>" in the catalogue),
// with the row of a member row before it, or its name when no form shows it.
func fieldLabel(lang, field string) string {
	if i, rest, ok := splitMember(field); ok { // a member row of a form: 被保険者 2: 生年月日
		return fmt.Sprintf(tr(lang, "nhi.new.member"), i+1) + ": " + fieldLabel(lang, rest)
	}
	if _, ok := catalogue["field."+field]; ok {
		return tr(lang, "field."+field)
	}
	return field
}

var statusOfProblem = map[errs.Kind]int{errs.Forbidden: http.StatusForbidden, errs.Conflict: http.StatusConflict, errs.NotFound: http.StatusNotFound, errs.Locked: http.StatusLocked}

// refuseFor shows err on p when it is a problem the person can fix, and
// reports whether it was one.
func (p *page) refuseFor(err error) bool {
	problem, ok := problemText(p.Lang, err)
	if ok {
		p.refuse(problem)
	}
	return ok
}

func problemStatus(err error) int {
	if st, ok := statusOfProblem[errs.KindOf(err)]; ok {
		return st
	}
	return http.StatusBadRequest
}

// Invalid marks a form field that was refused: aria-invalid, and
// aria-describedby naming its message (after the help texts given, which
// stay described). Used in templates as <input … {{$.Invalid "name" "name-help"}}>;
// a field without a problem keeps only its help.
func (p *page) Invalid(field string, help ...string) template.HTMLAttr {
	ids := help
	bad := p.problemOf(field) != nil
	if bad {
		ids = append(ids[:len(ids):len(ids)], field+"-error")
	}
	var b strings.Builder
	if bad {
		b.WriteString(`aria-invalid="true" `)
	}
	if len(ids) > 0 {
		b.WriteString(`aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`)
	}
	return template.HTMLAttr(b.String())
}

// FieldError is the message shown under a refused field, or nothing.
func (p *page) FieldError(field string) template.HTML {
	f := p.problemOf(field)
	if f == nil {
		return ""
	}
	return template.HTML(`<p class="field-error" id="` + template.HTMLEscapeString(field) + `-error">` +
		template.HTMLEscapeString(f.Message) + `</p>`)
}

// Refused reports whether field was refused, for a template that shows a
// field only then (the acknowledgement of a warning).
func (p *page) Refused(field string) bool { return p.problemOf(field) != nil }

func (p *page) problemOf(field string) *formField {
	for i := range p.Problems {
		if p.Problems[i].Field == field {
			return &p.Problems[i]
		}
	}
	return nil
}
