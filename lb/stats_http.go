package lb

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// StatsHandler serves HAProxy's stats page for the proxies it is given on
// every request: the HTML page at uri, the CSV at uri+";csv" (HAProxy's
// URL), and, when metrics is not empty, the Prometheus text at metrics.
// Other paths get 404.
func StatsHandler(uri, metrics string, proxies func() []Proxy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if r.URL.RawQuery != "" && strings.HasPrefix(r.URL.RawQuery, ";csv") {
			path += "?" + r.URL.RawQuery
		}
		switch {
		case metrics != "" && path == metrics:
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			WritePrometheus(w, proxies())
		case uri != "" && (path == uri+";csv" || path == strings.TrimSuffix(uri, "/")+"/;csv"):
			w.Header().Set("Content-Type", "text/plain")
			WriteCSV(w, proxies())
		case uri != "" && (path == uri || path == strings.TrimSuffix(uri, "/")+"/"):
			w.Header().Set("Content-Type", "text/html")
			writeHTML(w, proxies())
		default:
			http.NotFound(w, r)
		}
	})
}

// writeHTML writes a page with one table per proxy, the CSV's main columns.
func writeHTML(w http.ResponseWriter, proxies []Proxy) {
	var csv strings.Builder
	WriteCSV(&csv, proxies)
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	cols := []string{"svname", "status", "weight", "act", "bck", "qcur", "qmax", "scur", "smax", "slim", "stot", "econ", "eresp", "wretr", "wredis", "chkfail", "chkdown", "lastchg"}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Statistics Report</title></head><body>\n<h1>Statistics Report</h1>\n")
	cur := ""
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		if f[0] != cur {
			if cur != "" {
				b.WriteString("</table>\n")
			}
			cur = f[0]
			fmt.Fprintf(&b, "<h2>%s</h2>\n<table border=1><tr>", html.EscapeString(cur))
			for _, c := range cols {
				fmt.Fprintf(&b, "<th>%s</th>", c)
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("<tr>")
		for _, c := range cols {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(f[csvIndex[c]]))
		}
		b.WriteString("</tr>\n")
	}
	if cur != "" {
		b.WriteString("</table>\n")
	}
	b.WriteString("</body></html>\n")
	w.Write([]byte(b.String()))
}
