package audit

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"bango/internal/errs"
)

// Keys are the checkpoint signing key (private, mode 0600) and its verifier
// key, which outside holders keep: a verifier key found only in the
// database could be replaced together with the checkpoints.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	VKey     string // the verifier key in note format, to hand to auditors
	Origin   string // the log's name, first line of every checkpoint
}

// KeyFiles are the paths of the signing key and the verifier key.
func KeyFiles(dataDir string) (private, public string) {
	return filepath.Join(dataDir, "audit.key"), filepath.Join(dataDir, "audit.pub")
}

// LoadKeys reads the signing key at private, creating it (and the verifier
// key file at public) when create is set and it is missing.
func LoadKeys(private, public string, create bool) (k *Keys, created bool, err error) {
	defer errs.Annotate(&err, "audit: signing key %s", private)
	fi, err := os.Stat(private)
	if errors.Is(err, fs.ErrNotExist) && create {
		name := "bango-audit-" + randomName()
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Dir(private), 0o700); err != nil {
			return nil, false, err
		}
		if err := writeFile(private, skey+"\n", 0o600); err != nil {
			return nil, false, err
		}
		if err := writeFile(public, vkey+"\n", 0o644); err != nil {
			return nil, false, err
		}
		k, err := keysFrom(skey, vkey)
		return k, true, err
	}
	if err != nil {
		return nil, false, errs.Wrap(errs.Unavailable, err, "cannot read")
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, false, errs.E(errs.Invalid, "permissions are %04o; they must be 0600 or stricter (run: chmod 600 %s)", perm, private)
	}
	skey, err := os.ReadFile(private)
	if err != nil {
		return nil, false, err
	}
	vkey, err := os.ReadFile(public)
	if err != nil {
		return nil, false, errs.Wrap(errs.Unavailable, err, "verifier key %s", public)
	}
	k, err = keysFrom(strings.TrimSpace(string(skey)), strings.TrimSpace(string(vkey)))
	return k, false, err
}

func keysFrom(skey, vkey string) (*Keys, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "not a note signing key")
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "not a note verifier key")
	}
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		return nil, errs.E(errs.Invalid, "signing key %s and verifier key %s do not match", s.Name(), v.Name())
	}
	return &Keys{Signer: s, Verifier: v, VKey: vkey, Origin: s.Name()}, nil
}

// NewVerifier reads a verifier key (the content of audit.pub).
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "audit: not a verifier key")
	}
	return v, nil
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func writeFile(path, content string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Checkpoint is a signed statement of the tree: its size and root hash,
// under the log's origin (C2SP checkpoint layout: origin, size, base64 root).
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   []byte // the signed note, as published
}

func checkpointText(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

func (k *Keys) sign(size int64, root tlog.Hash) ([]byte, error) {
	return note.Sign(&note.Note{Text: checkpointText(k.Origin, size, root)}, k.Signer)
}

// OpenCheckpoint verifies the signature of a checkpoint note with v and
// parses it.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, errs.Wrap(errs.Invalid, err, "audit: checkpoint signature does not verify with key %s", v.Name())
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[3] != "" || lines[0] != v.Name() {
		return Checkpoint{}, errs.E(errs.Invalid, "audit: checkpoint is not for log %s", v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, errs.E(errs.Invalid, "audit: checkpoint size %q is not a number", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return Checkpoint{}, errs.E(errs.Invalid, "audit: checkpoint root is not a base64 SHA-256 hash")
	}
	var root tlog.Hash
	copy(root[:], raw)
	return Checkpoint{Origin: lines[0], Size: size, Root: root, Note: msg}, nil
}
