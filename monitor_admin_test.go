package hakit_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// Administrative states as HAProxy 2.6 applies and shows them ("set server
// ... state ready|drain|maint"): MAINT zeroes health and stops the checks,
// leaving it restarts at "UP 1/3"; DRAIN keeps checking and shows "DRAIN",
// "DRAIN 2/3" while going down, "DOWN" once down, as
// TestMonitorMatchesHAProxyAdmin (integration) checks against haproxy.
func TestMonitorAdminStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		var changes []string
		m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk, InitState: hakit.InitStateFullyUp,
			OnChange: func(prev, cur hakit.Status) { changes = append(changes, cur.String()) }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go m.Run(ctx)
		synctest.Wait()
		var trail []string
		step := func(admin hakit.AdminState, checkErr error) {
			t.Helper()
			if err := m.SetAdmin(admin); err != nil {
				t.Fatal(err)
			}
			chk.Set(checkErr)
			time.Sleep(2 * time.Second) // one check at inter
			synctest.Wait()
			trail = append(trail, m.Status().String())
			if admin == hakit.AdminMaint && m.Up() {
				t.Errorf("Up() true in maintenance")
			}
		}
		step(hakit.AdminDrain, nil)     // DRAIN
		step(hakit.AdminDrain, errDown) // DRAIN 2/3
		step(hakit.AdminReady, nil)     // UP
		calls := chk.Calls()
		step(hakit.AdminMaint, nil) // MAINT, no check
		step(hakit.AdminMaint, nil) // MAINT, no check
		if got := chk.Calls(); got != calls {
			t.Errorf("%d checks in maintenance, want none", got-calls)
		}
		if err := m.SetAdmin(hakit.AdminReady); err != nil {
			t.Fatal(err)
		}
		trail = append(trail, m.Status().String()) // UP 1/3: health = rise
		step(hakit.AdminReady, nil)                // UP
		step(hakit.AdminDrain, errDown)            // DRAIN 2/3
		step(hakit.AdminDrain, errDown)            // DRAIN 1/3
		step(hakit.AdminDrain, errDown)            // DOWN
		want := "DRAIN,DRAIN 2/3,UP,MAINT,MAINT,UP 1/3,UP,DRAIN 2/3,DRAIN 1/3,DOWN"
		if got := strings.Join(trail, ","); got != want {
			t.Fatalf("admin trail:\n got %s\nwant %s", got, want)
		}
		if !strings.Contains(strings.Join(changes, ","), "UP,MAINT,UP 1/3") {
			t.Errorf("OnChange saw %v, want the MAINT changes among them", changes)
		}
		if err := m.SetAdmin(7); err == nil {
			t.Error("SetAdmin(7) accepted")
		}
	})
}
