package galera

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hakit/hakit"
)

// Handler answers HTTP requests the way Percona's clustercheck does behind
// xinetd, so haproxy's "option httpchk" can use it: any request runs
// Checker.Check and gets 200 OK with "Galera Cluster Node is synced." or
// 503 Service Unavailable with the reason (clustercheck's sentences for the
// cases it knows: "... is not synced.", "... is read-only."), as
// text/plain with Connection: close.
//
// A Checker that is not a *galera.Checker works too: any error it returns
// answers 503 with ReasonNotSynced, unless it is an *UnavailableError.
type Handler struct {
	Checker hakit.Checker
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, body := http.StatusOK, ReasonSynced
	if err := h.Checker.Check(r.Context()); err != nil {
		code, body = http.StatusServiceUnavailable, ReasonNotSynced
		var ue *UnavailableError
		if errors.As(err, &ue) {
			body = ue.Reason
		}
	}
	body += "\r\n"
	hd := w.Header()
	hd.Set("Content-Type", "text/plain")
	hd.Set("Connection", "close")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}
