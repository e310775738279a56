package lb

import (
	"io"
	"strconv"
	"strings"
	"time"
)

// csvHeader is the first line of HAProxy 2.6's "show stat" and ";csv"
// output, columns in order (HAProxy's management guide, section 9.1, plus
// the columns of its stats modules).
const csvHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,"

var csvColumns = strings.Split(strings.TrimSuffix(strings.TrimPrefix(csvHeader, "# "), ","), ",")

var csvIndex = func() map[string]int {
	m := make(map[string]int, len(csvColumns))
	for i, c := range csvColumns {
		m[c] = i
	}
	return m
}()

// CSVColumns returns the column names of HAProxy 2.6's CSV stats.
func CSVColumns() []string { return append([]string(nil), csvColumns...) }

// Proxy is one HAProxy proxy as the stats show it: a frontend, a backend,
// or both (a "listen" section). A stats-only listen has neither and
// shows FRONTEND and BACKEND rows without servers, as HAProxy does.
type Proxy struct {
	Name     string
	Mode     Mode
	Frontend *Frontend
	Backend  *Backend
	// Listen: the proxy has both a FRONTEND and a BACKEND row even when
	// Frontend or Backend is nil.
	Listen bool
}

type csvRow []string

func (r csvRow) set(col string, v any) {
	i, ok := csvIndex[col]
	if !ok {
		panic("lb: no CSV column " + col)
	}
	switch v := v.(type) {
	case string:
		r[i] = v
	case int:
		r[i] = strconv.Itoa(v)
	case int64:
		r[i] = strconv.FormatInt(v, 10)
	case uint64:
		r[i] = strconv.FormatUint(v, 10)
	case bool:
		r[i] = "0"
		if v {
			r[i] = "1"
		}
	}
}

func (r csvRow) zero(cols ...string) {
	for _, c := range cols {
		r.set(c, "0")
	}
}

// WriteCSV writes HAProxy 2.6's CSV stats for the proxies, in order: the
// header, then per proxy a FRONTEND row, a row per server and a BACKEND
// row (only those its kind has). Columns lb has no value for are empty,
// as HAProxy leaves the columns that do not apply; every line ends with a
// comma, as HAProxy's do.
func WriteCSV(w io.Writer, proxies []Proxy) error {
	var b strings.Builder
	b.WriteString(csvHeader + "\n")
	now := time.Now()
	for i, p := range proxies {
		iid := i + 1
		if p.Frontend != nil || p.Listen {
			writeRow(&b, frontendRow(p, iid))
		}
		if p.Backend != nil || p.Listen {
			var bs BackendStats
			if p.Backend != nil {
				bs = p.Backend.Stats()
			} else {
				bs.Up, bs.LastChange = true, now
			}
			for j, s := range bs.Servers {
				writeRow(&b, serverRow(p, iid, j+1, s, now))
			}
			writeRow(&b, backendRow(p, iid, bs, now))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRow(b *strings.Builder, r csvRow) {
	for _, v := range r {
		b.WriteString(v)
		b.WriteByte(',')
	}
	b.WriteByte('\n')
}

func newRow(p Proxy, sv string, iid, sid, typ int) csvRow {
	r := make(csvRow, len(csvColumns))
	r.set("pxname", p.Name)
	r.set("svname", sv)
	r.set("pid", 1)
	r.set("iid", iid)
	r.set("sid", sid)
	r.set("type", typ)
	r.set("mode", p.Mode.String())
	return r
}

func setResponses(r csvRow, mode Mode, resp [6]int64) {
	if mode != ModeHTTP {
		return
	}
	for i, c := range []string{"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"} {
		r.set(c, resp[i])
	}
}

func frontendRow(p Proxy, iid int) csvRow {
	r := newRow(p, "FRONTEND", iid, 0, 0)
	var st FrontendStats
	if p.Frontend != nil {
		st = p.Frontend.Stats()
	}
	r.set("scur", st.Conns)
	r.set("smax", st.MaxConns)
	if st.MaxConn > 0 {
		r.set("slim", st.MaxConn)
	}
	r.set("stot", st.Total)
	r.set("bin", st.BytesIn)
	r.set("bout", st.BytesOut)
	r.zero("dreq", "dresp", "ereq", "rate", "rate_lim", "rate_max", "conn_rate", "conn_rate_max")
	r.set("status", "OPEN")
	r.set("conn_tot", st.Total)
	setResponses(r, p.Mode, st.Responses)
	return r
}

// serverStatus is the "status" column of a server row.
func serverStatus(s ServerStats) string {
	switch {
	case s.Admin == AdminMaint:
		return "MAINT"
	case s.Admin == AdminDrain:
		return "DRAIN"
	case !s.Checked:
		return "no check"
	}
	return s.Health.String()
}

func serverRow(p Proxy, iid, sid int, s ServerStats, now time.Time) csvRow {
	r := newRow(p, s.Name, iid, sid, 2)
	r.set("qcur", s.Queued)
	r.set("qmax", s.QueueMax)
	r.set("scur", s.Conns)
	r.set("smax", s.MaxConns)
	if s.MaxConn > 0 {
		r.set("slim", s.MaxConn)
	}
	r.set("stot", s.Total)
	r.set("bin", s.BytesIn)
	r.set("bout", s.BytesOut)
	r.zero("dresp", "rate", "rate_max", "cli_abrt", "srv_abrt")
	r.set("econ", s.ConnectErrors)
	r.set("eresp", s.ResponseErrors)
	r.set("wretr", s.Retries)
	r.set("wredis", s.Redispatches)
	r.set("status", serverStatus(s))
	r.set("weight", s.EffectiveWeight)
	r.set("uweight", s.Weight)
	r.set("act", !s.Backup)
	r.set("bck", s.Backup)
	r.set("lastchg", int64(now.Sub(s.LastChange)/time.Second))
	if s.Checked {
		r.set("chkfail", s.CheckFailures)
		r.set("chkdown", s.Downs)
		r.set("downtime", int64(s.Downtime/time.Second))
		r.set("check_rise", s.Health.Rise)
		r.set("check_fall", s.Health.Fall)
		r.set("check_health", s.Health.Health)
	}
	r.set("lbtot", s.Total)
	setResponses(r, p.Mode, s.Responses)
	return r
}

func backendRow(p Proxy, iid int, bs BackendStats, now time.Time) csvRow {
	r := newRow(p, "BACKEND", iid, 0, 1)
	var scur, smax, stot, bin, bout, econ, eresp, wretr, wredis int64
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
	stot = bs.Total
	r.set("qcur", bs.Queued)
	r.set("qmax", bs.QueueMax)
	r.set("scur", scur)
	r.set("smax", smax)
	r.set("stot", stot)
	r.set("bin", bin)
	r.set("bout", bout)
	r.zero("dreq", "dresp", "rate", "rate_max", "cli_abrt", "srv_abrt")
	r.set("econ", econ)
	r.set("eresp", eresp)
	r.set("wretr", wretr)
	r.set("wredis", wredis)
	status := "UP"
	if !bs.Up {
		status = "DOWN"
	}
	r.set("status", status)
	r.set("weight", weight)
	r.set("uweight", weight)
	r.set("act", bs.ActiveUp)
	r.set("bck", bs.BackupUp)
	r.set("chkdown", bs.Downs)
	r.set("lastchg", int64(now.Sub(bs.LastChange)/time.Second))
	r.set("downtime", int64(bs.Downtime/time.Second))
	r.set("lbtot", stot)
	setResponses(r, p.Mode, resp)
	return r
}
