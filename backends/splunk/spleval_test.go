package splunk

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// This file interprets the `eval` and `foreach` commands of the subset this backend writes
// before its `| where` (the keyword stage), on an splEvent, as Splunk's manual describes
// them: eval assigns each `name=expression` in turn; foreach * runs its bracketed command
// once per field whose name does not start with `_`, with <<FIELD>> replaced textually by
// the name. Expressions: string and number literals, 'field' and bare field references,
// if, isnull, isnotnull, match, mvappend, mvfind, OR, AND, NOT, ==. Values are null, a
// boolean or a list of strings (a multivalue field; one element for a single value).

type evalValue struct {
	null   bool
	isBool bool
	b      bool
	mv     []string
}

var evalNull = evalValue{null: true}

type evalToken struct {
	kind string // "ident", "field" ('quoted'), "string", "number", "op", "(", ")", ","
	text string
}

func lexEval(s string) ([]evalToken, error) {
	var toks []evalToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, evalToken{kind: string(c)})
			i++
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated field name at %d in %s", i, s)
			}
			toks = append(toks, evalToken{kind: "field", text: s[i+1 : i+1+end]})
			i += end + 2
		case c == '"':
			v, rest, err := unquoteSPL(s[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, evalToken{kind: "string", text: v})
			i = len(s) - len(rest)
		case c == '=' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, evalToken{kind: "op", text: "=="})
			i += 2
		case c == '=':
			toks = append(toks, evalToken{kind: "op", text: "="})
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			toks = append(toks, evalToken{kind: "number", text: s[i:j]})
			i = j
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] >= '0' && s[j] <= '9' || unicode.IsLetter(rune(s[j]))) {
				j++
			}
			word := s[i:j]
			switch word {
			case "OR", "AND", "NOT":
				toks = append(toks, evalToken{kind: "op", text: word})
			default:
				toks = append(toks, evalToken{kind: "ident", text: word})
			}
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at %d in %s", c, i, s)
		}
	}
	return toks, nil
}

type evalParser struct {
	toks []evalToken
	pos  int
	ev   splEvent
}

func (p *evalParser) peek() evalToken {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return evalToken{}
}

func (p *evalParser) expect(kind string) (evalToken, error) {
	t := p.peek()
	if t.kind != kind {
		return t, fmt.Errorf("want %s at token %d, got %v", kind, p.pos, t)
	}
	p.pos++
	return t, nil
}

// The parser evaluates as it parses (every function here is strict in its arguments, and
// if() evaluates both branches harmlessly).
func (p *evalParser) expr() (evalValue, error) {
	left, err := p.and()
	for err == nil && p.peek().kind == "op" && p.peek().text == "OR" {
		p.pos++
		var right evalValue
		if right, err = p.and(); err == nil {
			left = evalBool(truthy(left) || truthy(right))
		}
	}
	return left, err
}

func (p *evalParser) and() (evalValue, error) {
	left, err := p.not()
	for err == nil && p.peek().kind == "op" && p.peek().text == "AND" {
		p.pos++
		var right evalValue
		if right, err = p.not(); err == nil {
			left = evalBool(truthy(left) && truthy(right))
		}
	}
	return left, err
}

func (p *evalParser) not() (evalValue, error) {
	if t := p.peek(); t.kind == "op" && t.text == "NOT" {
		p.pos++
		v, err := p.not()
		return evalBool(!truthy(v)), err
	}
	left, err := p.primary()
	if err == nil && p.peek().kind == "op" && p.peek().text == "==" {
		p.pos++
		var right evalValue
		if right, err = p.primary(); err == nil {
			left = evalBool(!left.null && !right.null && len(left.mv) == 1 && len(right.mv) == 1 && left.mv[0] == right.mv[0])
		}
	}
	return left, err
}

func (p *evalParser) primary() (evalValue, error) {
	t := p.peek()
	p.pos++
	switch t.kind {
	case "string", "number":
		return evalValue{mv: []string{t.text}}, nil
	case "field":
		return p.field(t.text), nil
	case "(":
		v, err := p.expr()
		if err == nil {
			_, err = p.expect(")")
		}
		return v, err
	case "ident":
		if p.peek().kind != "(" {
			return p.field(t.text), nil
		}
		p.pos++
		var args []evalValue
		for p.peek().kind != ")" {
			v, err := p.expr()
			if err != nil {
				return v, err
			}
			args = append(args, v)
			if p.peek().kind == "," {
				p.pos++
			}
		}
		p.pos++
		return callEval(t.text, args)
	}
	return evalNull, fmt.Errorf("unexpected %v at token %d", t, p.pos-1)
}

