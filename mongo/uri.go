package mongo

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ReplicaSetName returns the replica set a connection string names with
// its replicaSet option, for code that must not run against a standalone
// server: a URI without one gives an error wrapping ErrNoReplicaSet, and
// one that is not a mongodb:// or mongodb+srv:// URI an error saying what
// is wrong with it. It does no I/O (a mongodb+srv:// URI's TXT record,
// which may also name the set, is not looked up). Errors never repeat the
// password.
func ReplicaSetName(uri string) (string, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "", errors.New("mongo: URI has no scheme; want mongodb:// or mongodb+srv://")
	}
	if scheme != "mongodb" && scheme != "mongodb+srv" {
		return "", fmt.Errorf("mongo: URI scheme %q; want mongodb or mongodb+srv", scheme)
	}
	// Hosts may be a comma-separated list, which net/url does not take:
	// split off the options by hand.
	hosts, query, _ := strings.Cut(rest, "?")
	if at := strings.LastIndex(hosts, "@"); at >= 0 {
		hosts = hosts[at+1:]
	}
	hosts, _, _ = strings.Cut(hosts, "/")
	if hosts == "" {
		return "", errors.New("mongo: URI names no host")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("mongo: URI options: %w", err)
	}
	get := func(k string) string {
		for key, v := range q {
			if strings.EqualFold(key, k) && len(v) > 0 {
				return v[len(v)-1]
			}
		}
		return ""
	}
	if strings.EqualFold(get("loadBalanced"), "true") {
		return "", fmt.Errorf("%w: URI sets loadBalanced=true", ErrNoReplicaSet)
	}
	name := get("replicaSet")
	if name == "" {
		return "", fmt.Errorf("%w: URI for %s has no replicaSet= option", ErrNoReplicaSet, hosts)
	}
	return name, nil
}
