package web

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// Concurrency test bounds: 16 staff members at once, a few rounds each,
// and a hang detector well below SQLite's 10 s busy timeout. It is not a
// speed test: one slow request fails it only when it is slow enough to
// mean a writer waited for a lock instead of taking its turn.
const (
	concurrentWriters = 16
	concurrentRounds  = 6
	slowRequest       = 5 * time.Second
	concurrentBudget  = 90 * time.Second
)

// Sixteen staff members write at once through every kind of write the
// route table has — grant applications withdrawn, approved and revoked
// (R-AC-3), My Number entries confirmed and rejected by a checker
// (R-ACC-1), exports asked, decided and downloaded (R-AC-5), alerts
// acknowledged, reveals (R-AC-4), screen locks and failed unlocks, and
// municipality switches. No request may fail with 5xx or wait anywhere
// near the busy timeout (issue 14 H: on SQLite, writers that read through
// the pool inside their transaction stalled everyone for 10 s and failed
// with SQLITE_BUSY), and every write that succeeded has its audit event
// (R-AUD-1).
func TestConcurrentWriters(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		if eng == store.Postgres && testing.Short() {
			t.Skip("PostgreSQL run skipped in -short")
		}
		testConcurrentWriters(t, newWeb(t, eng))
	})
}

// concWorker is one staff member's loop: its own sessions, its own data.
type concWorker struct {
	f      *webFixture
	t      *testing.T
	client *http.Client
	stats  *concStats
	name   string
}

type concStats struct {
	requests atomic.Int64
	mu       sync.Mutex
	slowest  time.Duration
	slowPath string
	ok       map[string]int // successful writes by audit action
}

func (s *concStats) count(action string) {
	s.mu.Lock()
	s.ok[action]++
	s.mu.Unlock()
}

// session is a logged-in session's cookie token and form token.
type session struct{ token, csrf string }

// call sends one request and checks its status against want; it fails
// the test on a 5xx or a slow answer, whatever want says.
func (w *concWorker) call(ctx context.Context, s session, method, path, body string, isJSON bool, want int) ([]byte, bool) {
	w.t.Helper()
	ctype := "application/x-www-form-urlencoded"
	if isJSON {
		ctype = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, w.f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		w.t.Error(err)
		return nil, false
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: s.token})
	start := time.Now()
	res, err := w.client.Do(req)
	took := time.Since(start)
	w.stats.requests.Add(1)
	w.stats.mu.Lock()
	if took > w.stats.slowest {
		w.stats.slowest, w.stats.slowPath = took, method+" "+path
	}
	w.stats.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			w.t.Errorf("%s: %s %s: %v after %s", w.name, method, path, err, took.Round(time.Millisecond))
		}
		return nil, false
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	switch {
	case res.StatusCode >= 500:
		w.t.Errorf("%s: %s %s: %d after %s: %.300s", w.name, method, path, res.StatusCode, took.Round(time.Millisecond), b)
		return b, false
	case took > slowRequest:
		w.t.Errorf("%s: %s %s took %s (a writer waited for a lock?)", w.name, method, path, took.Round(time.Millisecond))
	case res.StatusCode != want:
		w.t.Errorf("%s: %s %s: %d, want %d: %.300s", w.name, method, path, res.StatusCode, want, b)
		return b, false
	}
	return b, true
}

func idOf(t *testing.T, b []byte) int64 {
	var v struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.ID == 0 {
		t.Errorf("no id in %.200s", b)
	}
	return v.ID
}

// testNumber is a valid My Number, different for each (i, j).
func testNumber(i, j int) string {
	first := fmt.Sprintf("%011d", 20000000000+i*1000+j)
	return first + string(mynumber.CheckDigit(first))
}

