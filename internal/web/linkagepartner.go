package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/tlsca"
)

// The linkage partners' routes: machines, not people (R-LNK-1…3). A
// partner's data-link machine reaches them over mutual TLS on the partner
// listener (bango serve --partner-listen) with the client certificate
// bango issued it (bango linkage partner add); the certificate names the
// partner and its municipality, and its row says what it may do — push
// files of its inbound layouts, or pull files of its outbound layouts,
// never both (R-LNK-2). They serve no HTML: a file or JSON. Every request
// is an audit event, and a push-only partner's every attempt to read is
// refused and recorded.

// PartnerDeps are what the partner routes need; a zero value leaves them
// refusing everyone.
type PartnerDeps struct {
	Linkage *linkage.Service
	// CA verifies the partners' client certificates.
	CA *tlsca.PartnerCA
	// Eligibility is where the eligibility-continuity file's records come
	// from (the NHI module).
	Eligibility linkage.EligibilitySource
	// MaxBytes bounds a pushed file; 0 takes linkage.DefaultMaxBytes.
	MaxBytes int64
}

const partnerPrefix = "/linkage/v1/"

func (s *Server) linkagePartnerModule() webModule {
	return webModule{name: "linkage-partner", routes: []route{
		{pattern: "POST " + partnerPrefix + "files/{layout}", gate: partnerCert, json: true, h: s.partnerPush},
		{pattern: "GET " + partnerPrefix + "files/{layout}", gate: partnerCert, json: true, h: s.partnerPull},
		{pattern: "POST " + partnerPrefix + "files/{layout}/{id}/ack", gate: partnerCert, json: true, h: s.partnerAck},
	}}
}

type partnerListenerKey struct{}
type partnerKey struct{}

// PartnerHandler serves the partner routes, and only them, for the
// partner listener; anything else is refused as JSON and recorded.
func (s *Server) PartnerHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.linkagePartnerModule().routes {
		mux.Handle(rt.pattern, s.wrap(rt))
	}
	mux.Handle("/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		s.refused(r, "partner_no_route", nil)
		return errs.E(errs.NotFound, "the partner listener answers only %sfiles/…", partnerPrefix)
	}))
	return withRequestID(s.observe(mux, securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A pushed file may be as large as an import reads (one byte
		// more, so that the import itself refuses it whole); anything else
		// is a small JSON body at most.
		limit := int64(64 << 10)
		if r.Method == http.MethodPost && !strings.HasSuffix(r.URL.Path, "/ack") {
			limit = s.partnerMaxBytes() + 1
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), partnerListenerKey{}, true)))
	}))))
}

func (s *Server) partnerMaxBytes() int64 {
	if s.partners.MaxBytes > 0 {
		return s.partners.MaxBytes
	}
	return linkage.DefaultMaxBytes
}

var errPartnerListener = errs.Tell(errs.Forbidden, errs.Message{
	JA: "連携先の受け口は連携専用の待ち受け（partner-listen）でだけ使えます。",
	EN: "The linkage partners' routes are served on the partner listener (partner-listen) only.",
}, "partner route outside the partner listener")

var errNoPartnerCert = errs.Tell(errs.Unauthenticated, errs.Message{
	JA: "連携先の証明書がありません。bango が発行したクライアント証明書で接続してください。",
	EN: "No partner certificate: connect with the client certificate bango issued.",
}, "no verified partner certificate")

