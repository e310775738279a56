package galera

import (
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// ParseDSN parses a go-sql-driver DSN. Its error quotes the DSN with the
// password masked, so that it can be logged.
func ParseDSN(dsn string) (*mysql.Config, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("galera: malformed DSN %q: %w", RedactDSN(dsn), err)
	}
	return c, nil
}

// RedactDSN returns dsn with the password between the first ':' of the
// user part and the last '@' replaced by "***".
func RedactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return dsn
	}
	colon := strings.Index(dsn[:at], ":")
	if colon < 0 {
		return dsn
	}
	return dsn[:colon+1] + "***" + dsn[at:]
}
