// Command ketama prints the memcached server that nutcracker (twemproxy),
// libmemcached, python-memcached or pymemcache would pick for each key read
// from standard input.
//
// Usage:
//
//	ketama -mode twemproxy|libmemcached -hash md5|fnv1a_64 -servers HOST:PORT:WEIGHT,...
//	ketama -mode python-memcached|pymemcache -servers HOST:PORT:WEIGHT,... [-dead HOST:PORT,...]
//
// -mode defaults to twemproxy. -hash defaults to each tool's own default:
// fnv1a_64 in twemproxy mode (nutcracker's default hash), md5 in
// libmemcached mode (the only hash of KETAMA_WEIGHTED).
//
// Keys are read from standard input, one per line: lines are split on "\n"
// only, and every other byte, UTF-8 or not, is part of the key. For each
// line, one line "key<TAB>HOST:PORT" is printed, with the key's bytes as
// read and the server as given in -servers.
//
// -mode twemproxy places keys as nutcracker 0.5 does for a pool with
// "distribution: ketama" and the given hash (any of nutcracker's hashes);
// -mode libmemcached places them as libmemcached does with
// MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, which hashes with md5 only. A server
// may carry nutcracker's name, "HOST:PORT:WEIGHT NAME", in twemproxy mode.
//
// -mode python-memcached places keys as python-memcached 1.59's
// memcache.Client does (buckets repeated by weight, cmemcache_hash, ten
// rehashes past dead servers); -mode pymemcache as pymemcache 3.5.2's
// HashClient does (rendezvous over murmur3_32 of "HOST:PORT-key"), which
// ignores weights. -dead names the servers, as written in -servers, that
// the client treats as down (python-memcached marked them dead, pymemcache
// removed them); empty means none. In these modes a key the client finds
// no server for prints "key<TAB>-". -hash and -dead belong to one kind of
// mode each: -hash is refused in the Python modes, -dead in the others.
//
// Exit status: 0 on success, 2 for bad flags, 1 when reading or writing
// fails.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hakit/hakit/cache"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ketama", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "twemproxy", "whose placement: twemproxy, libmemcached, python-memcached or pymemcache")
	hash := fs.String("hash", "", "key hash: md5 or fnv1a_64 (twemproxy mode also takes nutcracker's other hashes); default fnv1a_64 in twemproxy mode, md5 in libmemcached mode")
	servers := fs.String("servers", "", "comma-separated HOST:PORT:WEIGHT servers, in nutcracker's order")
	dead := fs.String("dead", "", "python-memcached and pymemcache modes: comma-separated HOST:PORT servers the client treats as down")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage was asked for
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ketama: unexpected arguments %q\n", fs.Args())
		return 2
	}
	ring, err := newRing(*mode, *hash, *servers, *dead)
	if err != nil {
		fmt.Fprintf(stderr, "ketama: %v\n", err)
		return 2
	}
	if err := place(ring, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "ketama: %v\n", err)
		return 1
	}
	return 0
}

func newRing(mode, hash, servers, dead string) (*cache.Ring, error) {
	m, err := cache.ParseMode(mode)
	if err != nil {
		return nil, fmt.Errorf("-mode: %w", err)
	}
	if m == cache.ModePythonMemcached || m == cache.ModePymemcache {
		if hash != "" {
			return nil, fmt.Errorf("-hash %q: %v has its own hash", hash, m)
		}
		return pythonRing(m, servers, dead)
	}
	if dead != "" {
		return nil, fmt.Errorf("-dead: only the python-memcached and pymemcache modes take dead servers, not %v", m)
	}
	if hash == "" {
		hash = "fnv1a_64" // nutcracker's default hash (nc_conf.h)
		if m == cache.ModeLibmemcached {
			hash = "md5"
		}
	}
	h, err := cache.ParseHash(hash)
	if err != nil {
		return nil, fmt.Errorf("-hash: %w", err)
	}
	if servers == "" {
		return nil, errors.New("-servers is required")
	}
	list, err := cache.ParseServers(servers)
	if err != nil {
		return nil, fmt.Errorf("-servers: %w", err)
	}
	return cache.NewRing(cache.RingConfig{Servers: list, Mode: m, Hash: h})
}

// pythonRing builds a Ring in a Python mode with the -dead servers down.
func pythonRing(m cache.Mode, servers, dead string) (*cache.Ring, error) {
	if servers == "" {
		return nil, errors.New("-servers is required")
	}
	list, err := cache.ParseServers(servers)
	if err != nil {
		return nil, fmt.Errorf("-servers: %w", err)
	}
	ring, err := cache.NewRing(cache.RingConfig{Servers: list, Mode: m})
	if err != nil {
		return nil, err
	}
	down := map[string]bool{}
	if dead != "" {
		for _, a := range strings.Split(dead, ",") {
			a = strings.TrimSpace(a)
			if !slices.ContainsFunc(list, func(s cache.Server) bool { return s.Addr == a }) {
				return nil, fmt.Errorf("-dead: %q is not one of -servers (want HOST:PORT as written there)", a)
			}
			down[a] = true
		}
	}
	return ring.WithLive(func(i int) bool { return !down[list[i].Addr] }), nil
}

// place copies each line of in to out followed by a tab and its server.
func place(ring *cache.Ring, in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriterSize(out, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			head := bytes.Clone(line)
			var rest []byte
			rest, err = r.ReadBytes('\n')
			line = append(head, rest...)
		}
		if len(line) > 0 {
			key := bytes.TrimSuffix(line, []byte("\n"))
			addr := "-" // the Python clients give up on the key
			s, perr := ring.Pick(key)
			if perr == nil {
				addr = s.Addr
			} else if m := ring.Config().Mode; m != cache.ModePythonMemcached && m != cache.ModePymemcache {
				return perr
			}
			w.Write(key)
			w.WriteByte('\t')
			w.WriteString(addr)
			if werr := w.WriteByte('\n'); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading keys: %w", err)
		}
	}
	return w.Flush()
}
