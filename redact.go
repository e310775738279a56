package hakit

import (
	"regexp"
	"unicode/utf8"
)

// maxErrorText bounds the error text a Health body carries.
const maxErrorText = 160

// redactions replace what may be a secret in an error's text: each pattern
// keeps what names the thing (the scheme, the user, the key) and replaces
// the secret with "xxxxx".
var redactions = []struct {
	re   *regexp.Regexp
	repl string
}{
	// URL userinfo, with or without a password (mysql://app:pw@db,
	// redis://:pw@host, https://token@host): all of it goes, up to the
	// last '@' before the query, as a password may hold an unescaped '@'
	// or '/' (mongodb://app:p@ss@h1,h2/?replicaSet=rs0). An '@' in a path
	// hides the host too, which costs a name, never a secret.
	{regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.\-]*://)[^\s/?#"'<>][^\s?#"'<>]*@`), "${1}xxxxx@"},
	// Go MySQL DSNs, whose password may itself hold '@', ':' or '/'
	// (app:pw@tcp(db:3306)/x, app:pw@unix(/run/mysqld.sock)/x, and the
	// short form app:pw@/x): the password runs to the last '@' before the
	// address or the "/dbname".
	{regexp.MustCompile(`([^\s:@/"'(]*):\S*@((?:tcp6?|udp|unix)?\(|/)`), "${1}:xxxxx@${2}"},
	// user:password@host anywhere else.
	{regexp.MustCompile(`([\w.\-%]+):[^\s@/:]+@`), "${1}:xxxxx@"},
	// key=value and key: value pairs whose key names a secret
	// (password=, PGPASSWORD=, db_password:, "token": "...").
	{regexp.MustCompile(`(?i)([\w.\-]*(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credentials?)[\w.\-]*["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s&;,"')}]+)`), "${1}xxxxx"},
	// HTTP authorization schemes.
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+`), "${1} xxxxx"},
}

// redact returns s with anything that looks like a credential replaced,
// then cut to maxErrorText bytes on a rune boundary. Redaction comes first,
// so a cut can never split a secret out of the pattern that finds it.
func redact(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
