package cache

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseServers checks that every list ParseServers accepts formats back
// to a list that parses to the same servers, and that rejected input gives a
// *SpecError, never a panic.
func FuzzParseServers(f *testing.F) {
	for _, seed := range []string{
		"127.0.0.1:11211:1",                   // host:port:weight
		"10.0.0.1:11311:3 server1",            // with nutcracker's name
		"a:1:1,b:2:2 bee,c:65535:9",           // a list
		"::1:11311:2",                         // IPv6 without brackets
		"[::1]:11311:2",                       // and with
		"host:11211:0",                        // zero weight
		"host:99999:1",                        // port out of range
		"host:11211:2147483648",               // weight overflows a C int
		"a:1:2147483647,b:1:2147483647,c:1:2", // each weight fits, their total overflows a uint32
		"a:1:1,,b:1:1",                        // empty entry
		"h\xff\xfe:11311:1",                   // non-UTF-8 host
		" a:1:1 , b:1:1 n ",                   // spaces around entries
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		servers, err := ParseServers(in)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalidServer) {
				t.Fatalf("ParseServers(%q) = %v, not a *SpecError", in, err)
			}
			return
		}
		again, err := ParseServers(FormatServers(servers))
		if err != nil {
			t.Fatalf("ParseServers(%q) ok, but its format %q fails: %v", in, FormatServers(servers), err)
		}
		if len(again) != len(servers) {
			t.Fatalf("round trip of %q: %d servers, then %d", in, len(servers), len(again))
		}
		for i := range servers {
			if again[i] != servers[i] {
				t.Fatalf("round trip of %q: server %d %+v became %+v", in, i, servers[i], again[i])
			}
		}
		// nutcracker refuses servers of the same name; nothing else
		// that parses may be refused.
		if _, err := NewRing(RingConfig{Servers: servers}); err != nil && !strings.Contains(err.Error(), "same name") {
			t.Fatalf("NewRing on parsed %q: %v", in, err)
		}
		if _, err := NewRing(RingConfig{Servers: servers, Mode: ModeLibmemcached}); err != nil && !strings.Contains(err.Error(), "no names") {
			t.Fatalf("NewRing(libmemcached) on parsed %q: %v", in, err)
		}
	})
}

// FuzzParseMemcachedStats checks that stats lines that parse format back to
// lines that parse to the same map, and that nothing panics.
func FuzzParseMemcachedStats(f *testing.F) {
	f.Add("STAT pid 1\nSTAT version 1.6.21")    // two plain lines
	f.Add("STAT rusage_user 0.123456\nSTAT x ") // empty value
	f.Add("pid 1")                              // no STAT prefix
	f.Add("STAT \xff\xfe v")                    // non-UTF-8 name
	f.Fuzz(func(t *testing.T, in string) {
		st, err := ParseMemcachedStats(strings.Split(in, "\n"))
		if err != nil {
			if !errors.Is(err, ErrUnhealthy) {
				t.Fatalf("error %v does not wrap ErrUnhealthy", err)
			}
			return
		}
		var lines []string
		for k, v := range st {
			lines = append(lines, "STAT "+k+" "+v)
		}
		again, err := ParseMemcachedStats(lines)
		if err != nil || len(again) != len(st) {
			t.Fatalf("round trip of %q: %v, %v", in, again, err)
		}
		for k, v := range st {
			if again[k] != v {
				t.Fatalf("round trip of %q: %s=%q became %q", in, k, v, again[k])
			}
		}
	})
}

// FuzzParseSentinelEvent checks that every Sentinel message that parses
// formats back (Payload) to a message that parses to the same event, and
// that malformed ones give a *SentinelParseError, never a panic.
func FuzzParseSentinelEvent(f *testing.F) {
	for _, seed := range [][2]string{
		{"+sdown", "master hakit 127.0.0.1 16379"},                                  // a master: no @ part
		{"+sdown", "slave 127.0.0.1:16380 127.0.0.1 16380 @ hakit 127.0.0.1 16379"}, // a replica and its master
		{"+odown", "master hakit 127.0.0.1 16379 #quorum 2/2"},                      // rest after the instance
		{"+switch-master", "hakit 127.0.0.1 16379 127.0.0.1 16380"},                 // name, old ip/port, new ip/port
		{"+switch-master", "hakit ::1 16379 ::1 16380"},                             // IPv6
		{"+failover-end", "master hakit 127.0.0.1 16379"},                           //
		{"+new-epoch", "7"},                                                // not in the instance format
		{"+tilt", "#tilt mode entered"},                                    //
		{"+sdown", "master hakit 127.0.0.1 99999"},                         // port out of range
		{"+switch-master", "hakit 127.0.0.1 16379"},                        // too short
		{"+sdown", "sentinel abc 127.0.0.1 26380 @ hakit 127.0.0.1 16379"}, // a sentinel
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, channel, payload string) {
		ev, err := ParseSentinelEvent(channel, payload)
		if err != nil {
			var pe *SentinelParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseSentinelEvent(%q, %q) = %v, not a *SentinelParseError", channel, payload, err)
			}
			return
		}
		again, err := ParseSentinelEvent(channel, ev.Payload())
		if err != nil {
			t.Fatalf("%q parsed, but its Payload %q does not: %v", payload, ev.Payload(), err)
		}
		if again != ev {
			t.Fatalf("round trip of %q: %+v became %+v", payload, ev, again)
		}
	})
}

// FuzzParseReplication checks that INFO replication text that parses
// rebuilds (field by field) to text that parses to the same fields, and that
// nothing panics.
func FuzzParseReplication(f *testing.F) {
	f.Add("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=16380,state=online,offset=10,lag=0\r\nmaster_repl_offset:10\r\n") // a master and its replica
	f.Add("role:slave\r\nmaster_host:::1\r\nmaster_port:16379\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:0\r\n")                                // a replica, IPv6 master
	f.Add("role:master\nslave0:ip=a,port=x\n")                                                                                                              // bad replica port
	f.Add("role:master\nslave0:ip=a,port=1\nslave0:ip=b,port=2\n")                                                                                          // a duplicate field
	f.Add("no colon")                                                                                                                                       // malformed line
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ParseReplication(in)
		if err != nil {
			return
		}
		var b strings.Builder
		for k, v := range r.Fields {
			b.WriteString(k + ":" + v + "\r\n")
		}
		again, err := ParseReplication(b.String())
		if err != nil {
			t.Fatalf("%q parsed, its fields %q do not: %v", in, b.String(), err)
		}
		if again.Role != r.Role || len(again.Fields) != len(r.Fields) || len(again.Replicas) != len(r.Replicas) || again.MasterReplOffset != r.MasterReplOffset {
			t.Fatalf("round trip of %q: %+v became %+v", in, r, again)
		}
	})
}
