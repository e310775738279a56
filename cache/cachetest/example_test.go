package cachetest_test

import (
	"fmt"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit/cache/cachetest"
)

// gomemcache talks to a Server as to memcached; SetDown makes it refuse,
// and its items survive the outage.
func ExampleServer() {
	s := cachetest.NewServer()
	defer s.Close()
	c := memcache.New(s.Addr)
	fmt.Println(c.Set(&memcache.Item{Key: "user:1", Value: []byte("alice")}))
	s.SetDown(true)
	_, err := c.Get("user:1")
	fmt.Println("down:", err != nil)
	s.SetDown(false)
	it, err := c.Get("user:1")
	fmt.Println(string(it.Value), err)
	fmt.Println("sets:", s.Stats().Sets)
	// Output:
	// <nil>
	// down: true
	// alice <nil>
	// sets: 1
}
