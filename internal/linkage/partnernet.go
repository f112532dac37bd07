package linkage

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/spool"
	"bango/internal/store"
	"bango/internal/tlsca"
)

// A partner reaches bango over the network only with a client certificate
// issued by bango's partners' CA (R-LNK-3): bango keeps its serial and
// fingerprint, never its key, and a revoked certificate is refused at the
// next request. What the partner may do is its row's: push files of its
// inbound layouts, or pull files of its outbound layouts, never both
// (R-LNK-2), in its own municipality only.

// Certificate is what bango keeps of a partner's client certificate.
type Certificate struct {
	Tenant      string     `json:"tenant"`
	Partner     string     `json:"partner"`
	Serial      string     `json:"serial"`
	Fingerprint string     `json:"fingerprint"`
	NotAfter    time.Time  `json:"not_after"`
	IssuedAt    time.Time  `json:"issued_at"`
	IssuedBy    string     `json:"issued_by"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	RevokedBy   string     `json:"revoked_by,omitempty"`
}

// IssueCertificate signs a client certificate for a configured partner
// with ca and records its serial and fingerprint. The certificate and its
// key are returned once, for the operator to hand to the partner's
// data-link machine; bango keeps neither.
func (s *Service) IssueCertificate(ctx context.Context, tenant, partner string, ca *tlsca.PartnerCA) (tlsca.Issued, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.partner.certificate"
	subject := audit.Subject{Type: "linkage_partner", ID: partner}
	p, err := s.partner(ctx, tenant, partner)
	if err == nil && !p.Active {
		err = errs.E(errs.Invalid, "partner %s of %s is not active", partner, tenant)
	}
	if err != nil {
		return tlsca.Issued{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	now := s.now()
	is, err := ca.Issue(tenant, partner, now)
	if err != nil {
		return tlsca.Issued{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO linkage_partner_certs (tenant_code, partner, serial, fingerprint, not_after, issued_at, issued_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenant, partner, is.Serial, is.Fingerprint, is.NotAfter.UTC(), now.UTC(), actorOf(ctx)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "issued serial=" + is.Serial + " fingerprint=" + is.Fingerprint + " not_after=" + is.NotAfter.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return tlsca.Issued{}, err
	}
	return is, nil
}

// RevokeCertificates ends every certificate of partner still in force
// (or, with serial set, that one): the next request made with it is
// refused. It returns how many it revoked.
func (s *Service) RevokeCertificates(ctx context.Context, tenant, partner, serial string) (int, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.partner.revoke"
	subject := audit.Subject{Type: "linkage_partner", ID: partner}
	var n int64
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		q := `UPDATE linkage_partner_certs SET revoked_at = $1, revoked_by = $2 WHERE tenant_code = $3 AND partner = $4 AND revoked_at IS NULL`
		args := []any{s.now().UTC(), actorOf(ctx), tenant, partner}
		if serial != "" {
			q += ` AND serial = $5`
			args = append(args, serial)
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return errs.Tell(errs.NotFound, errs.Message{JA: "取り消す証明書がありません", EN: "there is no certificate in force to revoke"},
				"no certificate in force for partner %s of %s (serial %q)", partner, tenant, serial)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "revoked=" + strconv.FormatInt(n, 10) + " serial=" + serial})
	})
	if err != nil {
		return 0, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	return int(n), nil
}

// Certificates lists partner's certificates, newest first.
func (s *Service) Certificates(ctx context.Context, tenant, partner string) ([]Certificate, error) {
	var out []Certificate
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(scanCertificate)(q.Query(ctx, selectCertificate+` WHERE tenant_code = $1 AND partner = $2 ORDER BY issued_at DESC`, tenant, partner))
		return err
	})
	return out, err
}

const selectCertificate = `SELECT tenant_code, partner, serial, fingerprint, not_after, issued_at, issued_by, revoked_at, revoked_by FROM linkage_partner_certs`

func scanCertificate(row store.Scanner) (Certificate, error) {
	var c Certificate
	var revoked sql.NullTime
	err := row.Scan(&c.Tenant, &c.Partner, &c.Serial, &c.Fingerprint, &c.NotAfter, &c.IssuedAt, &c.IssuedBy, &revoked, &c.RevokedBy)
	if revoked.Valid {
		c.RevokedAt = &revoked.Time
	}
	return c, err
}

var errNotAPartner = errs.Tell(errs.Unauthenticated, errs.Message{
	JA: "この証明書では連携できません（取り消された、期限切れ、または登録のない証明書です）。",
	EN: "This certificate does not admit a partner: it is revoked, expired or not registered.",
}, "partner certificate not in force")

// PartnerByCertificate is the partner a verified client certificate
// stands for: tenant and partner as the certificate names them, the
// certificate registered, not revoked, not expired, and the partner
// active. Anything else is unauthenticated.
func (s *Service) PartnerByCertificate(ctx context.Context, tenant, partner, fingerprint string) (Partner, error) {
	ctx = store.WithScope(ctx, tenant)
	var c Certificate
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		c, err = scanCertificate(q.QueryRow(ctx, selectCertificate+` WHERE tenant_code = $1 AND fingerprint = $2`, tenant, fingerprint))
		return store.ScanErr(err, "certificate")
	})
	if errs.Is(err, errs.NotFound) {
		return Partner{}, errNotAPartner
	}
	if err != nil {
		return Partner{}, err
	}
	if c.Partner != partner || c.RevokedAt != nil || !s.now().Before(c.NotAfter) {
		return Partner{}, errNotAPartner
	}
	p, err := s.partner(ctx, tenant, partner)
	if errs.Is(err, errs.NotFound) || (err == nil && !p.Active) {
		return Partner{}, errNotAPartner
	}
	return p, err
}

// partner reads one partner with its layouts.
func (s *Service) partner(ctx context.Context, tenant, id string) (Partner, error) {
	var p Partner
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		p, err = scanPartner(q.QueryRow(ctx, selectPartner+` WHERE tenant_code = $1 AND partner = $2`, tenant, id))
		if err != nil {
			return store.ScanErr(err, "partner")
		}
		p.Layouts, err = partnerLayouts(ctx, q, tenant, id)
		return err
	})
	return p, err
}

// Receive imports a file a partner pushed over the network: the body is
// copied once to a sealed spool file (AES-256-CTR under a key that lives
// only in this call's memory, so nothing readable is ever on disk), the
// import reads it twice from there as from any file, and the spool file
// is overwritten and removed when the job ends, whatever its outcome —
// the purge is an audit event (R-LNK-1). The actor of ctx is the partner.
func (s *Service) Receive(ctx context.Context, p Partner, layout, fileName string, body io.Reader) (Job, *Report, error) {
	ctx = asPartner(ctx, p)
	// No route, no spool: a partner that may not send this layout is
	// refused before a byte is written.
	if _, _, err := s.route(store.WithScope(ctx, p.Tenant), p.Tenant, p.ID, layout, 0, Inbound); err != nil {
		return Job{}, nil, audit.Refused(store.WithScope(ctx, p.Tenant), s.db, p.Tenant, "linkage.import", audit.Subject{Type: "linkage_partner", ID: p.ID}, err)
	}
	sp, err := spool.New("")
	if err != nil {
		return Job{}, nil, err
	}
	defer func() {
		n := sp.Destroy()
		_ = audit.RecordAlone(store.WithScope(context.WithoutCancel(ctx), p.Tenant), s.db, audit.Event{Tenant: p.Tenant, Action: "linkage.purge",
			Subject: audit.Subject{Type: "linkage_partner", ID: p.ID}, Outcome: audit.OK, Detail: "spool_bytes=" + strconv.FormatInt(n, 10) + " layout=" + layout})
	}()
	if _, err := sp.Fill(io.LimitReader(body, s.maxBytes+1)); err != nil {
		return Job{}, nil, errs.Tell(errs.Invalid, errs.Message{JA: "ファイルを最後まで受け取れませんでした。何も取り込んでいません。送り直してください。",
			EN: "The file was not received whole; nothing was applied. Send it again."}, "push of %s cut short: %v", layout, err)
	}
	return s.Import(ctx, ImportRequest{Tenant: p.Tenant, Partner: p.ID, Layout: layout, FileName: fileName, Open: sp.Open, ByPartner: true})
}

// Pulled is an outbound file handed to a partner: its job and its bytes.
type Pulled struct {
	Job  Job
	Data []byte
}

// Pull hands partner p the next file of an outbound layout: the file
// produced before and not yet acknowledged, or a new one. The file stays
// in staging until the partner acknowledges it by its SHA-256 (Acknowledge),
// so that a transfer cut short loses nothing: the next pull hands the same
// file again. Only the eligibility-continuity layout is produced so far.
func (s *Service) Pull(ctx context.Context, p Partner, layout, insurer string, src EligibilitySource) (Pulled, error) {
	ctx = store.WithScope(ctx, p.Tenant)
	subject := audit.Subject{Type: "linkage_partner", ID: p.ID}
	_, l, err := s.route(ctx, p.Tenant, p.ID, layout, 0, Outbound)
	if err == nil && l.Name != "nhi-eligibility-continuity" {
		err = errNoRoute(p.Tenant, p.ID, layout, Outbound)
	}
	if err != nil {
		return Pulled{}, audit.Refused(ctx, s.db, p.Tenant, "linkage.pull", subject, err)
	}
	if got, ok, err := s.undelivered(ctx, p, l.Name); err != nil || ok {
		if ok {
			err = s.recordPull(ctx, got.Job, "again")
		}
		return got, err
	}
	var buf bytes.Buffer
	name := "SKKZ_" + s.now().In(jst).Format("20060102150405") + ".DAT"
	job, _, err := s.ExportEligibility(ctx, ExportRequest{Tenant: p.Tenant, Partner: p.ID, Layout: l.Name, Insurer: insurer, FileName: name, Out: &buf}, src)
	if err != nil {
		return Pulled{}, err
	}
	err = s.db.TransactIn(ctx, p.Tenant, func(tx *store.Tx) error {
		data := buf.Bytes()
		for seq := 0; seq == 0 || len(data) > 0; seq++ {
			n := min(len(data), chunkSize)
			if _, err := tx.Exec(ctx, `INSERT INTO linkage_staging (tenant_code, job_id, seq, chunk) VALUES ($1, $2, $3, $4)`,
				p.Tenant, job.ID, seq, bytes.Clone(data[:n])); err != nil {
				return err
			}
			data = data[n:]
		}
		return nil
	})
	if err != nil {
		return Pulled{}, err
	}
	return Pulled{Job: job, Data: buf.Bytes()}, s.recordPull(ctx, job, "new")
}

func (s *Service) recordPull(ctx context.Context, job Job, which string) error {
	return audit.RecordAlone(ctx, s.db, audit.Event{Tenant: job.Tenant, Action: "linkage.pull", Subject: jobSubject(job.ID), Outcome: audit.OK,
		Detail: "partner=" + job.Partner + " layout=" + job.Layout + " file=" + which + " sha256=" + job.SHA256})
}

// undelivered is partner p's oldest file of layout still in staging.
func (s *Service) undelivered(ctx context.Context, p Partner, layout string) (Pulled, bool, error) {
	var out Pulled
	found := false
	err := s.db.ReadIn(ctx, p.Tenant, func(q store.Querier) error {
		j, err := scanJob(q.QueryRow(ctx, selectJob+` WHERE tenant_code = $1 AND partner = $2 AND layout = $3 AND outcome = 'exported'
			AND EXISTS (SELECT 1 FROM linkage_staging st WHERE st.tenant_code = linkage_jobs.tenant_code AND st.job_id = linkage_jobs.id)
			ORDER BY id LIMIT 1`, p.Tenant, p.ID, layout))
		if err := store.ScanErr(err, "linkage job"); errs.Is(err, errs.NotFound) {
			return nil
		} else if err != nil {
			return err
		}
		chunks, err := store.Rows(func(row store.Scanner) ([]byte, error) {
			var b []byte
			return b, row.Scan(&b)
		})(q.Query(ctx, `SELECT chunk FROM linkage_staging WHERE tenant_code = $1 AND job_id = $2 ORDER BY seq`, p.Tenant, j.ID))
		if err != nil {
			return err
		}
		out, found = Pulled{Job: j, Data: bytes.Join(chunks, nil)}, true
		return nil
	})
	return out, found, err
}

// Acknowledge is the partner's word that it holds the file of job whole
// (its SHA-256 matches): the file leaves staging, and the purge is an
// audit event (R-LNK-1).
func (s *Service) Acknowledge(ctx context.Context, p Partner, jobID int64, sha256 string) error {
	ctx = store.WithScope(ctx, p.Tenant)
	subject := jobSubject(jobID)
	j, err := s.Job(ctx, p.Tenant, jobID)
	if err == nil && (j.Partner != p.ID || j.Direction != Outbound) {
		err = errs.E(errs.NotFound, "job %d is not partner %s's", jobID, p.ID)
	}
	if err == nil && j.SHA256 != sha256 {
		err = errs.Tell(errs.Conflict, errs.Message{JA: "SHA-256 が送ったファイルと一致しません。ファイルを受け取り直してください。", EN: "the SHA-256 does not match the file sent: pull it again"},
			"acknowledged SHA-256 of job %d does not match", jobID)
	}
	if err != nil {
		return audit.Refused(ctx, s.db, p.Tenant, "linkage.delivered", subject, err)
	}
	return s.db.TransactIn(ctx, p.Tenant, func(tx *store.Tx) error {
		if err := audit.Record(ctx, tx, audit.Event{Tenant: p.Tenant, Action: "linkage.delivered", Subject: subject, Outcome: audit.OK,
			Detail: "partner=" + p.ID + " layout=" + j.Layout + " sha256=" + j.SHA256}); err != nil {
			return err
		}
		return purge(ctx, tx, j)
	})
}