func testConcurrentWriters(t *testing.T, f *webFixture) {
	ctx := audit.WithActor(context.Background(), audit.Actor{User: "setup"})
	mkUser := func(login, home, section string, grants ...string) identity.User {
		t.Helper()
		f.kit.Staff(t, testkit.Staff{Login: login, Name: "並行　" + login, Tenant: home, Section: section})
		for _, g := range grants { // "pattern@tenant"
			pattern, tenant, _ := strings.Cut(g, "@")
			f.kit.Grant(t, login, pattern, tenant)
		}
		return f.kit.User(t, login)
	}
	start := func(u identity.User) session {
		t.Helper()
		tok, sess, err := f.users.StartSession(ctx, u, identity.StageActive, "127.0.0.1", "", "")
		if err != nil {
			t.Fatal(err)
		}
		return session{tok, sess.CSRF}
	}
	newResident := func(code, number string) {
		t.Helper()
		in := resident.Input{Code: code, NameKanji: "並行　太郎", NameKana: "ヘイコウ　タロウ", Address: "東京都新宿区西新宿二丁目8番1号",
			BirthDate: "1980-04-01", Sex: "1", MyNumber: number}
		if _, err := f.residents.Create(ctx, "131041", in); err != nil {
			t.Fatal(err)
		}
	}

	stats := &concStats{ok: map[string]int{}}
	var loops []func(w *concWorker, ctx context.Context)
	for i := range concurrentWriters {
		p := fmt.Sprintf("c%02d", i)
		section := "並行課" + strconv.Itoa(i)
		switch i % 8 {
		case 0: // apply for a section member, then withdraw the application
			head, member := start(mkUser(p+"-head", "131041", section, "section-head@131041")), mkUser(p+"-member", "131041", section)
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for range concurrentRounds {
					b, ok := w.call(ctx, head, "POST", "/api/v1/grants", `{"login_id":"`+member.LoginID+`","pattern":"nhi-clerk","tenant":"131041","reason":"並行試験"}`, true, http.StatusCreated)
					if !ok {
						return
					}
					w.stats.count("grant.apply")
					if _, ok := w.call(ctx, head, "POST", "/api/v1/grants/"+strconv.FormatInt(idOf(w.t, b), 10)+"/revoke", `{"note":"取下げ"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("grant.revoke")
				}
			})
		case 1: // apply, approve, revoke
			head, member := start(mkUser(p+"-head", "131041", section, "section-head@131041")), mkUser(p+"-member", "131041", section)
			approver := start(mkUser(p+"-approver", "", "情報システム課", "is-approver@"))
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for range concurrentRounds {
					b, ok := w.call(ctx, head, "POST", "/api/v1/grants", `{"login_id":"`+member.LoginID+`","pattern":"nhi-checker","tenant":"131041","reason":"並行試験"}`, true, http.StatusCreated)
					if !ok {
						return
					}
					w.stats.count("grant.apply")
					id := strconv.FormatInt(idOf(w.t, b), 10)
					if _, ok := w.call(ctx, approver, "POST", "/api/v1/grants/"+id+"/approve", `{"note":"承認"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("grant.approve")
					if _, ok := w.call(ctx, head, "POST", "/api/v1/grants/"+id+"/revoke", `{"note":"異動"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("grant.revoke")
				}
			})
		case 2, 3: // a clerk enters a My Number; a checker confirms it (2) or sends it back (3)
			clerk := start(mkUser(p+"-clerk", "131041", section, "nhi-clerk@131041"))
			checker := start(mkUser(p+"-checker", "131041", section, "nhi-checker@131041"))
			confirm := i%8 == 2
			for j := range concurrentRounds {
				newResident(fmt.Sprintf("7%02d%03d", i, j), "")
			}
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for j := range concurrentRounds {
					code, number := fmt.Sprintf("7%02d%03d", i, j), testNumber(i, j)
					b, ok := w.call(ctx, clerk, "POST", "/api/v1/residents/"+code+"/mynumber", `{"mynumber":"`+number+`"}`, true, http.StatusAccepted)
					if !ok {
						return
					}
					w.stats.count("review.submit")
					id := strconv.FormatInt(idOf(w.t, b), 10)
					action, path, body := "review.confirm", "/confirm", `{"mynumber":"`+number+`"}`
					if !confirm {
						action, path, body = "review.reject", "/reject", `{"reason":"証拠書類と不一致"}`
					}
					if _, ok := w.call(ctx, checker, "POST", "/api/v1/review/"+id+path, body, true, http.StatusOK); !ok {
						return
					}
					w.stats.count(action)
				}
			})
		case 4: // ask for an export; a privacy manager approves (then it is downloaded) or rejects
			head := start(mkUser(p+"-head", "131041", section, "section-head@131041"))
			pm := start(mkUser(p+"-pm", "131041", "保護管理課", "privacy-manager@131041"))
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for j := range concurrentRounds {
					b, ok := w.call(ctx, head, "POST", "/api/v1/exports", `{"kind":"residents","format":"csv","reason":"並行試験"}`, true, http.StatusCreated)
					if !ok {
						return
					}
					w.stats.count("export.request")
					id := strconv.FormatInt(idOf(w.t, b), 10)
					if j%2 == 1 {
						if _, ok := w.call(ctx, pm, "POST", "/api/v1/exports/"+id+"/reject", `{"note":"不要"}`, true, http.StatusOK); !ok {
							return
						}
						w.stats.count("export.reject")
						continue
					}
					if _, ok := w.call(ctx, pm, "POST", "/api/v1/exports/"+id+"/approve", `{"note":"承認"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("export.approve")
					if _, ok := w.call(ctx, head, "POST", "/api/v1/exports/"+id+"/download", `{}`, true, http.StatusOK); !ok {
						return
					}
				}
			})
		case 5: // a privacy manager acknowledges alerts
			pm := start(mkUser(p+"-pm", "131041", "保護管理課", "privacy-manager@131041"))
			var ids []int64
			for j := range concurrentRounds {
				a, err := f.alerts.Raise(store.WithScope(ctx, "131041"), alert.Alert{Tenant: "131041", Rule: "test", Subject: p, Detail: "concurrency test", Dedupe: p + strconv.Itoa(j)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, a.ID)
			}
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for _, id := range ids {
					form := url.Values{"csrf": {pm.csrf}, "comment": {"確認済み"}}.Encode()
					if _, ok := w.call(ctx, pm, "POST", "/alerts/"+strconv.FormatInt(id, 10)+"/ack", form, false, http.StatusSeeOther); !ok {
						return
					}
					w.stats.count("alert.acknowledge")
				}
			})
		case 6: // lock the screen, then fail to unlock it (the failures count and lock the account)
			u := mkUser(p+"-locker", "131041", section, "nhi-clerk@131041")
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for range concurrentRounds {
					s := session{}
					tok, sess, err := w.f.users.StartSession(ctx, u, identity.StageActive, "127.0.0.1", "", "")
					if err != nil {
						w.t.Error(err)
						return
					}
					s = session{tok, sess.CSRF}
					if _, ok := w.call(ctx, s, "POST", "/lock/now", url.Values{"csrf": {s.csrf}}.Encode(), false, http.StatusSeeOther); !ok {
						return
					}
					w.stats.count("session.lock")
					form := url.Values{"csrf": {s.csrf}, "code": {"000000"}, "pin": {"0000"}}.Encode()
					if _, ok := w.call(ctx, s, "POST", "/lock", form, false, http.StatusUnauthorized); !ok {
						return
					}
				}
			})
		case 7: // union staff switch municipality and reveal a number (R-AC-4, R-AC-6)
			code := fmt.Sprintf("8%02d000", i)
			newResident(code, testNumber(i, 999))
			s := start(mkUser(p+"-union", "", section, "nhi-clerk@131041", "nhi-clerk@011002", "number-viewer@131041"))
			loops = append(loops, func(w *concWorker, ctx context.Context) {
				for range concurrentRounds {
					if _, ok := w.call(ctx, s, "POST", "/api/v1/scope", `{"tenant":"131041"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("session.scope")
					if _, ok := w.call(ctx, s, "POST", "/api/v1/residents/"+code+"/reveal", `{"purpose":"`+resident.DefaultRevealPurposes[0]+`"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("mynumber.reveal")
					if _, ok := w.call(ctx, s, "POST", "/api/v1/scope", `{"tenant":"011002"}`, true, http.StatusOK); !ok {
						return
					}
					w.stats.count("session.scope")
				}
			})
		}
	}

	// Everyone starts together; the run is bounded in time as well as in
	// rounds, so that a stall fails the test instead of hanging it.
	runCtx, cancel := context.WithTimeout(context.Background(), concurrentBudget)
	defer cancel()
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	began := time.Now()
	for i, loop := range loops {
		ready.Add(1)
		done.Add(1)
		w := &concWorker{f: f, t: t, stats: stats, name: fmt.Sprintf("writer %d", i),
			client: &http.Client{Timeout: 30 * time.Second,
				Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			loop(w, runCtx)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	elapsed := time.Since(began)
	if runCtx.Err() != nil {
		t.Errorf("the writers did not finish within %s", concurrentBudget)
	}
	t.Logf("%d writers, %d requests in %s (%.0f/s); slowest %s (%s)", len(loops), stats.requests.Load(), elapsed.Round(time.Millisecond),
		float64(stats.requests.Load())/elapsed.Seconds(), stats.slowest.Round(time.Millisecond), stats.slowPath)
	if t.Failed() {
		return
	}
	// Every write that answered success committed its audit event with it
	// (some actions, such as session.scope, are also recorded by other steps).
	for action, n := range stats.ok {
		if got := testutil.CountEvents(t, f.db, `action = $1 AND outcome = 'ok' AND actor_user LIKE 'c__-%'`, action); got < n {
			t.Errorf("%s: %d successful requests, only %d audit events", action, n, got)
		}
	}
}
