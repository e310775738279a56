package galera

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	if _, err := ParseDSN("hakit:s3cret@tcp(127.0.0.1:13301)/app"); err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{
		"hakit:s3cret@tcp(127.0.0.1:13301/app", // address not terminated
		"hakit:s3cret@tcp(127.0.0.1:13301)",    // no slash before the database
		"hakit:s3cret@tcp(127.0.0.1:13301)/app?timeout=soon",
	} {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Errorf("ParseDSN(%q) accepted", dsn)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "s3cret") || !strings.Contains(msg, "hakit:***@tcp(127.0.0.1:13301") {
			t.Errorf("ParseDSN(%q): %q should quote the DSN with the password masked", dsn, msg)
		}
	}
}
