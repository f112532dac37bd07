package audit

import (
	"encoding/json"
	"time"
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

// LeafData returns the bytes of e's leaf.
func LeafData(e Event) []byte {
	b, err := json.Marshal(leaf{
		Format: leafFormat, ID: e.ID, Time: e.Time.UTC().Truncate(time.Microsecond).Format(leafTime),
		Tenant: e.Tenant, User: e.Actor.User, Session: e.Actor.Session, Terminal: e.Actor.Terminal, Address: e.Actor.Address,
		Action: e.Action, SubjType: e.Subject.Type, SubjID: e.Subject.ID, Purpose: e.Purpose, Outcome: e.Outcome,
		RequestID: e.RequestID, Detail: e.Detail,
	})
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	return b
}
