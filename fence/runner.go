package fence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RunnerConfig configures a Runner. The zero value of every field but
// Agent is a documented default.
type RunnerConfig struct {
	// Agent is the agent program: a name such as "fence_ipmilan", looked
	// up in $PATH and then in /usr/sbin and /sbin where Debian installs
	// fence-agents, or a path. Required.
	Agent string
	// Timeout bounds each run; the agent's whole process group is killed
	// when it passes. Zero means the agent's own timeouts added up from
	// the run's options, with fence-agents' defaults for those not given
	// (delay 0, login_timeout 5 s, shell_timeout 3 s, power_timeout 20 s,
	// power_wait 2 s; twice power_timeout+power_wait for reboot), plus
	// 10 s for the interpreter to start.
	Timeout time.Duration
	// Validate, when true, fetches the agent's metadata on the first run
	// and checks every run's options against it (names, required ones,
	// types, select values) before starting the agent. False passes
	// options unchecked: fence-agents only warns about unknown ones.
	Validate bool
	// Logger receives one line per run, options and output redacted. Nil
	// means silent.
	Logger *slog.Logger
}

// Runner runs one fence agent program with the fence-agents stdin
// protocol. It is safe for concurrent use.
type Runner struct {
	cfg RunnerConfig

	metaOnce sync.Mutex
	meta     *Metadata

	mu    sync.Mutex
	stats RunnerStats
}

// RunnerStats counts a Runner's runs. LastError is redacted.
type RunnerStats struct {
	Runs, Failures, Unknown, Timeouts uint64
	LastError                         string
}

// NewRunner checks cfg. It does no I/O: the agent is looked up on each
// run, so installing it later works.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Agent == "" {
		return nil, errors.New("fence: RunnerConfig.Agent is empty")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("fence: RunnerConfig.Timeout %v is negative", cfg.Timeout)
	}
	return &Runner{cfg: cfg}, nil
}

// Stats returns a snapshot of the runner's counters.
func (r *Runner) Stats() RunnerStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// agentDirs are searched after $PATH: Debian's fence-agents live in
// /usr/sbin, which is not on every user's $PATH.
var agentDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// LookAgent finds an agent program by name or path. Its error wraps
// ErrUnknownAgent and names the agent.
func LookAgent(name string) (string, error) {
	if strings.ContainsRune(name, '/') {
		if st, err := os.Stat(name); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return name, nil
		}
		return "", fmt.Errorf("%w %q: no executable at that path", ErrUnknownAgent, name)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range agentDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w %q: not in $PATH nor in %s", ErrUnknownAgent, name, strings.Join(agentDirs, ", "))
}

// Metadata runs the agent's metadata action and parses it.
func (r *Runner) Metadata(ctx context.Context) (Metadata, error) {
	res, err := r.exec(ctx, ActionMetadata, nil)
	if err != nil {
		return Metadata{}, err
	}
	return ParseMetadata([]byte(res.Output))
}

func (r *Runner) metadata(ctx context.Context) (*Metadata, error) {
	r.metaOnce.Lock()
	defer r.metaOnce.Unlock()
	if r.meta != nil {
		return r.meta, nil
	}
	m, err := r.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	r.meta = &m
	return r.meta, nil
}

// Run runs action with opts on the agent's stdin and interprets its exit
// status as fence-agents define it: status exits 0 for on and 2 for off
// (both a nil error, Result.Power says which), every other action exits 0
// on success; anything else is an *AgentError wrapping ErrFailed. An
// on, off or reboot run that is killed (deadline, ctx cancelled, signal)
// or that reports "Timed out waiting to power ON/OFF", "Connection timed
// out" or "Connection lost" (which may come after the command went out)
// wraps ErrUnknownOutcome: the node may or may not have changed
// state. A killed run also wraps ErrTimeout when its deadline passed.
// Standard error is never taken as failure: fence_ipmilan prints Python
// warnings there on every run.
func (r *Runner) Run(ctx context.Context, action Action, opts Options) (Result, error) {
	if !action.valid() {
		return Result{Agent: r.cfg.Agent, Action: action, ExitCode: -1}, fmt.Errorf("%w: action %q is not one of %v", ErrInvalidOption, action, Actions)
	}
	if r.cfg.Validate && action != ActionMetadata {
		m, err := r.metadata(ctx)
		if err != nil {
			return Result{Agent: r.cfg.Agent, Action: action, ExitCode: -1}, err
		}
		if err := m.Validate(opts); err != nil {
			return Result{Agent: r.cfg.Agent, Action: action, ExitCode: -1}, err
		}
	}
	return r.exec(ctx, action, opts)
}

