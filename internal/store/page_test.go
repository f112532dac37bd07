package store_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 16: a page size asked for is clamped, never taken as it comes.
func TestLimit(t *testing.T) {
	for _, c := range []struct{ in, want int }{
		{-1, store.DefaultLimit}, {0, store.DefaultLimit}, {1, 1}, {store.DefaultLimit, store.DefaultLimit},
		{store.MaxLimit, store.MaxLimit}, {store.MaxLimit + 1, store.MaxLimit}, {1 << 40, store.MaxLimit},
	} {
		if got := store.Limit(c.in); got != c.want {
			t.Errorf("Limit(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

// Issue 16: a cursor gives back the key it was made of, and one that was
// damaged, edited or made for another list is refused as invalid input
// naming the field "cursor".
func TestCursor(t *testing.T) {
	at := time.Date(2026, 4, 1, 9, 30, 0, 123456000, time.FixedZone("JST", 9*3600))
	cur := store.EncodeCursor("review", at, "健康部", int64(1)<<53+1, 7)
	var (
		gotAt  time.Time
		gotDep string
		gotID  int64
		gotN   int
	)
	ok, err := store.DecodeCursor(cur, "review", &gotAt, &gotDep, &gotID, &gotN)
	if err != nil || !ok {
		t.Fatalf("round trip: %v %v", ok, err)
	}
	if !gotAt.Equal(at) || gotDep != "健康部" || gotID != int64(1)<<53+1 || gotN != 7 {
		t.Fatalf("round trip gave %v %q %d %d", gotAt, gotDep, gotID, gotN)
	}
	if ok, err := store.DecodeCursor("", "review", &gotID); ok || err != nil {
		t.Fatalf("no cursor: %v %v, want the first page", ok, err)
	}

	raw, _ := base64.RawURLEncoding.DecodeString(store.EncodeCursor("alerts", int64(42)))
	edited := append([]byte(nil), raw...)
	edited[len(`["alerts","`)] = '9' // 42 → 92, checksum kept
	bad := map[string]string{
		"not base64":    "%%%",
		"too short":     base64.RawURLEncoding.EncodeToString([]byte("abc")),
		"edited key":    base64.RawURLEncoding.EncodeToString(edited),
		"cut short":     store.EncodeCursor("alerts", int64(42))[:10],
		"other list":    store.EncodeCursor("grants", int64(42)),
		"key too long":  store.EncodeCursor("alerts", int64(42), int64(1)),
		"key not a num": store.EncodeCursor("alerts", "x"),
		"plain number":  "42",
	}
	for name, c := range bad {
		var id int64
		ok, err := store.DecodeCursor(c, "alerts", &id)
		if ok || !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v %v, want invalid", name, ok, err)
			continue
		}
		fields := errs.Fields(err)
		if len(fields) != 1 || fields[0].Field != "cursor" || fields[0].Reason.JA == "" || fields[0].Reason.EN == "" {
			t.Errorf("%s: %v does not name the field cursor in both languages", name, fields)
		}
	}
}

// Issue 16: PageOf cuts the extra row and points the cursor at the last
// row shown; following cursors through a real table on both engines
// shows every row once, in order.
func TestKeysetPages(t *testing.T) {
	if p := store.PageOf([]int64(nil), 3, "n", nil); p.Items == nil || p.More || p.Next != "" {
		t.Fatalf("empty page: %+v", p)
	}
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		var want []string
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for i := range 11 {
				code := fmt.Sprintf("9%05d", i)
				want = append(want, code)
				if err := insertTenant(ctx, tx, code); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		cursor, pages := "", 0
		for {
			var after string
			if _, err := store.DecodeCursor(cursor, "tenants", &after); err != nil {
				t.Fatal(err)
			}
			const limit = 4
			codes, err := store.Rows(func(row store.Scanner) (string, error) {
				var c string
				return c, row.Scan(&c)
			})(db.Query(ctx, `SELECT code FROM tenants WHERE code > $1 ORDER BY code LIMIT $2`, after, limit+1))
			if err != nil {
				t.Fatal(err)
			}
			p := store.PageOf(codes, limit, "tenants", func(c string) []any { return []any{c} })
			pages++
			got = append(got, p.Items...)
			if p.More != (p.Next != "") || len(p.Items) > limit {
				t.Fatalf("page %d: %+v", pages, p)
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
			t.Fatalf("%d pages; rows (-want +got):\n%s", pages, diff)
		}
	})
}
