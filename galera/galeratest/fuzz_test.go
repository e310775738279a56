package galeratest

import (
	"testing"
)

// FuzzSQL runs arbitrary statements through a fake node's SQL engine: it
// must answer or fail, never panic. Seeds cover each statement form.
func FuzzSQL(f *testing.F) {
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS app",
		"CREATE TABLE app.t (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, n INT AUTO_INCREMENT) ENGINE=InnoDB",
		"INSERT INTO app.t (id, name) VALUES (1, 'a'), (2, 'b\\'c')",
		"UPDATE app.t SET n = n + 1, name = 'x' WHERE id = 1 AND name IN ('a', 'b')",
		"SELECT COUNT(*), MAX(id) FROM app.t WHERE name LIKE 'a%' FOR UPDATE",
		"SELECT * FROM app.t WHERE n IS NOT NULL",
		"DELETE FROM app.t WHERE id >= -1",
		"SHOW GLOBAL STATUS LIKE 'wsrep_%'",
		"SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'wsrep_desync')",
		"SET GLOBAL wsrep_desync = ON, @@session.autocommit = 1",
		"SELECT @@max_allowed_packet, 1, 'x' AS y, DATABASE()",
		"BEGIN", "COMMIT", "ROLLBACK", "/* c */ SELECT 1 -- d",
	} {
		f.Add(q)
	}
	c, err := NewCluster(Config{Nodes: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	f.Fuzz(func(t *testing.T, q string) {
		s := &session{node: c.Node(0)}
		_, _ = s.exec("CREATE DATABASE IF NOT EXISTS app", nil)
		_, _ = s.exec("CREATE TABLE IF NOT EXISTS app.t (id BIGINT PRIMARY KEY, name VARCHAR(20), n INT)", nil)
		_, _ = s.exec(q, []value{intValue(1), stringValue("p")})
		// Whatever the statement did, the node's state stays readable.
		if _, err := s.exec("SHOW GLOBAL STATUS LIKE 'wsrep%'", nil); err != nil {
			t.Fatalf("status after %q: %v", q, err)
		}
		c.Node(0).SetState(nil)
		_, _ = s.exec("SET GLOBAL wsrep_desync=OFF, read_only=OFF, wsrep_reject_queries=NONE", nil)
	})
}

// FuzzPackets feeds client packets to the decoders: no panic, whatever
// the bytes.
func FuzzPackets(f *testing.F) {
	f.Add([]byte{0x8d, 0xa6, 0xff, 0x09, 0, 0, 0, 1, 0x21}, 2)
	f.Add(append(make([]byte, 32), "hakit\x00\x14"+string(make([]byte, 20))+"app\x00mysql_native_password\x00"...), 0)
	f.Add([]byte{0, 1, 0, 0, 0, 0, 1, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8}, 1)
	f.Fuzz(func(t *testing.T, p []byte, nparams int) {
		_, _ = parseHandshakeResponse(p)
		if nparams >= 0 && nparams < 64 {
			_, _ = decodeExecute(&reader{b: p}, nparams)
		}
		r := &reader{b: p}
		_ = r.lenencBytes()
		_ = r.nulString()
	})
}
