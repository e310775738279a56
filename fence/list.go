package fence

import (
	"fmt"
	"strings"
)

// Plug is one line of a list or list-status answer: fencing.py prints
// "plug,alias" for list and "plug,alias,STATUS" for list-status, with ","
// its default --separator.
type Plug struct {
	ID     string
	Alias  string
	Status string // "ON", "OFF", "UNKNOWN" for list-status; "" for list
}

// Power is the plug's power as list-status reported it.
func (p Plug) Power() Power {
	switch p.Status {
	case "ON":
		return PowerOn
	case "OFF":
		return PowerOff
	}
	return PowerUnknown
}

// List is a parsed list or list-status answer. Notices are the agent's
// "NOTICE: ..." lines, such as fence_ipmilan's "List option is not
// working on this device yet": an agent that prints only a notice has no
// list to give.
type List struct {
	Plugs   []Plug
	Notices []string
}

// ParseError says which line of an agent's output could not be parsed.
type ParseError struct {
	What   string // "list", "metadata"
	Line   int    // 1-based; 0 when unknown
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("fence: parse %s: line %d: %s", e.What, e.Line, e.Reason)
	}
	return fmt.Sprintf("fence: parse %s: %s", e.What, e.Reason)
}

const noticePrefix = "NOTICE:"

// ParseList parses the stdout of a list or list-status action. Blank
// lines are skipped; a line with an empty plug or with control characters
// is an error naming the line.
func ParseList(b []byte) (List, error) {
	var l List
	n := 0
	for line := range strings.Lines(string(b)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if i := strings.IndexFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); i >= 0 {
			return List{}, &ParseError{What: "list", Line: n, Reason: fmt.Sprintf("control character %q", line[i])}
		}
		if rest, ok := strings.CutPrefix(line, noticePrefix); ok {
			l.Notices = append(l.Notices, strings.TrimSpace(rest))
			continue
		}
		fields := strings.Split(line, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		p := Plug{ID: fields[0]}
		if p.ID == "" {
			return List{}, &ParseError{What: "list", Line: n, Reason: fmt.Sprintf("empty plug in %q", line)}
		}
		rest := fields[1:]
		if len(rest) >= 2 {
			switch s := rest[len(rest)-1]; s {
			case "ON", "OFF", "UNKNOWN":
				p.Status = s
				rest = rest[:len(rest)-1]
			}
		}
		p.Alias = strings.Join(rest, ",")
		l.Plugs = append(l.Plugs, p)
	}
	return l, nil
}

// MarshalText writes l as an agent would print it.
func (l List) MarshalText() ([]byte, error) {
	var b strings.Builder
	for _, n := range l.Notices {
		fmt.Fprintf(&b, "%s %s\n", noticePrefix, n)
	}
	for _, p := range l.Plugs {
		b.WriteString(p.ID)
		if p.Alias != "" || p.Status != "" {
			b.WriteString("," + p.Alias)
		}
		if p.Status != "" {
			b.WriteString("," + p.Status)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}
