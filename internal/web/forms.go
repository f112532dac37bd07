package web

import (
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

// formProblem answers a refused form: "not found" stays an error page, a
// problem the person can fix shows the form again with its message, and
// anything else is a server error.
func formProblem(r *http.Request, err error, rerender func(status int, msg string) error) error {
	if errs.Is(err, errs.NotFound) {
		return err
	}
	msg, ok := problemText(lang(r), err)
	if !ok {
		return err
	}
	return rerender(problemStatus(err), msg)
}

// problemText is the message of an error the user can act on, in their
// language; ok is false for a server failure.
func problemText(lang string, err error) (string, bool) {
	if fs := errs.Fields(err); fs != nil {
		var parts []string
		for _, f := range fs {
			parts = append(parts, f.Field+": "+f.Reason.In(lang))
		}
		return strings.Join(parts, " / "), true
	}
	switch errs.KindOf(err) {
	case errs.Forbidden, errs.Conflict, errs.NotFound, errs.Invalid:
		return errs.Public(err), true
	}
	return "", false
}

var statusOfProblem = map[errs.Kind]int{errs.Forbidden: http.StatusForbidden, errs.Conflict: http.StatusConflict, errs.NotFound: http.StatusNotFound}

func problemStatus(err error) int {
	if st, ok := statusOfProblem[errs.KindOf(err)]; ok {
		return st
	}
	return http.StatusBadRequest
}
