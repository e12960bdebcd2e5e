package sqlstore

import (
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The pure-Go SQLite allocates from modernc.org/memory, which hands out
// small blocks from 64 KiB pages of equal-sized slots and unmaps a page as
// soon as its last slot is freed. A transaction's journal is built from
// such blocks and freed at commit, so without care every transaction maps
// and unmaps pages, and the system calls and page faults cost more than the
// SQL: three quarters of a small write transaction on an in-memory
// database.
//
// reserveHeap keeps pages of every small size class mapped for the life
// of the process, by leaving one slot of each page allocated; their other
// slots are free for SQLite to reuse. It costs about 2 MiB and a few
// milliseconds once per process, and makes small transactions about four
// times faster.
const (
	reservedPagesPerClass = 4   // for classes whose pages hold few slots
	minReservedClass      = 4   // 16-byte slots
	maxReservedClass      = 14  // 16 KiB slots, the largest that share pages
	manySlots             = 200 // one page of this many slots is enough
	allocatorPage         = 64 << 10
	allocatorPageHeader   = 64
	sqliteMallocHeader    = 8 // sqlite3_malloc's size prefix
)

var reserveHeapOnce sync.Once

func reserveHeap() {
	reserveHeapOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		for class := minReservedClass; class <= maxReservedClass; class++ {
			slot := 1 << class
			perPage := (allocatorPage - allocatorPageHeader) / slot
			pages := reservedPagesPerClass
			if perPage >= manySlots {
				pages = 1
			}
			blocks := make([]uintptr, 0, perPage*pages)
			for range cap(blocks) {
				// The largest request that still falls in this class.
				blocks = append(blocks, sqlite3.Xsqlite3_malloc(tls, int32(slot-2*sqliteMallocHeader)))
			}
			kept := map[uintptr]bool{}
			for _, p := range blocks {
				if page := p &^ (allocatorPage - 1); p != 0 && !kept[page] {
					kept[page] = true
					continue
				}
				sqlite3.Xsqlite3_free(tls, p)
			}
		}
	})
}
