package testenv

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Memcached returns the four memcached instances of `scripts/services.sh up
// memcached`, "127.0.0.1:11311" to "127.0.0.1:11314", after checking that
// each answers, holding the memcached lock shared for the rest of t; or fails
// t naming `scripts/services.sh up memcached`.
func Memcached(t testing.TB) []string {
	t.Helper()
	share(t, "memcached")
	addrs := memcachedAddrs()
	err := retry(5*time.Second, func() error {
		for _, a := range addrs {
			if _, err := memcacheExchange(a, "version\r\n", "VERSION "); err != nil {
				return fmt.Errorf("memcached %s: %w", a, err)
			}
		}
		return nil
	})
	if err != nil {
		fatalDown(t, "memcached", err)
	}
	return addrs
}

func memcachedAddrs() []string {
	return []string{"127.0.0.1:11311", "127.0.0.1:11312", "127.0.0.1:11313", "127.0.0.1:11314"}
}

// NutcrackerEnv is the twemproxy (nutcracker) of `scripts/services.sh up
// nutcracker`: two pools over the same four memcached, ketama distribution,
// auto_eject_hosts off, one process per pool.
type NutcrackerEnv struct {
	MD5          string   // pool with hash md5: "127.0.0.1:22121"
	FNV1a64      string   // pool with hash fnv1a_64: "127.0.0.1:22122"
	MD5Stats     string   // stats port of the md5 process: "127.0.0.1:22131"
	FNV1a64Stats string   // stats port of the fnv1a_64 process: "127.0.0.1:22132"
	Servers      []string // the pools' servers in config order: Memcached's four addresses
	Weights      []int    // their weights: 1, 2, 3, 4
	// Free ports for a test that starts its own nutcracker (stopped by pid
	// in its cleanup): listen 22123-22124, stats 22133-22134.
	SpareListen, SpareStats []string
}

// Nutcracker returns the nutcracker pools after storing and reading a key
// through each and reading each stats port, holding the nutcracker and
// memcached locks shared for the rest of t; or fails t naming
// `scripts/services.sh up nutcracker`.
func Nutcracker(t testing.TB) NutcrackerEnv {
	t.Helper()
	share(t, "memcached")
	share(t, "nutcracker")
	env := NutcrackerEnv{
		MD5:          "127.0.0.1:22121",
		FNV1a64:      "127.0.0.1:22122",
		MD5Stats:     "127.0.0.1:22131",
		FNV1a64Stats: "127.0.0.1:22132",
		Servers:      memcachedAddrs(),
		Weights:      []int{1, 2, 3, 4},
		SpareListen:  []string{"127.0.0.1:22123", "127.0.0.1:22124"},
		SpareStats:   []string{"127.0.0.1:22133", "127.0.0.1:22134"},
	}
	err := retry(5*time.Second, func() error {
		for _, p := range [][2]string{{env.MD5, env.MD5Stats}, {env.FNV1a64, env.FNV1a64Stats}} {
			if _, err := memcacheExchange(p[0], "set testenv:ready 0 60 2\r\nok\r\n", "STORED"); err != nil {
				return fmt.Errorf("nutcracker %s: %w", p[0], err)
			}
			if _, err := memcacheExchange(p[0], "get testenv:ready\r\n", "VALUE testenv:ready "); err != nil {
				return fmt.Errorf("nutcracker %s: %w", p[0], err)
			}
			if err := nutcrackerStats(p[1]); err != nil {
				return fmt.Errorf("nutcracker stats %s: %w", p[1], err)
			}
		}
		return nil
	})
	if err != nil {
		fatalDown(t, "nutcracker", err)
	}
	return env
}

// memcacheExchange sends req (text protocol) to addr and checks that the
// first reply line starts with want.
func memcacheExchange(addr, req, want string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, want) {
		return line, fmt.Errorf("%q answered %q, want a line starting with %q", strings.TrimSpace(req), strings.TrimSpace(line), want)
	}
	return line, nil
}

// nutcrackerStats reads the JSON nutcracker writes to a stats connection.
func nutcrackerStats(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), `"service":"nutcracker"`) {
		return fmt.Errorf("unexpected stats %.80q", b)
	}
	return nil
}
