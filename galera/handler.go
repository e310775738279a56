package galera

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hakit/hakit"
)

// The bodies of Percona clustercheck's HTTP answers, byte for byte (its
// script's echo -en lines, Content-Length 40, 57 and 43), which some
// haproxy configurations match with "http-check expect string".
const (
	BodySynced    = "Percona XtraDB Cluster Node is synced.\r\n"
	BodyNotSynced = "Percona XtraDB Cluster Node is not synced or non-PRIM. \r\n"
	BodyReadOnly  = "Percona XtraDB Cluster Node is read-only.\r\n"
)

// ReasonHeader is the response header in which Handler gives the cause of
// a 503 (an UnavailableError's Reason, or the error), which Percona's
// bodies do not say.
const ReasonHeader = "X-Galera-Reason"

// Handler answers HTTP requests the way Percona's clustercheck does behind
// xinetd, so haproxy's "option httpchk" can use it: any request runs
// Checker.Check and gets 200 OK with BodySynced, or 503 Service
// Unavailable with BodyReadOnly when the node is unavailable because of
// read_only, else BodyNotSynced; text/plain with Connection: close. The
// cause of a 503 goes in the ReasonHeader header, never in the body.
//
// A Checker that is not a *galera.Checker works too: any error it returns
// answers 503 with BodyNotSynced.
type Handler struct {
	Checker hakit.Checker
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, body := http.StatusOK, BodySynced
	hd := w.Header()
	if err := h.Checker.Check(r.Context()); err != nil {
		code, body = http.StatusServiceUnavailable, BodyNotSynced
		reason := err.Error()
		var ue *UnavailableError
		if errors.As(err, &ue) {
			reason = ue.Reason
			if ue.Reason == ReasonReadOnly {
				body = BodyReadOnly
			}
		}
		hd.Set(ReasonHeader, strings.Map(headerSafe, reason))
	}
	hd.Set("Content-Type", "text/plain")
	hd.Set("Connection", "close")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// headerSafe drops the control characters a header value must not carry.
func headerSafe(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}
