package linkage

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/store"
)

// The resident-records differences (住民記録 異動分) applied to the
// register in the transaction that writes them: new residents created,
// changed ones updated (the latest record of each in the file), those who
// moved out or died given a departure, and each of these who is insured
// by the NHI on the day put on the NHI section's work list of moves.

// Change codes of the resident-differences layout, by what they do.
const (
	diffNew     = `'11', '12', '13'` // 転入, 出生, 職権記載
	diffChanged = `'21', '22', '23'` // 転居, 氏名等変更, 職権修正
	diffLeft    = `'31', '32', '33'` // 転出, 死亡, 職権消除
)

// KindReturned is the kind of a move on the NHI work list of a resident
// who came back after moving out while insured by the NHI.
const KindReturned = "returned"

// searchQueueCodes is how many lines' codes one list of the search
// index's queue holds: the indexer takes lists up to 20,000 codes a
// batch (resident.indexBatch), at least one list whole.
const searchQueueCodes = 20000

func departureKind(change string) string {
	if change == "32" {
		return resident.Deceased
	}
	return resident.MovedOut
}

func (residentDifferences) apply(ctx context.Context, tx *store.Tx, tenant string, job int64) error {
	now := time.Now().UTC()
	// New residents. On PostgreSQL each inserted resident's row trigger
	// would queue it for the search index by itself, one row of
	// resident_search_pending and one trigger call a resident (migration
	// 0036); the apply says it queues them (bango.search_pending, as
	// resident.Import does) and queues the new records' codes in lists of
	// searchQueueCodes, set-based. A return's code is queued with them:
	// indexing a code again is harmless, and its update queues it anyway.
	var created int64
	err := resident.QueueingForSearch(ctx, tx, func() error {
		res, err := tx.Exec(ctx, `INSERT INTO residents (tenant_code, code, name_kanji, name_kana, alias, address, birth_date, sex, version, created_at, updated_at)
		SELECT d.tenant_code, d.resident_code, d.name, d.name_kana_full, '', d.address, d.birth_date, d.sex, 1, $3, $3
		FROM linkage_resident_differences d WHERE d.tenant_code = $1 AND d.job_id = $2 AND d.change IN (`+diffNew+`)
		ON CONFLICT (tenant_code, code) DO NOTHING`, tenant, job, now)
		if err != nil {
			return err
		}
		created, _ = res.RowsAffected()
		if tx.Engine() != store.Postgres {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO resident_search_pending (tenant_code, codes)
			SELECT d.tenant_code, array_agg(d.resident_code ORDER BY d.line) FROM linkage_resident_differences d
			WHERE d.tenant_code = $1 AND d.job_id = $2 AND d.change IN (`+diffNew+`)
			GROUP BY d.tenant_code, d.line / $3 ORDER BY d.line / $3`, tenant, job, searchQueueCodes)
		return err
	})
	if err != nil {
		return err
	}
	// Returns: a new record for a resident who moved out (the check let
	// only those through) reinstates them — the basic items of the record,
	// the departure ended and kept in resident_returns.
	returned, returnMoves, err := applyReturns(ctx, tx, tenant, job, now)
	if err != nil {
		return err
	}
	// Changes: each resident takes their latest change record of the file.
	latest := func(col string) string {
		return `(SELECT d.` + col + ` FROM linkage_resident_differences d WHERE d.tenant_code = residents.tenant_code AND d.job_id = $2
			AND d.resident_code = residents.code AND d.change IN (` + diffChanged + `) ORDER BY d.line DESC LIMIT 1)`
	}
	res, err := tx.Exec(ctx, `UPDATE residents SET name_kanji = `+latest("name")+`, name_kana = `+latest("name_kana_full")+`,
		address = `+latest("address")+`, birth_date = `+latest("birth_date")+`, sex = `+latest("sex")+`, version = version + 1, updated_at = $3
		WHERE tenant_code = $1 AND code IN (SELECT resident_code FROM linkage_resident_differences WHERE tenant_code = $1 AND job_id = $2
		  AND change IN (`+diffChanged+`))`, tenant, job, now)
	if err != nil {
		return err
	}
	changed, _ := res.RowsAffected()
	// Departures, and the NHI work list of moves.
	type left struct {
		line      int
		code      string
		change    string
		effective time.Time
	}
	var gone []left
	err = store.Each(func(row store.Scanner) error {
		var l left
		if err := row.Scan(&l.line, &l.code, &l.change, &l.effective); err != nil {
			return err
		}
		gone = append(gone, l)
		return nil
	})(tx.Query(ctx, `SELECT line, resident_code, change, effective FROM linkage_resident_differences
		WHERE tenant_code = $1 AND job_id = $2 AND change IN (`+diffLeft+`) ORDER BY line`, tenant, job))
	if err != nil {
		return err
	}
	e := tx.Engine()
	source := "linkage job " + strconv.FormatInt(job, 10)
	moves := returnMoves
	for _, l := range gone {
		kind := departureKind(l.change)
		if _, err := tx.Exec(ctx, `INSERT INTO resident_departures (tenant_code, resident_code, kind, effective, source, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_code, resident_code) DO UPDATE
			SET kind = excluded.kind, effective = excluded.effective, source = excluded.source, recorded_at = excluded.recorded_at`,
			tenant, l.code, kind, dateValue(e, l.effective), source, now); err != nil {
			return err
		}
		insured, err := nhi.InsuredOn(ctx, tx, e, tenant, l.code, l.effective)
		if err != nil {
			return err
		}
		if !insured {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO linkage_nhi_moves (tenant_code, job_id, line, resident_code, change, kind, effective)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenant, job, l.line, l.code, l.change, kind, dateValue(e, l.effective)); err != nil {
			return err
		}
		moves++
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "linkage.residents.apply", Subject: jobSubject(job), Outcome: audit.OK,
		Detail: "created=" + strconv.FormatInt(created, 10) + " returned=" + strconv.Itoa(returned) + " changed=" + strconv.FormatInt(changed, 10) + " departed=" + strconv.Itoa(len(gone)) +
			" nhi_moves=" + strconv.Itoa(moves)})
}

// NHIMove is one insured person the resident-records system says moved
// out or died, on the NHI section's work list until staff record the loss.
type NHIMove struct {
	Job          int64     `json:"job"`
	Line         int       `json:"line"`
	ResidentCode string    `json:"resident_code"`
	Change       string    `json:"change"`
	Kind         string    `json:"kind"` // moved_out, deceased or returned
	Effective    time.Time `json:"effective"`
	Status       string    `json:"status"` // open or done
	DoneBy       string    `json:"done_by,omitempty"`
	DoneAt       time.Time `json:"done_at,omitzero"`
	// Entry is the NHI entry recorded for the move, if any: the first
	// loss (after a move out or a death) or acquisition (after a return)
	// of the resident dated on or after the move, not voided.
	Entry *nhi.Entry `json:"nhi_entry,omitempty"`
}

// movesList names the work list's cursors.
const movesList = "linkage.moves"

// NHIMoves reads a page of tenant's work list of moves: "open" ones, or
// every one ("") — oldest first, by the day of the move, then the file and
// its line; the page after cursor, of at most limit moves (store.Limit).
// The list grows with every move ever received, so it is never read
// whole. Listing it is recorded.
func (s *Service) NHIMoves(ctx context.Context, tenant, status, cursor string, limit int) (store.Page[NHIMove], error) {
	ctx = store.WithScope(ctx, tenant)
	e := s.db.Engine()
	q := `SELECT job_id, line, resident_code, change, kind, effective, status, done_by, done_at FROM linkage_nhi_moves WHERE tenant_code = $1`
	args := []any{tenant}
	switch status {
	case "":
	case "open":
		q += ` AND status = 'open'`
	default:
		var fe errs.FieldErrors
		fe.Add("status", errs.Message{JA: "状態は open か空欄です", EN: "the status is open or empty"})
		return store.Page[NHIMove]{}, fe.Err()
	}
	var after NHIMove
	if ok, err := store.DecodeCursor(cursor, movesList+status, &after.Effective, &after.Job, &after.Line); err != nil {
		return store.Page[NHIMove]{}, err
	} else if ok {
		q += ` AND (effective, job_id, line) > ($2, $3, $4)`
		args = append(args, dateValue(e, after.Effective), after.Job, after.Line)
	}
	limit = store.Limit(limit)
	q += ` ORDER BY effective, job_id, line LIMIT ` + strconv.Itoa(limit+1)
	var out []NHIMove
	err := s.db.ReadIn(ctx, tenant, func(db store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (NHIMove, error) {
			var m NHIMove
			var at sql.NullTime
			err := row.Scan(&m.Job, &m.Line, &m.ResidentCode, &m.Change, &m.Kind, &m.Effective, &m.Status, &m.DoneBy, &at)
			m.Effective, m.DoneAt = m.Effective.UTC(), at.Time
			return m, err
		})(db.Query(ctx, q, args...))
		// The entries of the page's moves alone: a page is at most
		// store.MaxLimit moves, one indexed read each.
		for i := range out[:min(len(out), limit)] {
			if err != nil {
				break
			}
			kind := "loss"
			if out[i].Kind == KindReturned {
				kind = "acquire"
			}
			var en nhi.Entry
			var ok bool
			if en, ok, err = nhi.EntryFrom(ctx, db, e, tenant, out[i].ResidentCode, kind, out[i].Effective); ok {
				out[i].Entry = &en
			}
		}
		return err
	})
	if err != nil {
		return store.Page[NHIMove]{}, err
	}
	page := store.PageOf(out, limit, movesList+status, func(m NHIMove) []any { return []any{m.Effective, m.Job, m.Line} })
	detail := "status=" + status + " shown=" + strconv.Itoa(len(page.Items))
	if cursor != "" {
		detail += " page=next"
	}
	return page, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.moves.list",
		Subject: audit.Subject{Type: "linkage_nhi_moves", ID: tenant}, Outcome: audit.OK, Detail: detail})
}

// DoneNHIMove marks a move on the work list as dealt with (the loss
// recorded in the NHI module, or nothing to do), by whom and when.
func (s *Service) DoneNHIMove(ctx context.Context, tenant string, job int64, line int) error {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.moves.done"
	subject := audit.Subject{Type: "linkage_nhi_move", ID: strconv.FormatInt(job, 10) + "/" + strconv.Itoa(line)}
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE linkage_nhi_moves SET status = 'done', done_by = $1, done_at = $2
			WHERE tenant_code = $3 AND job_id = $4 AND line = $5 AND status = 'open'`, actorOf(ctx), s.now().UTC(), tenant, job, line)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Tell(errs.NotFound, errs.Message{JA: "この異動は作業一覧にないか、処理済みです", EN: "this move is not on the work list, or was dealt with"},
				"nhi move %d/%d not open", job, line)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK})
	})
	if err != nil {
		return audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	return nil
}

