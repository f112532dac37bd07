package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// R-LNK-1, R-STO-1: a file uploaded through a page (here a registry file
// of 48 MiB, over net/http's 32 MiB kept in memory) reaches the disk only
// sealed while it is being imported, and nothing of it is left afterwards.
// The body is held open before its end so that the server has taken in
// the file's bytes but not finished the request: a plaintext temporary
// file (ParseMultipartForm's) would be on the disk now, and is looked for.
func TestUploadReachesTheDiskOnlySealed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		tmp := t.TempDir() // the fixture's own files are elsewhere
		t.Setenv("TMPDIR", tmp)
		clerk, csrf := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		marker := []byte("987654321098")
		line := append(append([]byte("131041,10000000009,"), marker...), []byte(",国保　秘密,コクホ　ヒミツ,19700101,1,東京都新宿区西新宿二丁目８番１号\r\n")...)
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		sent, resume := make(chan struct{}), make(chan struct{})
		go func() {
			mw.WriteField("csrf", csrf)
			mw.WriteField("business", "nhi")
			fw, _ := mw.CreateFormFile("file", "BIG.CSV")
			for n := 0; n < 48<<20; n += len(line) {
				if _, err := fw.Write(line); err != nil {
					pw.CloseWithError(err)
					close(sent)
					return
				}
			}
			close(sent)
			<-resume
			mw.Close()
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", f.srv.URL+"/numbersetup/imports", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		answered := make(chan *http.Response, 1)
		go func() {
			res, err := clerk.Do(req)
			if err != nil {
				t.Error(err)
			}
			answered <- res
		}()
		<-sent
		// What is on the disk while the request is open.
		deadline := time.Now().Add(10 * time.Second)
		var files []string
		for len(files) == 0 && time.Now().Before(deadline) {
			files, _ = filepath.Glob(filepath.Join(tmp, "*"))
			time.Sleep(20 * time.Millisecond)
		}
		if len(files) == 0 {
			t.Fatal("nothing of the upload reached the disk: the test no longer looks where the file is kept")
		}
		var held int64
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				continue // removed meanwhile
			}
			held += int64(len(b))
			if bytes.Contains(b, marker) || bytes.Contains(b, []byte("国保　秘密")) {
				t.Errorf("%s holds the uploaded file's plaintext", filepath.Base(name))
			}
			if !strings.HasPrefix(filepath.Base(name), "bango-spool-") {
				t.Errorf("%s: a file on the disk that is not a sealed spool", filepath.Base(name))
			}
		}
		if held < 32<<20 {
			t.Errorf("the spool held %d bytes when the file was sent", held)
		}
		close(resume)
		res := <-answered
		if res == nil {
			return
		}
		page := body(t, res)
		if res.StatusCode >= 500 {
			t.Fatalf("upload: %d\n%s", res.StatusCode, page)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("after the request %d files are left in the temporary directory", len(left))
		}
	})
}
