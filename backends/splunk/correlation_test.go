package splunk

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/evaluator/corrcase"
)

// The correlation part of the SPL test interpreter: the rules' searches run per event
// through runSPL (differential_test.go), then multisearch, eval, where, sort and streamstats
// as ConvertCorrelation emits them run over the rows, with Splunk's semantics as this
// interpreter assumes them: streamstats time_window holds the rows of the same group whose
// _time is within the window of the current row, ends included; current=f last(X) is the
// latest earlier non-null X of the group; stats functions skip null values, sum and avg
// skip non-numbers.

type corrRow map[string][]string

func (r corrRow) get(f string) (string, bool) {
	v := r[f]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// corrVal is an expression value: null, a string, a number or a boolean.
type corrVal struct {
	null   bool
	isNum  bool
	isBool bool
	s      string
	n      float64
	b      bool
}

func (v corrVal) text() string {
	if v.isNum {
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	}
	return v.s
}

func (v corrVal) num() (float64, bool) {
	if v.isNum {
		return v.n, true
	}
	f, err := strconv.ParseFloat(v.s, 64)
	return f, err == nil && !v.null && !v.isBool
}

type corrExpr struct {
	toks []string
	pos  int
	row  corrRow
}

func lexCorr(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case strings.ContainsRune("(),-", rune(c)):
			toks = append(toks, string(c))
			i++
		case c == '>' || c == '<':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, s[i:i+2])
				i += 2
			} else {
				toks = append(toks, s[i:i+1])
				i++
			}
		case c == '=':
			toks = append(toks, "=")
			i++
		case c == '"' || c == '\'':
			end, err := skipQuoted(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, s[i:end+1])
			i = end + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" (),=<>-\"'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func (p *corrExpr) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *corrExpr) next() string { t := p.peek(); p.pos++; return t }

func (p *corrExpr) and() (corrVal, error) {
	v, err := p.cmp()
	for err == nil && p.peek() == "AND" {
		p.next()
		var w corrVal
		w, err = p.cmp()
		v = corrVal{isBool: true, b: v.b && w.b}
	}
	return v, err
}

