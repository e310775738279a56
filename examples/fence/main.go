// Command fence runs one fence agent action through hakit's fence.Runner
// and prints one JSON line about it:
//
//	fence -agent NAME -action status|on|off|reboot|monitor|list [-opt key=value]... [-timeout 60s]
//
// Options reach the agent on its stdin, never on its command line. The
// line is
//
//	{"agent":"fence_ipmilan","action":"status","result":"ok","power":"on","exit":0}
//
// with "result" "ok" or "error"; "power" "on" or "off" after status, on
// and off, "" otherwise; "exit" the agent's exit status (-1 when it did not
// run or was killed); "plugs" (list only: what the agent answered, [] when
// it has no list), "notice" (what it said instead) and "error" (when
// result is "error"). The exit status is the fence agents': 0 for success
// (and status on), 2 for status off, 1 for any error, including an unknown
// agent and bad flags; a list the agent refused exits with the agent's
// own status. No password ever appears
// in the output: the values of password options are replaced by XXXX.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hakit/hakit/fence"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// line is the one JSON line the command prints.
type line struct {
	Agent  string  `json:"agent"`
	Action string  `json:"action"`
	Result string  `json:"result"`
	Power  string  `json:"power"`
	Exit   int     `json:"exit"`
	Plugs  *[]plug `json:"plugs,omitempty"` // list only, [] when empty
	Notice string  `json:"notice,omitempty"`
	Error  string  `json:"error,omitempty"`
}

type plug struct {
	Plug   string `json:"plug"`
	Alias  string `json:"alias,omitempty"`
	Status string `json:"status,omitempty"`
}

// options collects repeated -opt key=value flags. A malformed one is
// counted, not echoed: it may be a password given without its name.
type options struct {
	opts fence.Options
	bad  int
}

func (o *options) String() string {
	if o == nil {
		return ""
	}
	return o.opts.String()
}

func (o *options) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		o.bad++
		return nil
	}
	o.opts[k] = v
	return nil
}

var actions = []fence.Action{fence.ActionStatus, fence.ActionOn, fence.ActionOff, fence.ActionReboot, fence.ActionMonitor, fence.ActionList}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fence", flag.ContinueOnError)
	fs.SetOutput(stderr)
	agent := fs.String("agent", "", "fence agent program, such as fence_ipmilan (required)")
	action := fs.String("action", "", "status, on, off, reboot, monitor or list (required)")
	o := &options{opts: fence.Options{}}
	opts := o.opts
	fs.Var(o, "opt", "agent option key=value, sent on the agent's stdin (repeatable)")
	timeout := fs.Duration("timeout", 60*time.Second, "kill the agent and its children after this long")
	out := line{Exit: -1}
	print := func(code int) int {
		// Redact each field before encoding: JSON escapes characters
		// such as < and ", so the encoded line may not hold the password
		// as written.
		out.Agent, out.Action = opts.Redact(*agent), opts.Redact(*action)
		out.Notice, out.Error = opts.Redact(out.Notice), opts.Redact(out.Error)
		if out.Plugs != nil {
			for i, p := range *out.Plugs {
				(*out.Plugs)[i] = plug{Plug: opts.Redact(p.Plug), Alias: opts.Redact(p.Alias), Status: opts.Redact(p.Status)}
			}
		}
		b, _ := json.Marshal(out)
		fmt.Fprintf(stdout, "%s\n", opts.Redact(string(b)))
		return code
	}
	fail := func(err error) int {
		out.Result, out.Error = "error", opts.Redact(err.Error())
		return print(1)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return fail(fmt.Errorf("fence: %v", err))
	}
	switch {
	case *agent == "":
		return fail(errors.New("fence: -agent is required"))
	case !slices.Contains(actions, fence.Action(*action)):
		return fail(fmt.Errorf("fence: -action %q is not one of %v", *action, actions))
	case *timeout <= 0:
		return fail(fmt.Errorf("fence: -timeout %v must be positive", *timeout))
	case o.bad > 0:
		return fail(fmt.Errorf("fence: %d -opt value(s) not of the form key=value", o.bad))
	case fs.NArg() > 0:
		return fail(fmt.Errorf("fence: unexpected argument %q", fs.Arg(0)))
	}
	if _, err := fence.LookAgent(*agent); err != nil {
		return fail(err)
	}
	r, err := fence.NewRunner(fence.RunnerConfig{Agent: *agent, Timeout: *timeout})
	if err != nil {
		return fail(err)
	}
	a := fence.Action(*action)
	res, err := r.Run(context.Background(), a, opts)
	out.Exit = res.ExitCode
	if a == fence.ActionList {
		plugs := []plug{}
		for _, p := range res.Plugs {
			plugs = append(plugs, plug{Plug: p.ID, Alias: p.Alias, Status: p.Status})
		}
		out.Plugs = &plugs
	}
	out.Notice = res.Notice
	if err != nil {
		code := fail(err)
		if a == fence.ActionList && res.ExitCode > 0 {
			return res.ExitCode // the agent's own status for its list
		}
		return code
	}
	out.Result = "ok"
	switch {
	case a == fence.ActionStatus:
		out.Power = res.Power.String()
	case a == fence.ActionOn || a == fence.ActionOff:
		out.Power = *action
	}
	if res.Power == fence.PowerOff {
		return print(2)
	}
	return print(0)
}