// applyReturns reinstates the residents of job's new records who had
// moved out: each takes the record's basic four items, its departure is
// kept as a return (resident_returns: when they left, when they came
// back, which files said so) and removed. One who was insured by the NHI
// the day before they left is put on the NHI section's work list of
// moves as returned, like one who moves out: the NHI does not take them
// back by itself, staff record the acquisition. It returns how many came
// back, and how many of them went on the work list.
func applyReturns(ctx context.Context, tx *store.Tx, tenant string, job int64, now time.Time) (int, int, error) {
	type back struct {
		line                  int
		code, change          string
		effective, departed   time.Time
		kind, departureSource string
	}
	var backs []back
	err := store.Each(func(row store.Scanner) error {
		var b back
		if err := row.Scan(&b.line, &b.code, &b.change, &b.effective, &b.kind, &b.departed, &b.departureSource); err != nil {
			return err
		}
		backs = append(backs, b)
		return nil
	})(tx.Query(ctx, `SELECT d.line, d.resident_code, d.change, d.effective, p.kind, p.effective, p.source
		FROM linkage_resident_differences d
		JOIN resident_departures p ON p.tenant_code = d.tenant_code AND p.resident_code = d.resident_code
		WHERE d.tenant_code = $1 AND d.job_id = $2 AND d.change IN (`+diffNew+`) AND p.kind = 'moved_out' AND p.effective < d.effective
		ORDER BY d.line`, tenant, job))
	if err != nil {
		return 0, 0, err
	}
	e := tx.Engine()
	source := "linkage job " + strconv.FormatInt(job, 10)
	moves := 0
	for _, b := range backs {
		if _, err := tx.Exec(ctx, `INSERT INTO resident_returns (tenant_code, resident_code, departed_kind, departed_on, departure_source, returned_on, change, source, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tenant, b.code, b.kind, dateValue(e, b.departed), b.departureSource, dateValue(e, b.effective), b.change, source, now); err != nil {
			return 0, 0, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM resident_departures WHERE tenant_code = $1 AND resident_code = $2`, tenant, b.code); err != nil {
			return 0, 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE residents SET (name_kanji, name_kana, address, birth_date, sex) =
			(SELECT d.name, d.name_kana_full, d.address, d.birth_date, d.sex FROM linkage_resident_differences d WHERE d.tenant_code = $1 AND d.job_id = $2 AND d.line = $3),
			version = version + 1, updated_at = $4 WHERE tenant_code = $1 AND code = $5`, tenant, job, b.line, now, b.code); err != nil {
			return 0, 0, err
		}
		insured, err := nhi.InsuredOn(ctx, tx, e, tenant, b.code, b.departed.AddDate(0, 0, -1))
		if err != nil {
			return 0, 0, err
		}
		if !insured {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO linkage_nhi_moves (tenant_code, job_id, line, resident_code, change, kind, effective)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenant, job, b.line, b.code, b.change, KindReturned, dateValue(e, b.effective)); err != nil {
			return 0, 0, err
		}
		moves++
	}
	return len(backs), moves, nil
}

// Return is a resident's move out that ended with a return.
type Return struct {
	ResidentCode    string    `json:"resident_code"`
	DepartedOn      time.Time `json:"departed_on"`
	DepartureSource string    `json:"departure_source"`
	ReturnedOn      time.Time `json:"returned_on"`
	Change          string    `json:"change"`
	Source          string    `json:"source"`
}

// Returns lists resident code's returns to tenant, the oldest first.
func (s *Service) Returns(ctx context.Context, tenant, code string) ([]Return, error) {
	var out []Return
	err := s.db.ReadIn(store.WithScope(ctx, tenant), tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (Return, error) {
			var r Return
			err := row.Scan(&r.ResidentCode, &r.DepartedOn, &r.DepartureSource, &r.ReturnedOn, &r.Change, &r.Source)
			r.DepartedOn, r.ReturnedOn = r.DepartedOn.UTC(), r.ReturnedOn.UTC()
			return r, err
		})(q.Query(ctx, `SELECT resident_code, departed_on, departure_source, returned_on, change, source FROM resident_returns
			WHERE tenant_code = $1 AND resident_code = $2 ORDER BY returned_on`, tenant, code))
		return err
	})
	return out, err
}
