package spool

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// R-LNK-1: a spooled file is on disk only sealed, reads back whole as
// often as asked, and is overwritten and removed by Destroy.
func TestSpoolSealsReadsBackAndDestroys(t *testing.T) {
	dir := t.TempDir()
	plain := bytes.Repeat([]byte("123456789018,山田　太郎,東京都新宿区西新宿二丁目8番1号\n"), 5000)
	sp, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sp.Fill(bytes.NewReader(plain)); err != nil || n != int64(len(plain)) || sp.Size() != n {
		t.Fatalf("fill: %d, %v", n, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("the spool is %d files", len(files))
	}
	onDisk, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != len(plain) || bytes.Contains(onDisk, []byte("123456789018")) || bytes.Contains(onDisk, []byte("山田")) {
		t.Fatalf("the disk holds the file's plaintext (%d bytes)", len(onDisk))
	}
	for range 2 {
		r, err := sp.Open()
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("read back %d bytes, %v", len(back), err)
		}
	}
	if n := sp.Destroy(); n != int64(len(plain)) {
		t.Fatalf("destroy overwrote %d bytes", n)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the spool left %d files", len(left))
	}
}
