package audit

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// leafFormat versions the leaf encoding.
const leafFormat = "bango-audit-leaf/1"

// leaf is the canonical form of an event that the tree hashes: JSON with
// the fields in this fixed order, time in RFC 3339 UTC with microseconds.
// Anyone can recompute a leaf hash from an exported event with this layout
// and tlog.RecordHash (SHA-256 of 0x00 || leaf).
type leaf struct {
	Format    string `json:"format"`
	ID        int64  `json:"id"`
	Time      string `json:"time"`
	Tenant    string `json:"tenant"`
	User      string `json:"user"`
	Session   string `json:"session"`
	Terminal  string `json:"terminal"`
	Address   string `json:"address"`
	Action    string `json:"action"`
	SubjType  string `json:"subject_type"`
	SubjID    string `json:"subject_id"`
	Purpose   string `json:"purpose"`
	Outcome   string `json:"outcome"`
	RequestID string `json:"request_id"`
	Detail    string `json:"detail"`
}

const leafTime = "2006-01-02T15:04:05.000000Z"

func leafOf(e Event) leaf {
	return leaf{
		Format: leafFormat, ID: e.ID, Time: e.Time.UTC().Truncate(time.Microsecond).Format(leafTime),
		Tenant: e.Tenant, User: e.Actor.User, Session: e.Actor.Session, Terminal: e.Actor.Terminal, Address: e.Actor.Address,
		Action: e.Action, SubjType: e.Subject.Type, SubjID: e.Subject.ID, Purpose: e.Purpose, Outcome: e.Outcome,
		RequestID: e.RequestID, Detail: e.Detail,
	}
}

// LeafData returns the bytes of e's leaf: exactly json.Marshal of the leaf
// struct (TestLeafDataIsJSONMarshal holds the two together), written by
// hand because verify rehashes every leaf and reflection was a fifth of
// its time.
func LeafData(e Event) []byte {
	return appendLeaf(make([]byte, 0, 256+len(e.Detail)), e)
}

// appendLeaf appends e's leaf to b.
func appendLeaf(b []byte, e Event) []byte {
	b = append(b, `{"format":"`+leafFormat+`","id":`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.UTC().Truncate(time.Microsecond).AppendFormat(b, leafTime)
	b = append(b, '"')
	for _, f := range [...]struct{ key, val string }{
		{`,"tenant":`, e.Tenant}, {`,"user":`, e.Actor.User}, {`,"session":`, e.Actor.Session},
		{`,"terminal":`, e.Actor.Terminal}, {`,"address":`, e.Actor.Address}, {`,"action":`, e.Action},
		{`,"subject_type":`, e.Subject.Type}, {`,"subject_id":`, e.Subject.ID}, {`,"purpose":`, e.Purpose},
		{`,"outcome":`, e.Outcome}, {`,"request_id":`, e.RequestID}, {`,"detail":`, e.Detail},
	} {
		b = append(b, f.key...)
		b = appendJSONString(b, f.val)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does by default: HTML-safe
// (<, >, & escaped), U+2028 and U+2029 escaped, invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
