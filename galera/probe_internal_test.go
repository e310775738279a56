package galera

import (
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Probes must not wait for causality checks: a global wsrep_sync_wait
// that covers SHOW (bit 8) would make the status query stall with the
// cluster during an eviction, and a healthy node would fail its probe.
func TestProbeConfigDisablesSyncWait(t *testing.T) {
	c := mysql.NewConfig()
	c.Addr = "127.0.0.1:3306"
	c.Params = map[string]string{"wsrep_sync_wait": "15", "autocommit": "0"}
	p := probeConfig(c, time.Second)
	if p.Params["wsrep_sync_wait"] != "0" || len(p.Params) != 1 {
		t.Fatalf("probe params %v, want only wsrep_sync_wait=0", p.Params)
	}
	if c.Params["wsrep_sync_wait"] != "15" {
		t.Fatal("probeConfig changed the caller's config")
	}
	if _, err := mysql.NewConnector(p); err != nil {
		t.Fatal(err)
	}
}
