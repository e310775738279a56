package vrrp_test

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// warns returns the attributes of the Warn records whose message is msg,
// as strings.
func (h *logRecorder) warns(msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.recs {
		if r.Level != slog.LevelWarn || r.Message != msg {
			continue
		}
		m := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			m[a.Key] = a.Value.String()
			return true
		})
		out = append(out, m)
	}
	return out
}

const misconfigMsg = "vrrp: dropped advert: the peer is configured differently"

// An advert dropped for a cause in the peer's configuration is a silent
// split brain unless someone says so: the first drop from each peer is
// logged at Warn with the cause and the peer, then at most one a minute
// per peer; every drop is still counted, and damaged packets stay at
// Debug.
func TestMisconfiguredPeerIsWarnedOncePerMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		hb := lan.AddHost("b", ipB)
		logs := &logRecorder{}
		rb, _ := newRouter(t, hb, func(c *vrrp.Config) { c.Priority = 200; c.Logger = slog.New(logs) })
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(100 * time.Millisecond)

		v3 := vrrp.Advert{Version: vrrp.Version3, VRID: 1, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{vip4.Addr()}}
		routed := advertFromC(t, v3, vrrp.Group4) // arrives with TTL 64: a routed segment
		for range 3 {
			lan.Inject(ipC, vrrp.Group4, 64, routed)
		}
		ipD := netip.MustParseAddr("192.0.2.4")
		other := v3
		other.Addrs = []netip.Addr{netip.MustParseAddr("192.0.2.101")}
		otherList, err := vrrp.AppendAdvert(nil, other, ipD, vrrp.Group4, vrrp.ChecksumRFC)
		if err != nil {
			t.Fatal(err)
		}
		lan.Inject(ipD, vrrp.Group4, 255, otherList)
		damaged := advertFromC(t, v3, vrrp.Group4)
		damaged[0] = 0x32 // type 2: damaged, not misconfigured
		lan.Inject(netip.MustParseAddr("192.0.2.5"), vrrp.Group4, 255, damaged)
		time.Sleep(time.Second)
		synctest.Wait()

		w := logs.warns(misconfigMsg)
		if len(w) != 2 {
			t.Fatalf("%d Warn logs, want 2 (first from C, first from D): %v", len(w), w)
		}
		if w[0]["peer"] != ipC.String() || w[0]["cause"] != "TTL" || w[1]["peer"] != ipD.String() || w[1]["cause"] != "Addrs" {
			t.Errorf("Warn logs %v, want C for TTL then D for Addrs", w)
		}
		if s := rb.Stats(); s.TTLErrors != 3 || s.AddressListErrors != 1 || s.TypeErrors != 1 {
			t.Errorf("TTL %d AddressList %d Type %d errors, want 3 1 1", s.TTLErrors, s.AddressListErrors, s.TypeErrors)
		}

		// Within the minute, C's drops are counted but not warned again.
		time.Sleep(50 * time.Second)
		lan.Inject(ipC, vrrp.Group4, 64, routed)
		synctest.Wait()
		if n := len(logs.warns(misconfigMsg)); n != 2 {
			t.Errorf("%d Warn logs 50s after the first, want still 2", n)
		}
		// A minute after the first, the next one is warned, with the
		// count of those that were not.
		time.Sleep(11 * time.Second)
		lan.Inject(ipC, vrrp.Group4, 64, routed)
		synctest.Wait()
		w = logs.warns(misconfigMsg)
		if len(w) != 3 || w[2]["peer"] != ipC.String() || w[2]["suppressed"] != "3" {
			t.Errorf("Warn logs %v, want a third for C with suppressed 3", w)
		}
		if s := rb.Stats(); s.TTLErrors != 5 {
			t.Errorf("TTLErrors %d, want 5", s.TTLErrors)
		}
	})
}
