package fence_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/fence"
)

// bmc is one node's power controller in a simulated two-node cluster. A
// run takes login time, then commits: from then on the command is on the
// wire and lands after transit even if the node that sent it dies. A node
// that is off runs nothing more (its context is cancelled), so it can
// only fence its peer if it commits before its peer's command lands.
type bmc struct {
	w       *world
	node    string
	login   time.Duration
	transit time.Duration
}

type world struct {
	mu     sync.Mutex
	off    map[string]bool
	cancel map[string]context.CancelFunc
	ctx    map[string]context.Context
}

func (b *bmc) Run(ctx context.Context, a fence.Action, opts fence.Options) (fence.Result, error) {
	res := fence.Result{Action: a}
	select {
	case <-time.After(b.login):
	case <-ctx.Done():
		return res, fmt.Errorf("%w: %v", fence.ErrFailed, ctx.Err())
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w: sender died before sending", fence.ErrFailed)
	}
	time.Sleep(b.transit)
	b.w.mu.Lock()
	b.w.off[b.node] = true
	cancel := b.w.cancel[b.node]
	b.w.mu.Unlock()
	cancel() // the node is off: everything it runs stops
	return res, nil
}

// race splits a two-node cluster: each node fences the other at the same
// instant, through the other's BMC, with per-device delays. It returns the
// nodes that ended up off.
func race(t *testing.T, rng *rand.Rand, delayA, delayB time.Duration) []string {
	return raceMax(t, rng, delayA, delayB, 0)
}

// raceMax is race with pcmk_delay_max on both devices.
func raceMax(t *testing.T, rng *rand.Rand, delayA, delayB, delayMax time.Duration) []string {
	w := &world{off: map[string]bool{}, cancel: map[string]context.CancelFunc{}, ctx: map[string]context.Context{}}
	for _, n := range []string{"a", "b"} {
		w.ctx[n], w.cancel[n] = context.WithCancel(context.Background())
	}
	lat := func() time.Duration { return time.Duration(rng.Int64N(int64(2 * time.Second))) }
	devices := []fence.Device{
		// The device that fences a carries a's delay: b waits before
		// shooting a.
		{Name: "bmc-a", Agent: &bmc{w: w, node: "a", login: lat(), transit: lat()}, HostList: []string{"a"}, DelayBase: delayA, DelayMax: delayMax, Retries: -1},
		{Name: "bmc-b", Agent: &bmc{w: w, node: "b", login: lat(), transit: lat()}, HostList: []string{"b"}, DelayBase: delayB, DelayMax: delayMax, Retries: -1},
	}
	var wg sync.WaitGroup
	for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
		f := newFencer(t, fence.Config{Devices: devices})
		self, peer := pair[0], pair[1]
		wg.Go(func() { f.Fence(w.ctx[self], peer, fence.ActionOff) })
	}
	wg.Wait()
	var off []string
	for _, n := range []string{"a", "b"} {
		if w.off[n] {
			off = append(off, n)
		}
	}
	return off
}

// Two nodes that lose each other fence each other at the same instant.
// With pcmk_delay_base on one node's device longer than a fencing takes
// (login + transit < 4 s here), exactly one node survives, whatever the
// latencies; without delays the same simulation does shoot both, so the
// model can show the failure the delay prevents.
func TestTwoNodeRaceDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 500 {
			if off := race(t, rng, 5*time.Second, 0); len(off) != 1 {
				t.Fatalf("run %d with a 5s delay on a's device: %v off", i, off)
			}
		}
		both := 0
		for range 200 {
			if off := race(t, rng, 0, 0); len(off) == 2 {
				both++
			}
		}
		if both == 0 {
			t.Fatal("without delays no run shot both nodes: the simulation cannot show mutual fencing")
		}
		t.Logf("without delays %d of 200 races fenced both nodes", both)
		// A random pcmk_delay_max of 5s on both sides alone only makes the
		// mutual kill less likely: when the two draws fall within one
		// fencing time of each other, both nodes still go down. (Both
		// bounds fail only with negligible probability over 200 races.)
		bothRandom := 0
		for range 200 {
			if off := raceMax(t, rng, 0, 0, 5*time.Second); len(off) == 2 {
				bothRandom++
			}
		}
		t.Logf("with pcmk_delay_max 5s on both, %d of 200 races fenced both nodes", bothRandom)
		if bothRandom == 0 || bothRandom >= both {
			t.Errorf("random delays: %d mutual kills of 200, without delays %d", bothRandom, both)
		}
	})
}
