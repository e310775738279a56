package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Bad flags exit 2 with a message naming the flag; nothing is dialled.
func TestBadFlags(t *testing.T) {
	base := []string{"-urls", "amqp://u:p@127.0.0.1:1/", "-queue", "q", "-count", "3", "-confirmed", "c", "-received", "r"}
	with := func(kv ...string) []string {
		args := append([]string(nil), base...)
		for i := 0; i < len(kv); i += 2 {
			found := false
			for j := 0; j < len(args); j += 2 {
				if args[j] == kv[i] {
					args[j+1], found = kv[i+1], true
				}
			}
			if !found {
				args = append(args, kv[i], kv[i+1])
			}
		}
		return args
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{with("-urls", ""), "-urls is required"},
		{with("-urls", "http://u:secret@h:1/"), "-urls: http://u:xxxxx@h:1/"},
		{with("-queue", ""), "-queue is required"},
		{with("-count", "0"), "-count 0 must be positive"},
		{with("-rate", "-1"), "-rate -1"},
		{with("-confirmed", ""), "-confirmed is required"},
		{with("-received", ""), "-received is required"},
		{with("-timeout", "0s"), "-timeout 0s"},
		{append(with(), "extra"), `unexpected argument "extra"`},
		{with("-bogus", "1"), "-bogus"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 2 and %q", c.args, code, stderr.String(), stdout.String(), c.want)
		}
		if strings.Contains(stderr.String(), "secret") {
			t.Errorf("%v: stderr shows the password: %q", c.args, stderr.String())
		}
	}
}

// With no node reachable (a closed loopback port), amqp-load exits 1 at
// -timeout and prints the summary line alone, all zero.
func TestTimeoutExitsOne(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-urls", "amqp://u:secret@127.0.0.1:1/", "-queue", "q", "-count", "3",
		"-confirmed", dir + "/c", "-received", dir + "/r", "-timeout", "500ms"}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	want := `{"published":0,"confirmed":0,"received_unique":0,"duplicates":0,"reconnects":0}` + "\n"
	if code != 1 || stdout.String() != want {
		t.Errorf("exit %d, stdout %q; want 1 and %q", code, stdout.String(), want)
	}
	if strings.Contains(stderr.String(), "secret") {
		t.Errorf("stderr shows the password: %q", stderr.String())
	}
}