func (p *corrExpr) cmp() (corrVal, error) {
	a, err := p.sum()
	if err != nil {
		return a, err
	}
	switch op := p.peek(); op {
	case "=", ">", ">=", "<", "<=":
		p.next()
		b, err := p.sum()
		if err != nil {
			return a, err
		}
		if a.null || b.null {
			return corrVal{isBool: true}, nil
		}
		x, okx := a.num()
		y, oky := b.num()
		if !okx || !oky {
			return corrVal{isBool: true, b: op == "=" && a.text() == b.text()}, nil
		}
		r := map[string]bool{"=": x == y, ">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op]
		return corrVal{isBool: true, b: r}, nil
	}
	return a, nil
}

func (p *corrExpr) sum() (corrVal, error) {
	a, err := p.primary()
	for err == nil && p.peek() == "-" {
		p.next()
		var b corrVal
		b, err = p.primary()
		x, okx := a.num()
		y, oky := b.num()
		if !okx || !oky {
			a = corrVal{null: true}
		} else {
			a = corrVal{isNum: true, n: x - y}
		}
	}
	return a, err
}

func (p *corrExpr) primary() (corrVal, error) {
	t := p.next()
	switch {
	case t == "":
		return corrVal{}, fmt.Errorf("unexpected end")
	case t[0] == '"':
		s, _, err := unquoteSPL(t)
		return corrVal{s: s}, err
	case t[0] == '\'':
		return p.field(t[1 : len(t)-1]), nil
	case p.peek() == "(":
		p.next()
		var args []corrVal
		for p.peek() != ")" {
			v, err := p.and()
			if err != nil {
				return v, err
			}
			args = append(args, v)
			if p.peek() == "," {
				p.next()
			}
		}
		p.next()
		return corrCall(t, args)
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return corrVal{isNum: true, n: f}, nil
	}
	return p.field(t), nil
}

func (p *corrExpr) field(name string) corrVal {
	s, ok := p.row.get(name)
	if !ok {
		return corrVal{null: true}
	}
	return corrVal{s: s}
}

func corrCall(name string, args []corrVal) (corrVal, error) {
	switch name {
	case "null":
		return corrVal{null: true}, nil
	case "isnotnull":
		return corrVal{isBool: true, b: !args[0].null}, nil
	case "isnum":
		_, ok := args[0].num()
		return corrVal{isBool: true, b: ok}, nil
	case "if":
		if args[0].b {
			return args[1], nil
		}
		return args[2], nil
	case "case":
		for i := 0; i+1 < len(args); i += 2 {
			if args[i].b {
				return args[i+1], nil
			}
		}
		return corrVal{null: true}, nil
	}
	return corrVal{}, fmt.Errorf("unknown function %s", name)
}

func evalCorr(row corrRow, s string) (corrVal, error) {
	toks, err := lexCorr(s)
	if err != nil {
		return corrVal{}, err
	}
	p := &corrExpr{toks: toks, row: row}
	v, err := p.and()
	if err == nil && p.pos != len(toks) {
		err = fmt.Errorf("trailing %q", toks[p.pos:])
	}
	return v, err
}

// splitMultisearch returns the subsearches of a leading `| multisearch [..] [..]` and the
// rest of the query, or the query's first search up to its sigma_rule eval.
func splitMultisearch(t *testing.T, q string) (subs []string, rest string) {
	t.Helper()
	if !strings.HasPrefix(q, "| multisearch ") {
		i := strings.Index(q, " | eval sigma_rule=")
		j := strings.Index(q[i+1:], " | ")
		return []string{q[:i+1+j]}, q[i+1+j+3:]
	}
	i := len("| multisearch ")
	for i < len(q) && q[i] == '[' {
		depth, j := 0, i
		for ; j < len(q); j++ {
			switch q[j] {
			case '"', '\'':
				end, err := skipQuoted(q, j)
				if err != nil {
					t.Fatal(err)
				}
				j = end
			case '[':
				depth++
			case ']':
				depth--
			}
			if depth == 0 {
				break
			}
		}
		subs = append(subs, strings.TrimPrefix(q[i+1:j], "search "))
		i = j + 2
	}
	return subs, strings.TrimPrefix(q[i-1:], " | ")
}

// runCorrelationSPL runs a rendered correlation over events and returns its result rows.
func runCorrelationSPL(t *testing.T, q string, events []map[string]any, timeField string) []corrRow {
	t.Helper()
	subs, rest := splitMultisearch(t, q)
	var rows []corrRow
	for _, e := range events {
		raw, _ := json.Marshal(e)
		for _, sub := range subs {
			ev := splunkView(e, string(raw))
			if !runSPL(t, sub, ev) {
				continue
			}
			row := corrRow(ev)
			ts, _ := e[timeField].(string)
			tm, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				t.Fatalf("event %s: time %q", raw, ts)
			}
			row["_time"] = []string{strconv.FormatFloat(float64(tm.UnixNano())/1e9, 'f', -1, 64)}
			rows = append(rows, row)
		}
	}
	stages, err := splitPipes(rest)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stages {
		switch {
		case strings.HasPrefix(st, "eval "):
			name, expr, _ := strings.Cut(strings.TrimPrefix(st, "eval "), "=")
			for _, r := range rows {
				v, err := evalCorr(r, expr)
				if err != nil {
					t.Fatalf("%s: %v", st, err)
				}
				if v.null {
					delete(r, name)
				} else {
					r[name] = []string{v.text()}
				}
			}
		case strings.HasPrefix(st, "where "):
			var kept []corrRow
			for _, r := range rows {
				v, err := evalCorr(r, strings.TrimPrefix(st, "where "))
				if err != nil {
					t.Fatalf("%s: %v", st, err)
				}
				if v.b {
					kept = append(kept, r)
				}
			}
			rows = kept
		case st == "sort 0 _time":
			sort.SliceStable(rows, func(i, j int) bool {
				a, _ := strconv.ParseFloat(rows[i]["_time"][0], 64)
				b, _ := strconv.ParseFloat(rows[j]["_time"][0], 64)
				return a < b
			})
		case strings.HasPrefix(st, "streamstats "):
			runStreamstats(t, st, rows)
		default:
			t.Fatalf("unknown stage %q in %s", st, q)
		}
	}
	return rows
}

