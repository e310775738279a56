package galeratest

import "testing"

func TestLikeMatch(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"wsrep_%", "wsrep_ready", true},
		{"wsrep_%", "wsrepXready", true},
		{"wsrep\\_%", "wsrepXready", false},
		{"wsrep\\_%", "wsrep_ready", true},
		{"%", "", true},
		{"_", "", false},
		{"a%b%c", "aXXbYYc", true},
		{"a%b%c", "aXXbYY", false},
		{"READ_ONLY", "read_only", true},
		{"%a%a%a%a%a%a%a%a%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	} {
		if got := likeMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("likeMatch(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}
