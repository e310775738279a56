package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestElectBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-backend", "etcd", "-addr", "x", "-name", "n", "-id", "a"}, 1, `unknown -backend "etcd"`},
		{[]string{"-backend", "nope"}, 1, `unknown -backend "nope"`},
		{[]string{"-backend", "mongo", "-addr", "127.0.0.1:27117", "-name", "n", "-id", "a"}, 1, `-addr "127.0.0.1:27117" is not a mongodb:// or mongodb+srv:// URI`},
		{[]string{"-lease", "soon"}, 2, `invalid value "soon" for flag -lease`},
		{[]string{"-h"}, 0, "-backend"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(errOut.String(), tt.want) || out.Len() != 0 {
			t.Errorf("elect %v: exit %d, stderr %q, stdout %q; want exit %d and stderr naming %q", tt.args, code, errOut.String(), out.String(), tt.code, tt.want)
		}
	}
}
