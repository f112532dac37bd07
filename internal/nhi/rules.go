package nhi

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"bango/internal/errs"
	"bango/internal/store"
)

// reachAge is the day a person born on birth reaches age n: the day
// before the n-th anniversary of birth (年齢計算ニ関スル法律, 民法第143条).
// Born on 29 February, one reaches an age in a common year at the end of
// 28 February, the month's last day (民法第143条第2項ただし書).
func reachAge(birth time.Time, n int) time.Time {
	y := birth.Year() + n
	if birth.Month() == time.February && birth.Day() == 29 && !isLeap(y) {
		return date(y, time.February, 28)
	}
	return date(y, birth.Month(), birth.Day()).AddDate(0, 0, -1)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// Birthday75 is the date NHI is lost by the move to 後期高齢者医療: the 75th
// birthday itself, the day after the 75th year is reached (高齢者医療確保法
// 第50条・第52条; municipalities' notices say "75歳の誕生日当日から"). Born on
// 29 February, it is 1 March in a common year.
func Birthday75(birth time.Time) time.Time { return reachAge(birth, 75).AddDate(0, 0, 1) }

// Elderly70From is the first day of the 70–74 cost share (高齢受給者): the
// first of the month after the month the 70th year is reached, which for
// someone born on the first of a month is the birth month itself (born
// on 1 April: from 1 April).
func Elderly70From(birth time.Time) time.Time {
	r := reachAge(birth, 70)
	return date(r.Year(), r.Month(), 1).AddDate(0, 1, 0)
}

// noticeRule is the notification limits in force on a date.
type noticeRule struct {
	from       time.Time
	lateAfter  int // days
	futureDays int
}

func loadNoticeRule(ctx context.Context, q store.Querier, e store.Engine, on time.Time) (noticeRule, error) {
	var r noticeRule
	err := q.QueryRow(ctx, `SELECT effective_from, late_after_days, future_days FROM nhi_notice_rules
		WHERE effective_from <= $1 ORDER BY effective_from DESC LIMIT 1`, dateArg(e, on)).Scan(&r.from, &r.lateAfter, &r.futureDays)
	if err != nil {
		return r, store.ScanErr(err, "NHI notification rule in force on "+Date(on))
	}
	return r, nil
}

// late reports whether a notice given on notified of an event effective
// on effective is later than the limit (遡及).
func (r noticeRule) late(effective, notified time.Time) bool {
	return notified.After(effective.AddDate(0, 0, r.lateAfter))
}

var (
	msgRequired             = errs.Message{JA: "入力されていません", EN: "is required"}
	msgDate                 = errs.Message{JA: "YYYY-MM-DD の形式の正しい日付で入力してください", EN: "must be a valid date as YYYY-MM-DD"}
	msgNoControls           = errs.Message{JA: "使用できない文字が含まれています", EN: "contains a control character"}
	msgBeforeBirth          = errs.Message{JA: "生年月日より前の日付です", EN: "is before the person's date of birth"}
	msgNotifiedFuture       = errs.Message{JA: "届出日に未来の日付は入力できません", EN: "the notification date cannot be in the future"}
	msgNotifiedBeforeWindow = errs.Message{JA: "届出日が異動日より前すぎます（予定の届出は異動日の前の受付期間内のみ）",
		EN: "the notification is earlier than the advance-notice window before the event"}
	msgLossBeforeAcquire = errs.Message{JA: "喪失日は取得日の翌日以降の日付です（喪失日は資格のなくなる最初の日）",
		EN: "the loss date must be after the acquisition date (it is the first day without NHI)"}
	msgAt75 = errs.Message{JA: "75歳の誕生日以降は後期高齢者医療の被保険者となるため、国保の資格を取得できません",
		EN: "from the 75th birthday the person is insured by 後期高齢者医療 and cannot acquire NHI"}
	msgLossAfter75 = errs.Message{JA: "75歳の誕生日（後期高齢者医療への移行日）より後の喪失日は入力できません",
		EN: "the loss date cannot be after the 75th birthday, the day NHI is lost to 後期高齢者医療"}
	msgOverlap = errs.Message{JA: "この期間は既にある資格期間と重なります（同じ人の資格期間は重複できません）",
		EN: "overlaps an eligibility period the person already has (periods of one person cannot overlap)"}
	msgNotInsured   = errs.Message{JA: "この日に国保の資格がありません", EN: "the person is not insured by NHI on this date"}
	msgLaterRecords = errs.Message{JA: "この日より後の記録があるため入力できません（記録は上書きしません）",
		EN: "later records exist; records are never overwritten, so this date cannot be entered"}
	msgTwoHouseholds = errs.Message{JA: "この日に別の国保世帯に属しています（同じ日に二つの世帯には属せません）",
		EN: "belongs to another NHI household on this date (one person cannot be in two households on one date)"}
	msgHouseholdMissing = errs.Message{JA: "この日に存在する国保世帯ではありません", EN: "is not an NHI household on this date"}
	msgHeadNeeded       = errs.Message{JA: "世帯主がいなくなるため、新しい世帯主を指定してください（世帯は存続する間つねに世帯主がいます）",
		EN: "the household would be left without a head: name the new head (a household has a head on every date it exists)"}
	msgHeadSame        = errs.Message{JA: "現在の世帯主と同じです", EN: "is the head already"}
	msgNotMember       = errs.Message{JA: "この日にこの世帯の被保険者ではありません", EN: "is not an insured member of this household on this date"}
	msgNumberTaken     = errs.Message{JA: "この被保険者番号（番号・枝番）は既に使われています", EN: "this insured number (番号 and 枝番) is already used"}
	msgNumber          = errs.Message{JA: "番号は1〜10桁の数字です", EN: "must be 1 to 10 digits"}
	msgBranch          = errs.Message{JA: "枝番は2桁の数字です（01〜99）", EN: "must be two digits, 01 to 99"}
	msgKigo            = errs.Message{JA: "記号は1〜20文字です", EN: "must be 1 to 20 characters"}
	msgResident        = errs.Message{JA: "宛名番号は1〜15桁の数字です", EN: "must be 1 to 15 digits"}
	msgSameHousehold   = errs.Message{JA: "移動元と同じ世帯です", EN: "is the household the members are in"}
	msgNoMembers       = errs.Message{JA: "移動する被保険者を1人以上指定してください", EN: "name at least one insured member to move"}
	msgHouseholdChoice = errs.Message{JA: "既存の世帯か、新しい世帯（記号と世帯主）のどちらかを指定してください",
		EN: "name either an existing household or a new one (記号 and head)"}
)

func msgReason(allowed []string) errs.Message {
	return errs.Message{JA: "次のいずれかです: " + strings.Join(allowed, "、"), EN: "must be one of: " + strings.Join(allowed, ", ")}
}

func msgFuture(days int) errs.Message {
	return errs.Message{JA: "今日から" + strconv.Itoa(days) + "日より先の日付は入力できません（予定の届出の受付期間）",
		EN: "is more than " + strconv.Itoa(days) + " days ahead (the advance-notice window)"}
}

// parseDate reads YYYY-MM-DD (or YYYY/MM/DD, full-width digits too).
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if !isASCII(s) {
		s = width.Narrow.String(s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err = time.Parse("2006/01/02", s)
	}
	return t, err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// dateField reads a required date field into *t, adding a field error.
func dateField(fe *errs.FieldErrors, field, value string, t *time.Time) bool {
	if strings.TrimSpace(value) == "" {
		fe.Add(field, msgRequired)
		return false
	}
	d, err := parseDate(value)
	if err != nil || d.Year() < 1880 {
		fe.Add(field, msgDate)
		return false
	}
	*t = d
	return true
}

func residentField(fe *errs.FieldErrors, field, value string) string {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		fe.Add(field, msgRequired)
	case !digits(v, 1, 15):
		fe.Add(field, msgResident)
	}
	return v
}

func reasonField(fe *errs.FieldErrors, field, value string, allowed []string) string {
	v := strings.TrimSpace(value)
	if v == "" {
		fe.Add(field, msgRequired)
		return v
	}
	for _, a := range allowed {
		if a == v {
			return v
		}
	}
	fe.Add(field, msgReason(allowed))
	return v
}

func kigoField(fe *errs.FieldErrors, field, value string) string {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		fe.Add(field, msgRequired)
	case utf8.RuneCountInString(v) > 20:
		fe.Add(field, msgKigo)
	case strings.IndexFunc(v, unicode.IsControl) >= 0 || !utf8.ValidString(v):
		fe.Add(field, msgNoControls)
	}
	return v
}

// dates checks an event's effective and notification dates against today
// and the notification window: not in the future beyond the window, the
// notice not in the future, and not earlier than the window before the
// event.
func (r noticeRule) dates(fe *errs.FieldErrors, field string, effective, notified, today time.Time) {
	if effective.After(today.AddDate(0, 0, r.futureDays)) {
		fe.Add(field, msgFuture(r.futureDays))
	}
	if notified.After(today) {
		fe.Add("notified_on", msgNotifiedFuture)
	} else if notified.Before(effective.AddDate(0, 0, -r.futureDays)) {
		fe.Add("notified_on", msgNotifiedBeforeWindow)
	}
}
