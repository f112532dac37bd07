// Package spool keeps a received file on disk while it is checked and
// imported, sealed with a key that only memory holds: what reaches the
// disk is never the file's plaintext (names, My Numbers), and once the key
// is forgotten nothing on the disk can be read again. Destroy overwrites
// the sealed bytes and removes the file as well (R-LNK-1).
package spool

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"io"
	"os"
)

// Spool is one file sealed on disk.
type Spool struct {
	f    *os.File
	key  []byte
	iv   []byte
	size int64
}

// New creates an empty spool file in dir (the system's temporary
// directory when empty).
func New(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "bango-spool-*.sealed")
	if err != nil {
		return nil, err
	}
	sp := &Spool{f: f, key: make([]byte, 32), iv: make([]byte, aes.BlockSize)}
	rand.Read(sp.key)
	rand.Read(sp.iv)
	return sp, nil
}

func (sp *Spool) stream() cipher.Stream {
	b, _ := aes.NewCipher(sp.key)
	return cipher.NewCTR(b, sp.iv)
}

// Fill writes r's bytes, sealed, and syncs them; it returns how many were
// written. A spool is filled once.
func (sp *Spool) Fill(r io.Reader) (int64, error) {
	w := cipher.StreamWriter{S: sp.stream(), W: sp.f}
	n, err := io.Copy(w, r)
	sp.size = n
	if err != nil {
		return n, err
	}
	return n, sp.f.Sync()
}

// Size is how many bytes the spool holds.
func (sp *Spool) Size() int64 { return sp.size }

// Open reads the file back from its start, as often as needed.
func (sp *Spool) Open() (io.ReadCloser, error) {
	f, err := os.Open(sp.f.Name())
	if err != nil {
		return nil, err
	}
	return readCloser{Reader: cipher.StreamReader{S: sp.stream(), R: f}, Closer: f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Destroy overwrites the sealed file with zeros, removes it and forgets
// the key; it returns the bytes overwritten.
func (sp *Spool) Destroy() int64 {
	zero := make([]byte, 64<<10)
	sp.f.Seek(0, io.SeekStart)
	for left := sp.size; left > 0; {
		n := min(left, int64(len(zero)))
		if _, err := sp.f.Write(zero[:n]); err != nil {
			break
		}
		left -= n
	}
	sp.f.Sync()
	sp.f.Close()
	os.Remove(sp.f.Name())
	clear(sp.key)
	return sp.size
}
