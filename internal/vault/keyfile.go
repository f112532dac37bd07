package vault

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"bango/internal/durable"
	"bango/internal/errs"
)

// keyFileFormat marks the file so that a wrong file is refused, not misread.
const keyFileFormat = "bango-master-keys/1"

type keyFile struct {
	Format string         `json:"format"`
	Keys   []keyFileEntry `json:"keys"`
}

type keyFileEntry struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Key     string    `json:"key"` // base64 of 32 bytes
}

// MasterKeys are the versions of the master key that wrap the data keys.
// The newest wraps new data keys; older ones stay until `keys rewrap` has
// moved every data key forward.
type MasterKeys struct {
	path     string
	versions map[int][]byte
	newest   int
}

// Newest is the version that wraps new data keys.
func (m *MasterKeys) Newest() int { return m.newest }

// Versions lists the versions held, oldest first.
func (m *MasterKeys) Versions() []int {
	var vs []int
	for v := range m.versions {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}

// Path is the key file's location.
func (m *MasterKeys) Path() string { return m.path }

// lockWait bounds how long creating the key file waits for another process
// holding the key folder's lock (a rotation takes well under a second).
const lockWait = time.Minute

// LoadKeyFile reads the master key file at path. With create set, a missing
// file is made with one fresh key (mode 0600) and created is true. A file
// that others may read or write is refused: the master key protects every
// My Number, and a key file left open is the typical audit finding.
func LoadKeyFile(path string, create bool) (m *MasterKeys, created bool, err error) {
	defer errs.Annotate(&err, "vault: master key file %s", path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && create {
		return createKeyFile(path)
	}
	m, err = readKeyFile(path)
	return m, false, err
}

// createKeyFile makes the key file under the folder's lock, so that two
// processes starting at once on an empty database cannot each write a key
// and have one overwrite the other.
func createKeyFile(path string) (*MasterKeys, bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, errs.Wrap(errs.Unavailable, err, "cannot create folder %s", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if _, err := os.Stat(path); err == nil {
		m, err := readKeyFile(path)
		return m, false, err
	}
	m := &MasterKeys{path: path, versions: map[int][]byte{}}
	if err := m.addVersion(); err != nil {
		return nil, false, errs.Wrap(errs.Unavailable, err, "cannot write")
	}
	return m, true, nil
}

func readKeyFile(path string) (*MasterKeys, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "cannot read")
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, errs.E(errs.Invalid, "permissions are %04o; they must be 0600 or stricter (run: chmod 600 %s)", perm, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "cannot read")
	}
	var kf keyFile
	if err := json.Unmarshal(raw, &kf); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "not a bango key file")
	}
	if kf.Format != keyFileFormat {
		return nil, errs.E(errs.Invalid, "format %q, want %q", kf.Format, keyFileFormat)
	}
	m := &MasterKeys{path: path, versions: map[int][]byte{}}
	for _, e := range kf.Keys {
		k, err := base64.StdEncoding.DecodeString(e.Key)
		if err != nil || len(k) != 32 {
			return nil, errs.E(errs.Invalid, "key version %d is not 32 bytes of base64", e.Version)
		}
		if e.Version <= 0 || m.versions[e.Version] != nil {
			return nil, errs.E(errs.Invalid, "key version %d is invalid or repeated", e.Version)
		}
		m.versions[e.Version] = k
		m.newest = max(m.newest, e.Version)
	}
	if m.newest == 0 {
		return nil, errs.E(errs.Invalid, "holds no key")
	}
	return m, nil
}

// addVersion adds a new newest version and rewrites the file; when it
// returns, the new version is durable. m must not be in use by a Vault yet:
// it changes m in place.
func (m *MasterKeys) addVersion() error {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	old := m.versions
	m.versions = map[int][]byte{}
	for v, key := range old {
		m.versions[v] = key
	}
	m.newest++
	m.versions[m.newest] = k
	if err := m.save(); err != nil {
		m.versions = old
		m.newest--
		return err
	}
	return nil
}

// save writes the file so that it is whole and durable when save returns:
// temporary file, fsync, rename, fsync of the folder. Without the last
// step the rename could be lost to a power cut after the database has
// committed data keys wrapped by the new version, and they would never
// open again.
func (m *MasterKeys) save() error {
	kf := keyFile{Format: keyFileFormat}
	for _, v := range m.Versions() {
		kf.Keys = append(kf.Keys, keyFileEntry{Version: v, Created: time.Now().UTC(), Key: base64.StdEncoding.EncodeToString(m.versions[v])})
	}
	if old, err := os.ReadFile(m.path); err == nil {
		// keep the creation times of versions already on disk
		var prev keyFile
		if json.Unmarshal(old, &prev) == nil {
			created := map[int]time.Time{}
			for _, e := range prev.Keys {
				created[e.Version] = e.Created
			}
			for i, e := range kf.Keys {
				if c, ok := created[e.Version]; ok {
					kf.Keys[i].Created = c
				}
			}
		}
	}
	raw, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(m.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return durable.WriteFile(m.path, append(raw, '\n'), 0o600)
}

func (m *MasterKeys) key(version int) ([]byte, bool) {
	k, ok := m.versions[version]
	return k, ok
}
