package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Lines each scene's story cannot be told without, by scene index.
var sceneMust = [][]string{
	{"node-a leads with fencing token 1", "leads with fencing token 2", "a late write from node-a with token 1 arrives: rejected"},
	{"db is UP 2/3", "db is DOWN;", "db is DOWN 1/2", "db is UP;"},
	{" ejected: user:1 now goes to ", " serves user:1 again", "node-b takes it with token"},
	{"router: writer node1 -> node2", "write 5 refused with ErrNoWriter", "router: writer none -> node3", "5 acknowledged rows, none lost"},
	{"AvailabilityZoneFilter removed", "instance 1 -> compute1", "no valid host was found"},
	{"a: BACKUP -> MASTER (master down)", "b: BACKUP -> MASTER (master down)", "a: BACKUP -> MASTER (preempted lower priority master)", "b: BACKUP -> MASTER (master sent priority 0)"},
	{"compute3's watchdog fires", "evacuation refused: fencing outcome unknown", "level 2 pdu-b off compute3: ok", "compute3 fenced by level 2 [pdu-a pdu-b]", "evacuating the instances of compute3"},
	{"member-2: mongo: member not usable", "driver: primary member-0 -> none", "driver: primary none -> member-1", "member-1 sees: mongo: majority not writable"},
	{"connection: web3 web2 web3 web1 web3 web2 (HAProxy's roundrobin order)", "health check: web3 is DOWN", "2 requests: sorry sorry (only the backup is left)", "2 requests: web3 web3 (an active server is back"},
	{"node1 is killed", "client: connected to node2", "client: connection blocked", "connected to node3", "20 distinct orders received"},
}

// Every scene of the tour runs to the end on the fakes and tells its
// story on a timeline.
func TestTourScenes(t *testing.T) {
	if len(sceneMust) != len(scenes) {
		t.Fatalf("%d scenes, %d lists of required lines", len(scenes), len(sceneMust))
	}
	for i, s := range scenes {
		t.Run(s.title, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var out bytes.Buffer
			if err := s.run(ctx, &out); err != nil {
				t.Fatalf("scene failed: %v\n%s", err, out.String())
			}
			for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				if !strings.HasPrefix(line, "[") {
					t.Errorf("line outside the timeline: %q", line)
				}
			}
			for _, want := range sceneMust[i] {
				if !strings.Contains(out.String(), want) {
					t.Errorf("no %q in the scene:\n%s", want, out.String())
				}
			}
		})
	}
}
