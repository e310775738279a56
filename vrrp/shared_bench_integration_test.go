//go:build integration && linux

package vrrp_test

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hakit/hakit/vrrp"
)

// BenchmarkAdvertFanIn measures the receiving side's cost per advert with
// 64 virtual routers on one interface: through one shared socket (each
// advert read once and handed to the router of its VRID), against 64 raw
// links of their own (each advert read by all 64, as before sharing).
// Adverts of VRID 1 go from one namespace to the other in windows of 64,
// each window waited for, so that no socket buffer overflows; the time
// per advert includes the wire. It reports the ratio separate/shared.
func BenchmarkAdvertFanIn(b *testing.B) {
	const routers, window = 64, 64
	lan := newNSLAN(b, 2)
	send, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{Netns: lan.nodes[0].ns, Unicast: true})
	if err != nil {
		b.Fatal(err)
	}
	defer send.Close()
	adv := vrrp.Advert{Version: vrrp.Version3, VRID: 1, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.1")}}
	payload, err := vrrp.AppendAdvert(nil, adv, send.Primary(), vrrp.Group4, vrrp.ChecksumRFC)
	if err != nil {
		b.Fatal(err)
	}
	perAdvert := map[string]float64{}
	for _, mode := range []string{"separate", "shared"} {
		var links []vrrp.Link
		var closers []func() error
		cfg := vrrp.RawLinkConfig{Netns: lan.nodes[1].ns}
		for i := range routers {
			if mode == "shared" {
				l, closeFn, err := vrrp.OpenSharedView("eth0", cfg, uint8(i+1))
				if err != nil {
					b.Fatal(err)
				}
				links, closers = append(links, l), append(closers, closeFn)
				continue
			}
			l, err := vrrp.OpenRawLink("eth0", cfg)
			if err != nil {
				b.Fatal(err)
			}
			links, closers = append(links, l), append(closers, l.Close)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var got atomic.Int64 // adverts of VRID 1 read by its router
		var wg sync.WaitGroup
		for i, l := range links {
			wg.Go(func() {
				for {
					p, err := l.ReadPacket(ctx)
					if err != nil {
						return
					}
					// Every router parses what it reads, as a Router does.
					a, err := vrrp.ParseAdvert(p.Payload, p.IPHeader, vrrp.ChecksumRFC)
					if err == nil && i == 0 && a.VRID == 1 {
						got.Add(1)
					}
				}
			})
		}
		time.Sleep(200 * time.Millisecond) // the group joins
		b.Run(mode, func(b *testing.B) {
			got.Store(0)
			start := time.Now()
			for sent := 0; sent < b.N; {
				n := min(window, b.N-sent)
				for range n {
					if err := send.WritePacket(vrrp.Packet{IPHeader: vrrp.IPHeader{Dst: vrrp.Group4}, Payload: payload}); err != nil {
						b.Fatal(err)
					}
				}
				sent += n
				for deadline := time.Now().Add(5 * time.Second); got.Load() < int64(sent); time.Sleep(50 * time.Microsecond) {
					if time.Now().After(deadline) {
						b.Fatalf("%s: %d of %d adverts arrived", mode, got.Load(), sent)
					}
				}
			}
			perAdvert[mode] = float64(time.Since(start).Nanoseconds()) / float64(b.N)
			if mode == "shared" && perAdvert["separate"] > 0 {
				b.ReportMetric(perAdvert["separate"]/perAdvert["shared"], "separate/shared")
			}
		})
		cancel()
		wg.Wait()
		for _, c := range closers {
			c()
		}
	}
}
