package testenv

import (
	"testing"
	"time"
)

// FerretDB returns the MongoDB connection URI, "mongodb://127.0.0.1:27117/",
// of `scripts/services.sh up ferretdb` (FerretDB 1.24 embedded with its
// SQLite backend: a single server, so no replica set, no
// replSetGetStatus, no transactions), after checking that it answers ping,
// holding the ferretdb lock shared for the rest of t; or fails t naming
// `scripts/services.sh up ferretdb`.
func FerretDB(t testing.TB) string {
	t.Helper()
	share(t, "ferretdb")
	const addr = "127.0.0.1:27117"
	if err := retry(10*time.Second, func() error { return mongoPing(addr) }); err != nil {
		fatalDown(t, "ferretdb", err)
	}
	return "mongodb://" + addr + "/"
}