func (r *Runner) exec(ctx context.Context, action Action, opts Options) (res Result, err error) {
	res = Result{Agent: r.cfg.Agent, Action: action, ExitCode: -1}
	start := time.Now()
	defer func() {
		res.Duration = time.Since(start)
		r.record(res, err, opts)
	}()
	in, err := opts.stdin(action)
	if err != nil {
		return res, err
	}
	path, err := LookAgent(r.cfg.Agent)
	if err != nil {
		return res, err
	}
	if err := context.Cause(ctx); err != nil {
		// Nothing was started, so nothing can have happened.
		return res, &AgentError{Agent: r.cfg.Agent, Action: action, ExitCode: -1, Err: fmt.Errorf("%w: not started: %v", ErrFailed, err)}
	}
	timeout := r.cfg.Timeout
	if timeout == 0 {
		timeout = agentTimeout(action, opts)
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var stdout, stderr limitedBuffer
	cmd := exec.Command(path)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
	setProcessGroup(cmd)
	// A child that keeps the agent's stdout open must not hold up Wait
	// once the agent itself has exited.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("%w %q: %v", ErrUnknownAgent, r.cfg.Agent, err)
		}
		return res, &AgentError{Agent: r.cfg.Agent, Action: action, ExitCode: -1, Err: fmt.Errorf("%w: %v", ErrFailed, err)}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	killed := false
	select {
	case waitErr = <-done:
	case <-runCtx.Done():
		killed = true
		killProcessGroup(cmd.Process.Pid)
		waitErr = <-done
	}
	// Children the agent left behind (ipmitool, ssh) die with it.
	killProcessGroup(cmd.Process.Pid)

	res.Output = opts.Redact(stdout.String())
	output := func() string {
		return strings.TrimSpace(opts.Redact(lastLines(stdout.String()+"\n"+stderr.String(), 6)))
	}
	if killed {
		var cause error = ErrFailed
		switch {
		case errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
			cause = ErrTimeout
			if action.changesPower() {
				cause = unknownTimeout{}
			}
			cause = fmt.Errorf("%w after %v", cause, timeout)
		case action.changesPower():
			cause = fmt.Errorf("%w: %v", ErrUnknownOutcome, context.Cause(ctx))
		default:
			cause = fmt.Errorf("%w: %v", ErrFailed, context.Cause(ctx))
		}
		return res, &AgentError{Agent: r.cfg.Agent, Action: action, ExitCode: -1, Output: output(), Err: cause}
	}
	if st := cmd.ProcessState; st != nil && st.Exited() {
		res.ExitCode = st.ExitCode()
	} else { // killed by a signal we did not send
		cause := ErrFailed
		if action.changesPower() {
			cause = ErrUnknownOutcome
		}
		return res, &AgentError{Agent: r.cfg.Agent, Action: action, ExitCode: -1, Output: output(), Err: fmt.Errorf("%w: %v", cause, waitErr)}
	}
	// Everything parsed from the output is parsed redacted: a plug alias
	// or a notice may echo the password.
	return interpret(res, opts.Redact(stdout.String()), stderr.String(), output)
}

