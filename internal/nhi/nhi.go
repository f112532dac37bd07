// Package nhi keeps National Health Insurance eligibility (国民健康保険の
// 資格, R-NHI-1) and the 70–74 cost share (R-NHI-3) of each municipality:
// NHI households (国保世帯) with their heads, insured persons (被保険者)
// with their insured numbers, eligibility periods as dated acquisitions
// and losses, and membership of households as dated versions. Nothing is
// overwritten: a household and every person read as of any date. Every
// entry is a maker–checker proposal applied when another staff member
// confirms it (R-ACC-1); every read and change is an audit event with the
// insured person as subject.
package nhi

import (
	"context"
	"log/slog"
	"time"

	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/store"
)

// The maker–checker kinds of the module.
const (
	KindAcquire   = "nhi.acquire"   // 資格取得
	KindLoss      = "nhi.loss"      // 資格喪失
	KindHousehold = "nhi.household" // 世帯主変更・世帯分離・世帯合併
	KindEstablish = "nhi.establish" // 新しい世帯と被保険者全員の資格取得
	KindIncome    = "nhi.income"    // 所得（70〜74歳の負担割合の判定用）
	KindVoid      = "nhi.void"      // 資格の記録の取消
	KindCorrect   = "nhi.correct"   // 資格の記録の訂正（取消と正しい記録）
)

// Acquisition reasons (取得事由).
const (
	AcquireMoveIn          = "転入"
	AcquireLeftEmployee    = "社保離脱"
	AcquireBirth           = "出生"
	AcquireWelfareEnded    = "生活保護廃止"
	AcquireForeignResident = "外国人の資格取得"
	AcquireOther           = "その他"
)

// Loss reasons (喪失事由).
const (
	LossMoveOut        = "転出"
	LossJoinedEmployee = "社保加入"
	LossDeath          = "死亡"
	LossLateElderly    = "後期高齢者医療への移行"
	LossWelfareStarted = "生活保護開始"
	LossOther          = "その他"
)

// AcquireReasons and LossReasons are the reasons a form offers, in order.
var (
	AcquireReasons = []string{AcquireMoveIn, AcquireLeftEmployee, AcquireBirth, AcquireWelfareEnded, AcquireForeignResident, AcquireOther}
	LossReasons    = []string{LossMoveOut, LossJoinedEmployee, LossDeath, LossLateElderly, LossWelfareStarted, LossOther}
)

// Service keeps NHI eligibility.
type Service struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time
}

// NewService returns a Service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{db: db, log: log, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// today is the date in Japan now (civil dates: midnight UTC, kept
// without a zone).
func (s *Service) today() time.Time { return civil.Today(s.now()) }

var (
	date     = civil.Date
	dateOnly = civil.DateOf // a date read from the database
	dateArg  = store.DateArg
)

// Date formats a date as YYYY-MM-DD, "" for none.
func Date(t time.Time) string { return civil.Format(t) }

func subjectOf(residentCode string) audit.Subject {
	return audit.Subject{Type: "nhi_insured", ID: residentCode}
}

// failed records a refused or failed step as an event of its own and
// returns err.
func (s *Service) failed(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	return audit.RecordFailure(ctx, s.db, s.log, audit.Event{Tenant: tenant, Action: action, Subject: subject}, err)
}

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	return a.User
}
