package portfolio

import (
	"strconv"
	"strings"
)

// sqliteDSN is the driver's name for the SQLite store at location, with
// the settings Open describes and pragmas; immutable opens it read-only,
// without locks or the shared-memory index (readonly.go).
func sqliteDSN(location string, pageSize int, pragmas [][2]string, immutable bool) string {
	dsn := "file:" + uriPath(location) + "?_txlock=immediate&_pragma=busy_timeout(60000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(" + strconv.Itoa(walCheckpointBytes/pageSize) + ")"
	for _, p := range pragmas {
		dsn += "&_pragma=" + p[0] + "(" + p[1] + ")"
	}
	if immutable {
		dsn += "&mode=ro&immutable=1"
	}
	return dsn
}

// uriPath escapes a file path for an SQLite "file:" URI, where ?, # and %
// would otherwise end the path or be decoded.
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// readingPragmas are the settings of every connection to an SQLite store
// that bear on reading it, the driver's and where's own alike: the page
// cache, temporary data in files and, for a store opened to be read, the
// memory map.
func readingPragmas(reading bool) [][2]string {
	cacheKiB := writingCacheKiB
	if reading {
		cacheKiB = readingCacheKiB
	}
	p := [][2]string{{"cache_size", "-" + strconv.Itoa(cacheKiB)}, {"temp_store", "FILE"}}
	if reading {
		p = append(p, [2]string{"mmap_size", strconv.FormatInt(mmapLimit, 10)})
	}
	return p
}