// partnerGate lets a request through only from the partner listener with
// a client certificate of the partners' CA that is registered, not
// revoked, of an active partner; the partner is the request's actor, its
// municipality the request's, and the request is an audit event whatever
// its outcome.
func (s *Server) partnerGate(rt route, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if on, _ := r.Context().Value(partnerListenerKey{}).(bool); !on {
			s.refused(r, "partner_listener", nil)
			return errPartnerListener
		}
		if s.partners.CA == nil || s.partners.Linkage == nil || r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			s.refused(r, "partner_certificate", nil)
			return errNoPartnerCert
		}
		cert := r.TLS.PeerCertificates[0]
		tenant, id, err := s.partners.CA.PartnerOf(cert, time.Now())
		if err != nil {
			err = errs.E(errs.Unauthenticated, "%v", err)
		}
		var p linkage.Partner
		if err == nil {
			p, err = s.partners.Linkage.PartnerByCertificate(r.Context(), tenant, id, tlsca.Fingerprint(cert.Raw))
		}
		if err != nil {
			ctx := audit.WithActor(r.Context(), audit.Actor{User: "partner-certificate:" + tlsca.Fingerprint(cert.Raw)[:23], Address: s.clientAddress(r)})
			s.refused(r.WithContext(ctx), "partner_certificate", err)
			if errs.KindOf(err) == errs.Internal {
				return err
			}
			return errNoPartnerCert
		}
		ctx := audit.WithActor(r.Context(), audit.Actor{User: "partner:" + p.Tenant + "/" + p.ID, Address: s.clientAddress(r)})
		ctx = context.WithValue(ctx, partnerKey{}, p)
		r = r.WithContext(ctx)
		ev := audit.Event{Tenant: p.Tenant, Action: "linkage.partner.request", Subject: audit.Subject{Type: "linkage_partner", ID: p.ID},
			Detail: "route=" + rt.pattern + " direction=" + p.Direction}
		if err := h(w, r); err != nil {
			return audit.RecordFailure(ctx, s.db, s.log, ev, err)
		}
		ev.Outcome = audit.OK
		if aerr := audit.RecordAlone(context.WithoutCancel(ctx), s.db, ev); aerr != nil {
			s.log.ErrorContext(ctx, "audit event of a partner request not written", "err", aerr)
		}
		return nil
	}
}

func partnerFrom(r *http.Request) linkage.Partner {
	p, _ := r.Context().Value(partnerKey{}).(linkage.Partner)
	return p
}

// pushAnswer is what a partner is told of a file it pushed.
type pushAnswer struct {
	Job     int64  `json:"job"`
	Outcome string `json:"outcome"`
	Records int    `json:"records"`
	Applied int    `json:"applied"`
	SHA256  string `json:"sha256"`
}

// partnerPush imports the request's body as a file of layout.
func (s *Server) partnerPush(w http.ResponseWriter, r *http.Request) error {
	p := partnerFrom(r)
	job, _, err := s.partners.Linkage.Receive(r.Context(), p, r.PathValue("layout"), r.URL.Query().Get("name"), r.Body)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if job.Outcome == linkage.Pending {
		status = http.StatusAccepted
	}
	writeJSON(w, status, pushAnswer{Job: job.ID, Outcome: job.Outcome, Records: job.Records, Applied: job.Applied, SHA256: job.SHA256})
	return nil
}

// errPushOnly refuses a read to a partner that only sends (R-LNK-2).
func (s *Server) errPushOnly(r *http.Request, p linkage.Partner) error {
	return audit.Refused(r.Context(), s.db, p.Tenant, "linkage.pull", audit.Subject{Type: "linkage_partner", ID: p.ID},
		errs.Tell(errs.Forbidden, errs.Message{
			JA: "この連携先は送信専用です。bango から受け取れるものはありません。",
			EN: "This partner only sends files: there is nothing it may receive from bango.",
		}, "partner %s of %s is %s: no read", p.ID, p.Tenant, p.Direction))
}

// partnerPull hands the partner the next file of an outbound layout; it
// stays in staging until acknowledged.
func (s *Server) partnerPull(w http.ResponseWriter, r *http.Request) error {
	p := partnerFrom(r)
	if p.Direction != linkage.Outbound {
		return s.errPushOnly(r, p)
	}
	got, err := s.partners.Linkage.Pull(r.Context(), p, r.PathValue("layout"), r.URL.Query().Get("insurer"), s.partners.Eligibility)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+got.Job.FileName+`"`)
	h.Set("X-Linkage-Job", strconv.FormatInt(got.Job.ID, 10))
	h.Set("X-Linkage-SHA256", got.Job.SHA256)
	h.Set("Content-Length", strconv.Itoa(len(got.Data)))
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(got.Data)
	return err
}

// ackBody is the partner's word that it holds a pulled file whole.
type ackBody struct {
	SHA256 string `json:"sha256"`
}

func (s *Server) partnerAck(w http.ResponseWriter, r *http.Request) error {
	p := partnerFrom(r)
	if p.Direction != linkage.Outbound {
		return s.errPushOnly(r, p)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "no job %q", r.PathValue("id"))
	}
	var b ackBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := s.partners.Linkage.Acknowledge(r.Context(), p, id, b.SHA256); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
