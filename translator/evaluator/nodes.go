package evaluator

import (
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// cnode is a compiled detection node. Evaluation is pure: it reads the current event from
// the Matcher and nothing else, so sibling order is free to change.
type cnode interface {
	eval(m *Matcher) bool
}

type andNode struct{ children []cnode }

func (n *andNode) eval(m *Matcher) bool {
	for _, c := range n.children {
		if !c.eval(m) {
			return false
		}
	}
	return true
}

type orNode struct{ children []cnode }

func (n *orNode) eval(m *Matcher) bool {
	for _, c := range n.children {
		if c.eval(m) {
			return true
		}
	}
	return false
}

type notNode struct{ child cnode }

func (n *notNode) eval(m *Matcher) bool { return !n.child.eval(m) }

// matchNode is ir.Match: some scalar value of the field matches the glob.
type matchNode struct {
	slot  int32
	g     glob
	fold  bool
	isNum bool    // a Number value: compare numerically with numeric event values
	num   float64 // its value
}

func (n *matchNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		v := &ev.values[i]
		if v.kind == kindObject {
			continue
		}
		if n.isNum && v.kind == kindNumber {
			if f, ok := ev.number(i); ok && f == n.num {
				return true
			}
			continue
		}
		text := v.text
		if n.fold {
			text = ev.fold(i)
		}
		if n.g.match(text) {
			return true
		}
	}
	return false
}

// setNode is an OR of case-insensitive exact string matches on one field.
type setNode struct {
	slot int32
	set  map[string]struct{} // folded literals
}

func (n *setNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		if ev.values[i].kind == kindObject {
			continue
		}
		if _, ok := n.set[ev.fold(i)]; ok {
			return true
		}
	}
	return false
}

// keywordNode is ir.Keyword: some string value anywhere in the event matches the glob
// (which carries the implicit leading and trailing `*`).
type keywordNode struct {
	g    glob
	fold bool
}

func (n *keywordNode) eval(m *Matcher) bool {
	ev := &m.ev
	for _, i := range ev.keywords {
		text := ev.values[i].text
		if n.fold {
			text = ev.fold(i)
		}
		if n.g.match(text) {
			return true
		}
	}
	return false
}

type regexNode struct {
	slot int32
	re   *regexp.Regexp
}

func (n *regexNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		v := &ev.values[i]
		if v.kind != kindObject && n.re.MatchString(v.text) {
			return true
		}
	}
	return false
}

type cidrNode struct {
	slot   int32
	prefix netip.Prefix
}

func (n *cidrNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		v := &ev.values[i]
		if v.kind != kindString {
			continue
		}
		addr, err := netip.ParseAddr(v.text)
		if err != nil {
			continue
		}
		addr = addr.WithZone("")
		if n.prefix.Addr().Is4() {
			// an IPv4-mapped IPv6 address is the IPv4 address, as Elasticsearch's ip type has it
			addr = addr.Unmap()
		}
		if n.prefix.Contains(addr) {
			return true
		}
	}
	return false
}

type compareNode struct {
	slot  int32
	op    ir.CompareOp
	bound float64
}

func (n *compareNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		f, ok := ev.number(i)
		if !ok {
			continue
		}
		var r bool
		switch n.op {
		case ir.LT:
			r = f < n.bound
		case ir.LTE:
			r = f <= n.bound
		case ir.GT:
			r = f > n.bound
		case ir.GTE:
			r = f >= n.bound
		}
		if r {
			return true
		}
	}
	return false
}

type existsNode struct{ slot int32 }

func (n *existsNode) eval(m *Matcher) bool { return m.ev.slots[n.slot].first >= 0 }

type nullNode struct{ slot int32 }

func (n *nullNode) eval(m *Matcher) bool { return m.ev.slots[n.slot].first < 0 }

type fieldRefNode struct {
	slot, ref int32
	shape     ir.Shape
	fold      bool
}

func (n *fieldRefNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		if ev.values[i].kind == kindObject {
			continue
		}
		a := ev.values[i].text
		if n.fold {
			a = ev.fold(i)
		}
		for j := ev.slots[n.ref].first; j >= 0; j = ev.values[j].next {
			if ev.values[j].kind == kindObject {
				continue
			}
			b := ev.values[j].text
			if n.fold {
				b = ev.fold(j)
			}
			var r bool
			switch n.shape {
			case ir.ShapePrefix:
				r = strings.HasPrefix(a, b)
			case ir.ShapeSuffix:
				r = strings.HasSuffix(a, b)
			case ir.ShapeContains:
				r = strings.Contains(a, b)
			default:
				r = a == b
			}
			if r {
				return true
			}
		}
	}
	return false
}

type timePartNode struct {
	slot  int32
	part  ir.TimeUnit
	value int
}

func (n *timePartNode) eval(m *Matcher) bool {
	ev := &m.ev
	for i := ev.slots[n.slot].first; i >= 0; i = ev.values[i].next {
		parts, ok := ev.timeParts(i)
		if ok && int(parts[n.part]) == n.value {
			return true
		}
	}
	return false
}

// epochMillisFrom is the magnitude from which an epoch number is read as milliseconds:
// 1e11 seconds is the year 5138, 1e11 milliseconds is March 1973.
const epochMillisFrom = 1e11

// timeParts returns the minute, hour, day, ISO week, month and year (indexed by
// ir.TimeUnit) of value i read as a timestamp in UTC: an RFC 3339 string, or epoch seconds
// or milliseconds (a number or a numeric string).
func (e *eventState) timeParts(i int32) ([6]int32, bool) {
	v := &e.values[i]
	if v.timeDone {
		return v.timeParts, v.timeOK
	}
	v.timeDone = true
	var t time.Time
	if f, ok := e.number(i); ok {
		if f >= epochMillisFrom || f <= -epochMillisFrom {
			f /= 1000
		}
		if f > 1e15 || f < -1e15 {
			return v.timeParts, false
		}
		sec := int64(f)
		nsec := int64((f - float64(sec)) * 1e9)
		t = time.Unix(sec, nsec).UTC()
	} else if v.kind == kindString {
		var err error
		t, err = time.Parse(time.RFC3339Nano, v.text)
		if err != nil {
			return v.timeParts, false
		}
		t = t.UTC()
	} else {
		return v.timeParts, false
	}
	_, week := t.ISOWeek()
	v.timeParts = [6]int32{
		ir.Minute: int32(t.Minute()),
		ir.Hour:   int32(t.Hour()),
		ir.Day:    int32(t.Day()),
		ir.Week:   int32(week),
		ir.Month:  int32(t.Month()),
		ir.Year:   int32(t.Year()),
	}
	v.timeOK = true
	return v.timeParts, true
}
