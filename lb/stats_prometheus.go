package lb

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// promMetric is one metric family of HAProxy 2.6's built-in Prometheus
// exporter ("http-request use-service prometheus-exporter").
type promMetric struct {
	name, typ, help string
}

type promSample struct {
	labels string
	value  float64
}

type promWriter struct {
	order   []promMetric
	samples map[string][]promSample
}

func (p *promWriter) add(m promMetric, labels string, v float64) {
	if p.samples == nil {
		p.samples = map[string][]promSample{}
	}
	if _, ok := p.samples[m.name]; !ok {
		p.order = append(p.order, m)
	}
	p.samples[m.name] = append(p.samples[m.name], promSample{labels, v})
}

func (p *promWriter) write(w io.Writer) error {
	var b strings.Builder
	for _, m := range p.order {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, s := range p.samples[m.name] {
			fmt.Fprintf(&b, "%s{%s} %v\n", m.name, s.labels, s.value)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func gauge(name, help string) promMetric   { return promMetric{name, "gauge", help} }
func counter(name, help string) promMetric { return promMetric{name, "counter", help} }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// WritePrometheus writes the proxies' metrics in the Prometheus text format
// with the names and labels of HAProxy 2.6's exporter (haproxy_frontend_*,
// haproxy_backend_*, haproxy_server_* with labels proxy, server, state and
// code), for every value lb keeps, so that dashboards and alerts written
// for HAProxy read lb unchanged.
func WritePrometheus(w io.Writer, proxies []Proxy) error {
	var p promWriter
	now := time.Now()
	codes := []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}
	for _, px := range proxies {
		if px.Frontend == nil && !px.Listen {
			continue
		}
		var st FrontendStats
		if px.Frontend != nil {
			st = px.Frontend.Stats()
		}
		l := fmt.Sprintf(`proxy="%s"`, labelValue(px.Name))
		for _, s := range []string{"DOWN", "UP"} {
			p.add(gauge("haproxy_frontend_status", "Current status of the service."), l+`,state="`+s+`"`, b2f(s == "UP"))
		}
		p.add(gauge("haproxy_frontend_current_sessions", "Number of current sessions on the frontend, backend or server"), l, float64(st.Conns))
		p.add(gauge("haproxy_frontend_max_sessions", "Highest value of current sessions encountered since last reset"), l, float64(st.MaxConns))
		p.add(counter("haproxy_frontend_sessions_total", "Total number of sessions since process started"), l, float64(st.Total))
		p.add(counter("haproxy_frontend_bytes_in_total", "Total number of request bytes since process started"), l, float64(st.BytesIn))
		p.add(counter("haproxy_frontend_bytes_out_total", "Total number of response bytes since process started"), l, float64(st.BytesOut))
		p.add(counter("haproxy_frontend_connections_total", "Total number of new connections accepted after 'tcp-request connection' rules"), l, float64(st.Total))
		if px.Mode == ModeHTTP {
			for i, c := range codes {
				p.add(counter("haproxy_frontend_http_responses_total", "Total number of HTTP responses with status 100-199 returned by this object since process started"), l+`,code="`+c+`"`, float64(st.Responses[i]))
			}
		}
	}
	for _, px := range proxies {
		if px.Backend == nil && !px.Listen {
			continue
		}
		bs := BackendStats{Up: true, LastChange: now}
		if px.Backend != nil {
			bs = px.Backend.Stats()
		}
		l := fmt.Sprintf(`proxy="%s"`, labelValue(px.Name))
		for _, s := range []string{"DOWN", "UP"} {
			p.add(gauge("haproxy_backend_status", "Current status of the service."), l+`,state="`+s+`"`, b2f((s == "UP") == bs.Up))
		}
		var scur, smax, bin, bout, econ, eresp, wretr, wredis int64
		var resp [6]int64
		weight := 0
		for _, s := range bs.Servers {
			scur += s.Conns
			smax = max(smax, s.MaxConns)
			bin += s.BytesIn
			bout += s.BytesOut
			econ += s.ConnectErrors
			eresp += s.ResponseErrors
			wretr += s.Retries
			wredis += s.Redispatches
			for i := range resp {
				resp[i] += s.Responses[i]
			}
			if s.Up && s.Admin == AdminReady && !s.Ejected && (!s.Backup || bs.ActiveUp == 0) {
				weight += s.EffectiveWeight
			}
		}
		p.add(gauge("haproxy_backend_current_queue", "Number of current queued connections"), l, float64(bs.Queued))
		p.add(gauge("haproxy_backend_max_queue", "Highest value of queued connections encountered since process started"), l, float64(bs.QueueMax))
		p.add(gauge("haproxy_backend_current_sessions", "Number of current sessions on the frontend, backend or server"), l, float64(scur))
		p.add(gauge("haproxy_backend_max_sessions", "Highest value of current sessions encountered since last reset"), l, float64(smax))
		p.add(counter("haproxy_backend_sessions_total", "Total number of sessions since process started"), l, float64(bs.Total))
		p.add(counter("haproxy_backend_bytes_in_total", "Total number of request bytes since process started"), l, float64(bin))
		p.add(counter("haproxy_backend_bytes_out_total", "Total number of response bytes since process started"), l, float64(bout))
		p.add(counter("haproxy_backend_connection_errors_total", "Total number of failed connections to server since the worker process started"), l, float64(econ))
		p.add(counter("haproxy_backend_response_errors_total", "Total number of invalid responses since the worker process started"), l, float64(eresp))
		p.add(counter("haproxy_backend_retry_warnings_total", "Total number of server connection retries since the worker process started"), l, float64(wretr))
		p.add(counter("haproxy_backend_redispatch_warnings_total", "Total number of server redispatches due to connection failures since the worker process started"), l, float64(wredis))
		p.add(gauge("haproxy_backend_weight", "Server's effective weight, or sum of active servers' effective weights for a backend"), l, float64(weight))
		p.add(gauge("haproxy_backend_uweight", "Server's user weight, or sum of active servers' user weights for a backend"), l, float64(weight))
		p.add(gauge("haproxy_backend_active_servers", "Total number of active UP servers with a non-zero weight"), l, float64(bs.ActiveUp))
		p.add(gauge("haproxy_backend_backup_servers", "Total number of backup UP servers with a non-zero weight"), l, float64(bs.BackupUp))
		p.add(counter("haproxy_backend_check_up_down_total", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"), l, float64(bs.Downs))
		p.add(gauge("haproxy_backend_check_last_change_seconds", "How long ago the last server state changed, in seconds"), l, float64(int64(now.Sub(bs.LastChange)/time.Second)))
		p.add(counter("haproxy_backend_downtime_seconds_total", "Total time spent in DOWN state, for server or backend"), l, float64(int64(bs.Downtime/time.Second)))
		p.add(counter("haproxy_backend_loadbalanced_total", "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"), l, float64(bs.Total))
		if px.Mode == ModeHTTP {
			for i, c := range codes {
				p.add(counter("haproxy_backend_http_responses_total", "Total number of HTTP responses with status 100-199 returned by this object since process started"), l+`,code="`+c+`"`, float64(resp[i]))
			}
		}
		for _, s := range bs.Servers {
			sl := l + fmt.Sprintf(`,server="%s"`, labelValue(s.Name))
			status := serverStatus(s)
			for _, st := range []string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"} {
				on := strings.HasPrefix(status, st) || (st == "UP" && status == "no check")
				p.add(gauge("haproxy_server_status", "Current status of the service, per state label value."), sl+`,state="`+st+`"`, b2f(on))
			}
			p.add(gauge("haproxy_server_current_queue", "Number of current queued connections"), sl, float64(s.Queued))
			p.add(gauge("haproxy_server_max_queue", "Highest value of queued connections encountered since process started"), sl, float64(s.QueueMax))
			p.add(gauge("haproxy_server_current_sessions", "Number of current sessions on the frontend, backend or server"), sl, float64(s.Conns))
			p.add(gauge("haproxy_server_max_sessions", "Highest value of current sessions encountered since last reset"), sl, float64(s.MaxConns))
			p.add(counter("haproxy_server_sessions_total", "Total number of sessions since process started"), sl, float64(s.Total))
			p.add(counter("haproxy_server_bytes_in_total", "Total number of request bytes since process started"), sl, float64(s.BytesIn))
			p.add(counter("haproxy_server_bytes_out_total", "Total number of response bytes since process started"), sl, float64(s.BytesOut))
			p.add(counter("haproxy_server_connection_errors_total", "Total number of failed connections to server since the worker process started"), sl, float64(s.ConnectErrors))
			p.add(counter("haproxy_server_response_errors_total", "Total number of invalid responses since the worker process started"), sl, float64(s.ResponseErrors))
			p.add(counter("haproxy_server_retry_warnings_total", "Total number of server connection retries since the worker process started"), sl, float64(s.Retries))
			p.add(counter("haproxy_server_redispatch_warnings_total", "Total number of server redispatches due to connection failures since the worker process started"), sl, float64(s.Redispatches))
			p.add(gauge("haproxy_server_weight", "Server's effective weight, or sum of active servers' effective weights for a backend"), sl, float64(s.EffectiveWeight))
			p.add(gauge("haproxy_server_uweight", "Server's user weight, or sum of active servers' user weights for a backend"), sl, float64(s.Weight))
			p.add(counter("haproxy_server_loadbalanced_total", "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"), sl, float64(s.Total))
			p.add(gauge("haproxy_server_check_last_change_seconds", "How long ago the last server state changed, in seconds"), sl, float64(int64(now.Sub(s.LastChange)/time.Second)))
			if s.Checked {
				p.add(counter("haproxy_server_check_failures_total", "Total number of failed individual health checks per server/backend, since the worker process started"), sl, float64(s.CheckFailures))
				p.add(counter("haproxy_server_check_up_down_total", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"), sl, float64(s.Downs))
				p.add(counter("haproxy_server_downtime_seconds_total", "Total time spent in DOWN state, for server or backend"), sl, float64(int64(s.Downtime/time.Second)))
			}
			if px.Mode == ModeHTTP {
				for i, c := range codes {
					p.add(counter("haproxy_server_http_responses_total", "Total number of HTTP responses with status 100-199 returned by this object since process started"), sl+`,code="`+c+`"`, float64(s.Responses[i]))
				}
			}
		}
	}
	return p.write(w)
}
