package vrrp

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// The syntax of keepalived.conf(5): one statement per line, its words
// separated by blanks, "#" or "!" starting a comment, double quotes
// keeping blanks inside a word, and "{" ... "}" holding the statements of
// a block (on the lines that follow, or on the same line). "include FILE"
// (a glob with csh braces, relative to the including file's directory)
// reads other files in place.

// confStmt is one statement: its words, where it is, and its block.
type confStmt struct {
	words []string
	file  string
	line  int
	block []confStmt // nil without a block
	open  bool       // the statement has a block, maybe empty
}

// confToken is one word, "{" or "}", or the end of a line ("\n").
type confToken struct {
	text   string
	quoted bool
	line   int
}

// lexConf splits src into tokens.
func lexConf(file string, src []byte) ([]confToken, error) {
	var toks []confToken
	for i, ln := range strings.Split(string(src), "\n") {
		line := i + 1
		for j := 0; j < len(ln); {
			c := ln[j]
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
				j++
			case c == '#' || c == '!':
				j = len(ln)
			case c == '{' || c == '}':
				toks = append(toks, confToken{text: string(c), line: line})
				j++
			case c == '"':
				end := strings.IndexByte(ln[j+1:], '"')
				if end < 0 {
					return nil, confErrorf(file, line, "unterminated quoted string")
				}
				toks = append(toks, confToken{text: ln[j+1 : j+1+end], quoted: true, line: line})
				j += end + 2
			default:
				k := j
				for k < len(ln) && !strings.ContainsRune(" \t\r\f\v{}\"#!", rune(ln[k])) {
					k++
				}
				toks = append(toks, confToken{text: ln[j:k], line: line})
				j = k
			}
		}
		toks = append(toks, confToken{text: "\n", line: line})
	}
	return toks, nil
}

// confParser reads statements from a file system, following includes.
type confParser struct {
	fsys  fs.FS
	depth int
	files int
}

// maxIncludeDepth and maxIncludedFiles bound what include may pull in (a
// file including itself, a glob matching thousands of files).
const (
	maxIncludeDepth  = 8
	maxIncludedFiles = 256
)

func (p *confParser) parseFile(name string) ([]confStmt, error) {
	src, err := fs.ReadFile(p.fsys, name)
	if err != nil {
		return nil, fmt.Errorf("vrrp: keepalived.conf: %w", err)
	}
	toks, err := lexConf(name, src)
	if err != nil {
		return nil, err
	}
	stmts, rest, err := p.parseBlock(name, toks, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, confErrorf(name, rest[0].line, "unexpected %q", rest[0].text)
	}
	return stmts, nil
}

// parseBlock parses statements until the end of toks or, inside a block,
// a "}", and returns the tokens after it.
// openLine is the line of the block's "{", 0 at the top level.
func (p *confParser) parseBlock(file string, toks []confToken, openLine int) ([]confStmt, []confToken, error) {
	inner := openLine > 0
	var out []confStmt
	for len(toks) > 0 {
		t := toks[0]
		switch {
		case t.text == "\n" && !t.quoted:
			toks = toks[1:]
			continue
		case t.text == "}" && !t.quoted:
			if !inner {
				return nil, nil, confErrorf(file, t.line, "unexpected \"}\"")
			}
			return out, toks[1:], nil
		case t.text == "{" && !t.quoted:
			return nil, nil, confErrorf(file, t.line, "\"{\" without a keyword before it")
		}
		st := confStmt{file: file, line: t.line}
		for len(toks) > 0 && (toks[0].quoted || toks[0].text != "\n" && toks[0].text != "{" && toks[0].text != "}") {
			st.words = append(st.words, toks[0].text)
			toks = toks[1:]
		}
		if len(toks) > 0 && toks[0].text == "{" && !toks[0].quoted {
			var err error
			st.open = true
			st.block, toks, err = p.parseBlock(file, toks[1:], toks[0].line)
			if err != nil {
				return nil, nil, err
			}
			if st.block == nil {
				st.block = []confStmt{}
			}
		}
		if st.words[0] == "include" && !st.open {
			inc, err := p.include(st)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, inc...)
			continue
		}
		out = append(out, st)
	}
	if inner {
		return nil, nil, confErrorf(file, openLine, "block opened here is not closed with \"}\"")
	}
	return out, nil, nil
}

// include reads the files an include statement names, in name order.
func (p *confParser) include(st confStmt) ([]confStmt, error) {
	if len(st.words) != 2 || st.words[1] == "" {
		return nil, confErrorf(st.file, st.line, "include takes one file name or pattern")
	}
	if p.depth >= maxIncludeDepth {
		return nil, confErrorf(st.file, st.line, "include nested more than %d deep", maxIncludeDepth)
	}
	pat := st.words[1]
	if strings.HasPrefix(pat, "/") {
		pat = strings.TrimLeft(pat, "/")
	} else {
		pat = path.Join(path.Dir(st.file), pat)
	}
	// keepalived globs with GLOB_BRACE: each alternative in turn, each
	// one's matches in name order.
	var names []string
	for _, alt := range expandBraces(pat, maxIncludedFiles+1) {
		m, err := fs.Glob(p.fsys, alt)
		if err != nil {
			return nil, confErrorf(st.file, st.line, "include %s: %v", st.words[1], err)
		}
		for _, name := range m {
			// keepalived reads regular files only.
			if fi, err := fs.Stat(p.fsys, name); err == nil && !fi.IsDir() {
				names = append(names, name)
			}
		}
	}
	var out []confStmt
	p.depth++
	defer func() { p.depth-- }()
	for _, name := range names {
		if p.files++; p.files > maxIncludedFiles {
			return nil, confErrorf(st.file, st.line, "more than %d files included", maxIncludedFiles)
		}
		stmts, err := p.parseFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, stmts...)
	}
	return out, nil
}

// expandBraces expands csh brace expressions ("a{b,c{d,e}}f" is abf,
// acdf, acef), as glob's GLOB_BRACE does, into at most limit patterns.
// An unmatched "{" is left as it is.
func expandBraces(pat string, limit int) []string {
	open := strings.IndexByte(pat, '{')
	if open < 0 {
		return []string{pat}
	}
	depth, end := 0, -1
	var commas []int
	for i := open; i < len(pat) && end < 0; i++ {
		switch pat[i] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				end = i
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if end < 0 {
		return []string{pat}
	}
	var out []string
	start := open + 1
	for _, stop := range append(commas, end) {
		for _, e := range expandBraces(pat[:open]+pat[start:stop]+pat[end+1:], limit-len(out)) {
			if len(out) >= limit {
				return out
			}
			out = append(out, e)
		}
		start = stop + 1
	}
	return out
}
