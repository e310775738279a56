package fence

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Metadata is an agent's answer to the metadata action: the
// resource-agent XML that Pacemaker reads (fence-agents'
// FenceAgentAPI.md).
type Metadata struct {
	XMLName    xml.Name    `xml:"resource-agent"`
	Name       string      `xml:"name,attr"`
	ShortDesc  string      `xml:"shortdesc,attr"`
	Parameters []Parameter `xml:"parameters>parameter"`
	Actions    []struct {
		Name string `xml:"name,attr"`
	} `xml:"actions>action"`
}

// Parameter is one option the agent reads from stdin. A deprecated name
// (Deprecated, such as fence_ipmilan's ipaddr, login, passwd, port) is
// still accepted; its replacement names it in Obsoletes.
type Parameter struct {
	Name       string `xml:"name,attr"`
	Required   bool   `xml:"required,attr"`
	Deprecated bool   `xml:"deprecated,attr,omitempty"`
	Obsoletes  string `xml:"obsoletes,attr,omitempty"`
	Content    struct {
		Type    string `xml:"type,attr"` // string, boolean, integer, second, select
		Default string `xml:"default,attr,omitempty"`
		Options []struct {
			Value string `xml:"value,attr"`
		} `xml:"option"`
	} `xml:"content"`
}

// Type is the parameter's content type.
func (p Parameter) Type() string { return p.Content.Type }

// Default is the parameter's default, "" if none.
func (p Parameter) Default() string { return p.Content.Default }

// Values lists a select parameter's allowed values.
func (p Parameter) Values() []string {
	var v []string
	for _, o := range p.Content.Options {
		v = append(v, o.Value)
	}
	return v
}

// ParseMetadata parses an agent's metadata XML.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if err := xml.Unmarshal(b, &m); err != nil {
		return Metadata{}, &ParseError{What: "metadata", Reason: err.Error()}
	}
	if m.Name == "" {
		return Metadata{}, &ParseError{What: "metadata", Reason: "resource-agent has no name"}
	}
	seen := map[string]bool{}
	for i, p := range m.Parameters {
		if p.Name == "" {
			return Metadata{}, &ParseError{What: "metadata", Reason: fmt.Sprintf("parameter %d has no name", i+1)}
		}
		if seen[p.Name] {
			return Metadata{}, &ParseError{What: "metadata", Reason: fmt.Sprintf("parameter %q listed twice", p.Name)}
		}
		seen[p.Name] = true
	}
	return m, nil
}

// Parameter returns the parameter called name.
func (m Metadata) Parameter(name string) (Parameter, bool) {
	i := slices.IndexFunc(m.Parameters, func(p Parameter) bool { return p.Name == name })
	if i < 0 {
		return Parameter{}, false
	}
	return m.Parameters[i], true
}

// HasAction reports whether the metadata lists action a. fence_ipmilan's
// does not list "list" although the agent answers it.
func (m Metadata) HasAction(a Action) bool {
	return slices.ContainsFunc(m.Actions, func(x struct {
		Name string `xml:"name,attr"`
	}) bool {
		return x.Name == string(a)
	})
}

// Validate checks opts against the parameters: every name known, every
// required parameter given (under its name or a deprecated alias), and
// every value of its type. The error wraps ErrInvalidOption and names the
// option; it never shows a secret value.
func (m Metadata) Validate(opts Options) error {
	for _, k := range opts.sortedKeys() {
		p, ok := m.Parameter(k)
		if !ok {
			return fmt.Errorf("%w: %s has no option %q", ErrInvalidOption, m.Name, k)
		}
		if err := p.check(opts[k]); err != nil {
			v := opts[k]
			if secretOption(k) {
				v = "XXXX"
			}
			return fmt.Errorf("%w: %s option %s=%q: %v", ErrInvalidOption, m.Name, k, v, err)
		}
	}
	for _, p := range m.Parameters {
		if !p.Required || p.Name == "action" {
			continue
		}
		if _, ok := opts[p.Name]; ok {
			continue
		}
		if alias := m.alias(p); alias != "" {
			if _, ok := opts[alias]; ok {
				continue
			}
		}
		return fmt.Errorf("%w: %s requires option %q", ErrInvalidOption, m.Name, p.Name)
	}
	return nil
}

// alias is the other name of p: the deprecated one it obsoletes, or the
// one that obsoletes it.
func (m Metadata) alias(p Parameter) string {
	if p.Obsoletes != "" {
		return p.Obsoletes
	}
	for _, q := range m.Parameters {
		if q.Obsoletes == p.Name {
			return q.Name
		}
	}
	return ""
}

// check applies fencing.py's reading of each content type.
func (p Parameter) check(v string) error {
	switch p.Content.Type {
	case "boolean":
		switch strings.ToLower(v) {
		case "", "0", "1", "true", "false", "on", "off", "yes", "no":
			return nil
		}
		return fmt.Errorf("not a boolean")
	case "integer":
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("not an integer")
		}
	case "second":
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
			return fmt.Errorf("not a number of seconds")
		}
	case "select":
		if vals := p.Values(); len(vals) > 0 && !slices.Contains(vals, v) {
			return fmt.Errorf("not one of %v", vals)
		}
	}
	return nil
}