func runStreamstats(t *testing.T, st string, rows []corrRow) {
	t.Helper()
	words := strings.Fields(strings.TrimPrefix(st, "streamstats "))
	window, current := math.Inf(1), true
	for len(words) > 0 && strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(words[0], "=")
		switch k {
		case "time_window":
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatal(err)
			}
			window = d.Seconds()
		case "current":
			current = v != "f"
		}
		words = words[1:]
	}
	if len(words) < 3 || words[1] != "as" {
		t.Fatalf("streamstats %q", st)
	}
	fn, arg, _ := strings.Cut(strings.TrimSuffix(words[0], ")"), "(")
	out := words[2]
	var by []string
	if len(words) > 4 && words[3] == "by" {
		by = words[4:]
	}
	key := func(r corrRow) string {
		var k []string
		for _, b := range by {
			v, _ := r.get(b)
			k = append(k, v)
		}
		return strings.Join(k, "\x00")
	}
	tm := func(r corrRow) float64 { f, _ := strconv.ParseFloat(r["_time"][0], 64); return f }
	results := make([]corrVal, len(rows))
	for i, r := range rows {
		var win []corrRow
		for j := 0; j <= i; j++ {
			if j == i && !current {
				break
			}
			if key(rows[j]) == key(r) && tm(rows[j]) >= tm(r)-window {
				win = append(win, rows[j])
			}
		}
		var vals []string
		for _, w := range win {
			if v, ok := w.get(arg); ok {
				vals = append(vals, v)
			}
		}
		switch fn {
		case "count":
			results[i] = corrVal{isNum: true, n: float64(len(win))}
		case "dc":
			seen := map[string]bool{}
			for _, v := range vals {
				seen[v] = true
			}
			results[i] = corrVal{isNum: true, n: float64(len(seen))}
		case "sum", "avg":
			s, n := 0.0, 0
			for _, v := range vals {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					s += f
					n++
				}
			}
			if fn == "avg" {
				if n == 0 {
					results[i] = corrVal{null: true}
					continue
				}
				s /= float64(n)
			}
			results[i] = corrVal{isNum: true, n: s}
		case "last":
			results[i] = corrVal{null: true}
			if len(vals) > 0 {
				results[i] = corrVal{s: vals[len(vals)-1]}
			}
		default:
			t.Fatalf("streamstats function %s", fn)
		}
	}
	for i, r := range rows {
		if results[i].null {
			delete(r, out)
		} else {
			r[out] = []string{results[i].text()}
		}
	}
}

// TestCorrelationConformance runs the conformance cases (testdata/correlation) through the
// SPL each correlation renders to, on the interpreter, against the evaluator's alerts.
func TestCorrelationConformance(t *testing.T) {
	cases, err := corrcase.Load("../../testdata/correlation")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	deadline := time.Now().Add(time.Minute)
	for _, c := range cases {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		set := c.Set(t)
		for _, corr := range set.Correlations {
			qs, ds := backends.ConvertCorrelation(Backend{}, corr, backends.RefRules(set, corr))
			if ds.HasErrors() {
				if !ds.OnlyUnsupported() {
					t.Errorf("%s: %v", c.Name, ds)
				}
				continue
			}
			ran++
			rows := runCorrelationSPL(t, qs[0].Text, c.Events, "@timestamp")
			seen := map[string]bool{}
			var got []corrcase.Alert
			for _, r := range rows {
				sec, _ := strconv.ParseFloat(r["_time"][0], 64)
				g := map[string]string{}
				for i, name := range corr.GroupBy {
					g[name], _ = r.get(fmt.Sprintf("sb_g%d", i))
				}
				v, _ := strconv.ParseFloat(r["sb_value"][0], 64)
				a := corrcase.Alert{Correlation: corr.Name, End: time.Unix(0, int64(sec*1e9)).UTC(), Group: corrcase.GroupKey(g), Value: v}
				if !seen[a.String()] {
					seen[a.String()] = true
					got = append(got, a)
				}
			}
			corrcase.Sort(got)
			var want []corrcase.Alert
			for _, a := range c.Want() {
				if a.Correlation == corr.Name {
					want = append(want, a)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s: SPL and the evaluator differ:\n got  %v\n want %v\n%s", c.Name, corr.Name, got, want, qs[0].Text)
			}
		}
	}
	if ran < 13 {
		t.Errorf("only %d correlations ran", ran)
	}
	t.Logf("%d correlations agree with the evaluator through SPL", ran)
}