// interpret applies the fence-agents exit status rules to a finished run.
func interpret(res Result, stdout, stderr string, output func() string) (Result, error) {
	fail := func(cause error, format string, args ...any) (Result, error) {
		if format != "" {
			cause = fmt.Errorf("%w: "+format, append([]any{cause}, args...)...)
		}
		return res, &AgentError{Agent: res.Agent, Action: res.Action, ExitCode: res.ExitCode, Output: output(), Err: cause}
	}
	switch res.Action {
	case ActionStatus:
		said := statusLine(stdout)
		switch res.ExitCode {
		case 0:
			res.Power = PowerOn
		case 2:
			res.Power = PowerOff
		default:
			return fail(ErrFailed, "")
		}
		if said != PowerUnknown && said != res.Power {
			res.Power = PowerUnknown
			return fail(ErrFailed, "exit %d contradicts its output %q", res.ExitCode, "Status: "+strings.ToUpper(said.String()))
		}
		return res, nil
	case ActionList, ActionListStatus:
		if res.ExitCode != 0 {
			return fail(ErrFailed, "")
		}
		l, err := ParseList([]byte(stdout))
		if err != nil {
			return fail(ErrFailed, "%v", err)
		}
		res.Plugs, res.Notice = l.Plugs, strings.Join(l.Notices, "; ")
		return res, nil
	}
	if res.ExitCode == 0 {
		return res, nil
	}
	// fencing.py exits 1 for every failure. "Timed out waiting to power
	// ON/OFF" (EC_WAITING_ON, EC_WAITING_OFF) is printed after the power
	// command was sent, and "Connection timed out" or "Connection lost"
	// (EC_TIMED_OUT, EC_CONNECTION_LOST) when the device stopped
	// answering, which may be after the command went out: the node may
	// have changed state.
	if res.Action.changesPower() && slices.ContainsFunc(midActionFailures, func(m string) bool { return strings.Contains(stdout+stderr, m) }) {
		return fail(ErrUnknownOutcome, "")
	}
	return fail(ErrFailed, "")
}

// midActionFailures are fencing.py's messages for failures that may come
// after a power command was sent.
var midActionFailures = []string{"Timed out waiting to power", "Connection timed out", "Connection lost"}

// statusLine finds "Status: ON" or "Status: OFF" in a status run's output.
func statusLine(stdout string) Power {
	for line := range strings.Lines(stdout) {
		switch strings.TrimSpace(line) {
		case "Status: ON":
			return PowerOn
		case "Status: OFF":
			return PowerOff
		}
	}
	return PowerUnknown
}

// agentTimeout adds up the timeouts fence-agents apply within one run.
func agentTimeout(a Action, o Options) time.Duration {
	sec := func(name string, def float64) time.Duration {
		if v, err := strconv.ParseFloat(o[name], 64); err == nil && v >= 0 && v < 1e6 {
			def = v
		}
		return time.Duration(def * float64(time.Second))
	}
	power := sec("power_timeout", 20) + sec("power_wait", 2)
	if a == ActionReboot {
		power *= 2
	}
	return sec("delay", 0) + sec("login_timeout", 5) + sec("shell_timeout", 3) + power + 10*time.Second
}

func (r *Runner) record(res Result, err error, opts Options) {
	r.mu.Lock()
	r.stats.Runs++
	if err != nil {
		r.stats.Failures++
		if errors.Is(err, ErrUnknownOutcome) {
			r.stats.Unknown++
		}
		if errors.Is(err, ErrTimeout) {
			r.stats.Timeouts++
		}
		r.stats.LastError = opts.Redact(err.Error())
	}
	r.mu.Unlock()
	if r.cfg.Logger == nil {
		return
	}
	attrs := []any{"agent", r.cfg.Agent, "action", res.Action, "exit", res.ExitCode, "duration", res.Duration, "options", opts}
	if err != nil {
		r.cfg.Logger.Warn("fence agent failed", append(attrs, "error", opts.Redact(err.Error()))...)
		return
	}
	r.cfg.Logger.Info("fence agent ran", append(attrs, "power", res.Power.String())...)
}

// lastLines keeps the last n non-empty lines of s.
func lastLines(s string, n int) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}

// limitedBuffer keeps the first 1 MiB an agent writes and drops the rest,
// so a runaway agent cannot exhaust memory.
type limitedBuffer struct{ bytes.Buffer }

const maxOutput = 1 << 20

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
