package store

import (
	"fmt"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite drops a connection's whole page cache whenever another
// connection has committed, and the pages are then freed one by one. With
// the driver's allocator each free and each new page can be a system
// call on the process's memory map, so with a few searches running while
// the audit events of others commit, every search paid for the others'
// page churn (4 ms of CPU a search alone, 14–16 ms with two to four at
// once: issue 14 I). Pages taken from one buffer set aside at start
// (SQLITE_CONFIG_PAGECACHE) are recycled inside SQLite instead; a page
// that does not fit in it falls back to the allocator.

const (
	pageCacheSlotBytes = 4096 + 1024 // a 4 KiB page and SQLite's header for it
	pageCacheSlots     = 16384       // 80 MiB, shared by every connection
)

func init() {
	if err := configurePageCache(); err != nil {
		panic(err)
	}
}

func configurePageCache() error {
	tls := libc.NewTLS()
	defer tls.Close()
	// Outside the Go heap: SQLite keeps pointers into it for the life of
	// the process.
	buf := libc.Xmalloc(tls, types.Size_t(pageCacheSlotBytes*pageCacheSlots))
	va := libc.Xmalloc(tls, types.Size_t(3*unsafe.Sizeof(uintptr(0))))
	if buf == 0 || va == 0 {
		return fmt.Errorf("store: no memory for SQLite's page cache")
	}
	defer libc.Xfree(tls, va)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PAGECACHE, libc.VaList(va, buf, int32(pageCacheSlotBytes), int32(pageCacheSlots))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("store: SQLite page cache not configured (code %d)", rc)
	}
	return nil
}

// pageCacheSlotsUsed is how many of the buffer's slots SQLite holds now.
func pageCacheSlotsUsed() (int64, error) {
	tls := libc.NewTLS()
	defer tls.Close()
	cur, high := new(int64), new(int64) // on the heap, which does not move
	if rc := sqlite3.Xsqlite3_status64(tls, sqlite3.SQLITE_STATUS_PAGECACHE_USED, uintptr(unsafe.Pointer(cur)), uintptr(unsafe.Pointer(high)), 0); rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("store: sqlite3_status64 returned %d", rc)
	}
	return *cur, nil
}