func (p *evalParser) field(name string) evalValue {
	if vs := p.ev[name]; len(vs) > 0 {
		return evalValue{mv: vs}
	}
	return evalNull
}

func evalBool(b bool) evalValue { return evalValue{isBool: true, b: b} }

func truthy(v evalValue) bool { return v.isBool && v.b }

// evalRegexps caches compiled regexes: the differential test runs the same few thousand.
var evalRegexps sync.Map

func compileEvalRegex(pcre string) (*regexp.Regexp, error) {
	if re, ok := evalRegexps.Load(pcre); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(goFromPCRE(pcre))
	if err == nil {
		evalRegexps.Store(pcre, re)
	}
	return re, err
}

func callEval(name string, args []evalValue) (evalValue, error) {
	arity := map[string]int{"if": 3, "isnull": 1, "isnotnull": 1, "match": 2, "mvfind": 2}
	if n, ok := arity[name]; ok && len(args) != n {
		return evalNull, fmt.Errorf("%s takes %d arguments, got %d", name, n, len(args))
	}
	switch name {
	case "if":
		if !args[0].isBool {
			return evalNull, fmt.Errorf("if: condition is not a boolean")
		}
		if args[0].b {
			return args[1], nil
		}
		return args[2], nil
	case "isnull":
		return evalBool(args[0].null), nil
	case "isnotnull":
		return evalBool(!args[0].null), nil
	case "match":
		if args[0].null || len(args[0].mv) != 1 || args[1].null {
			return evalNull, nil
		}
		re, err := compileEvalRegex(args[1].mv[0])
		if err != nil {
			return evalNull, err
		}
		return evalBool(re.MatchString(args[0].mv[0])), nil
	case "mvfind":
		if args[0].null || args[1].null {
			return evalNull, nil
		}
		re, err := compileEvalRegex(args[1].mv[0])
		if err != nil {
			return evalNull, err
		}
		for i, v := range args[0].mv {
			if re.MatchString(v) {
				return evalValue{mv: []string{strconv.Itoa(i)}}, nil
			}
		}
		return evalNull, nil
	case "mvappend":
		// Only what this backend relies on: non-null arguments (it never passes a null).
		var out []string
		for _, a := range args {
			if a.null || a.isBool {
				return evalNull, fmt.Errorf("mvappend given a null or boolean argument")
			}
			out = append(out, a.mv...)
		}
		return evalValue{mv: out}, nil
	}
	return evalNull, fmt.Errorf("unknown eval function %s", name)
}

// runEval runs `eval name=expr, name=expr` on ev, in place.
func runEval(ev splEvent, args string) error {
	toks, err := lexEval(args)
	if err != nil {
		return err
	}
	p := &evalParser{toks: toks, ev: ev}
	for {
		name, err := p.expect("ident")
		if err != nil {
			return err
		}
		if t, err := p.expect("op"); err != nil || t.text != "=" {
			return fmt.Errorf("want = after %s", name.text)
		}
		v, err := p.expr()
		if err != nil {
			return err
		}
		if v.isBool {
			return fmt.Errorf("eval %s: a boolean cannot be stored in a field", name.text)
		}
		if v.null {
			delete(ev, name.text)
		} else {
			ev[name.text] = append([]string(nil), v.mv...)
		}
		if p.pos == len(p.toks) {
			return nil
		}
		if _, err := p.expect(","); err != nil {
			return err
		}
	}
}

var foreachCommand = regexp.MustCompile(`^foreach (\S+) \[(.*)\]$`)

// runForeach runs `foreach * [eval ...]` on ev: the command once per field present when
// foreach starts whose name does not start with `_` (Splunk's `*` does not match internal
// fields), with <<FIELD>> replaced by the name.
func runForeach(ev splEvent, stage string) error {
	m := foreachCommand.FindStringSubmatch(stage)
	if m == nil || m[1] != "*" {
		return fmt.Errorf("unsupported foreach stage %q", stage)
	}
	body, ok := strings.CutPrefix(m[2], "eval ")
	if !ok {
		return fmt.Errorf("foreach body %q is not an eval", m[2])
	}
	var names []string
	for name := range ev {
		if !strings.HasPrefix(name, "_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if err := runEval(ev, strings.ReplaceAll(body, "<<FIELD>>", name)); err != nil {
			return fmt.Errorf("foreach on %q: %v", name, err)
		}
	}
	return nil
}
