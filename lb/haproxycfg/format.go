package haproxycfg

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Format writes c as a configuration Parse reads back to the same Config
// (line numbers aside): every value explicit, no defaults section.
func Format(w io.Writer, c *Config) error {
	var b strings.Builder
	if c.MaxConn != 0 {
		fmt.Fprintf(&b, "global\n    maxconn %d\n", c.MaxConn)
	}
	for _, px := range c.Proxies {
		fmt.Fprintf(&b, "\n%s %s\n", px.Kind, quote(px.Name))
		line := func(format string, args ...any) { fmt.Fprintf(&b, "    "+format+"\n", args...) }
		if px.Mode != "" {
			line("mode %s", px.Mode)
		}
		for _, bd := range px.Binds {
			line("bind %s", quote(bd.Addr))
		}
		if px.DefaultBackend != "" {
			line("default_backend %s", quote(px.DefaultBackend))
		}
		if px.MaxConn != 0 {
			line("maxconn %d", px.MaxConn)
		}
		switch {
		case px.Balance == "url_param":
			line("balance url_param %s", quote(px.BalanceArg))
		case px.BalanceArg != "":
			line("balance %s(%s)", px.Balance, quote(px.BalanceArg))
		case px.Balance != "":
			line("balance %s", px.Balance)
		}
		if px.HashType != "" {
			line("hash-type %s", px.HashType)
		}
		if px.BalanceFactor != 0 {
			line("hash-balance-factor %d", px.BalanceFactor)
		}
		for _, t := range []struct {
			name string
			d    time.Duration
		}{{"connect", px.ConnectTimeout}, {"client", px.ClientTimeout}, {"server", px.ServerTimeout}, {"queue", px.QueueTimeout}} {
			if t.d != 0 {
				line("timeout %s %s", t.name, formatTime(t.d))
			}
		}
		if px.Retries != nil {
			line("retries %d", *px.Retries)
		}
		if px.Redispatch {
			line("option redispatch")
		}
		if px.AllBackups {
			line("option allbackups")
		}
		if px.MySQLCheck {
			line("option mysql-check")
		}
		if hc := px.HTTPCheck; hc != nil {
			line("option httpchk %s %s", quote(hc.Method), quote(hc.URI))
			if hc.ExpectStatus != 0 {
				line("http-check expect status %d", hc.ExpectStatus)
			}
		}
		if px.Cookie != "" {
			line("cookie %s insert", quote(px.Cookie))
		}
		if px.StatsEnable {
			line("stats enable")
		}
		if px.StatsURI != "" {
			line("stats uri %s", quote(px.StatsURI))
		}
		if px.Prometheus != "" {
			line("http-request use-service prometheus-exporter if { path %s }", quote(px.Prometheus))
		}
		for _, s := range px.Servers {
			b.WriteString("    " + formatServer(s) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatServer(s Server) string {
	f := []string{"server", quote(s.Name), quote(s.Addr)}
	flag := func(on bool, word string) {
		if on {
			f = append(f, word)
		}
	}
	num := func(n int, word string) {
		if n != 0 {
			f = append(f, word, strconv.Itoa(n))
		}
	}
	dur := func(d time.Duration, word string) {
		if d != 0 {
			f = append(f, word, formatTime(d))
		}
	}
	flag(s.Check, "check")
	flag(s.Backup, "backup")
	flag(s.Disabled, "disabled")
	dur(s.Inter, "inter")
	dur(s.FastInter, "fastinter")
	dur(s.DownInter, "downinter")
	dur(s.SlowStart, "slowstart")
	num(s.Rise, "rise")
	num(s.Fall, "fall")
	num(s.Weight, "weight")
	num(s.MaxConn, "maxconn")
	num(s.Port, "port")
	num(s.ErrorLimit, "error-limit")
	if s.Observe != "" {
		f = append(f, "observe", s.Observe)
	}
	if s.Cookie != "" {
		f = append(f, "cookie", quote(s.Cookie))
	}
	if s.OnError != "" {
		f = append(f, "on-error", s.OnError)
	}
	flag(s.ShutdownOnDown, "on-marked-down shutdown-sessions")
	flag(s.ShutdownBackupOnUp, "on-marked-up shutdown-backup-sessions")
	return strings.Join(f, " ")
}

// formatTime writes d in the largest unit that holds it exactly.
func formatTime(d time.Duration) string {
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
}

// quote writes a word so that split reads it back: quoted when it holds a
// blank, quote, backslash or '#', or is empty.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\r\"'\\#") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(" \t\r\"'\\#", s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	if b.Len() == 0 {
		return `""`
	}
	return b.String()
}
