package evaluator

import (
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// valueKind is the JSON type of one collected event value. JSON null is never collected:
// a null value is the same as an absent one.
type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindBool
	kindObject // a non-empty object; it only satisfies Exists
)

// value is one scalar (or object) found at a field path of the current event. Values of one
// field are chained through next.
type value struct {
	kind valueKind
	// text is the string, the number's JSON text as written, or "true"/"false".
	text string
	next int32 // index of the next value of the same field, -1 at the end

	folded    string
	foldDone  bool
	numDone   bool
	numOK     bool
	numeric   float64
	timeDone  bool
	timeOK    bool
	timeParts [6]int32
}

// slotHead is the chain of values one field path has in the current event.
type slotHead struct {
	first, last int32
}

// pathNode is a node of the trie of field paths the loaded rules read. A node stands for a
// dotted prefix; next maps an object key (which may itself contain dots) to the node of the
// longer prefix, so `a.b.c` is found through {"a":{"b":{"c":…}}}, {"a.b":{"c":…}},
// {"a":{"b.c":…}} and {"a.b.c":…} alike.
type pathNode struct {
	slot int32 // the field whose full path this is, or -1
	next keyTable
}

// keyTable maps the object keys of a trie node to its children. Every key of every object
// the rules read is looked up in one while an event is decoded, most of them missing, so it
// is an open-addressing table hashed on a few bytes of the key (its length, ends and
// middle), which costs less per lookup than a Go map's hash of the whole key.
type keyTable struct {
	slots []uint32 // index+1 into keys and nodes; 0 is empty; a power-of-two length
	keys  []string
	nodes []*pathNode
}

func keyHash(k string) uint32 {
	h := uint32(len(k))
	if n := len(k); n > 0 {
		h = h*31 + uint32(k[0])
		h = h*31 + uint32(k[n-1])
		h = h*31 + uint32(k[n/2])
		h = h*31 + uint32(k[(n-1)/2+n/4])
	}
	h *= 0x9e3779b1
	return h ^ h>>16
}

// get returns the child under key k, or nil.
func (t *keyTable) get(k string) *pathNode {
	if i := t.find(k); i >= 0 {
		return t.nodes[i]
	}
	return nil
}

// find returns the index of key k in keys, or -1.
func (t *keyTable) find(k string) int {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint32(len(t.slots) - 1)
	for i := keyHash(k) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if t.keys[s-1] == k {
			return int(s - 1)
		}
	}
}

// put sets the child under key k, growing the table to keep it at most half full.
func (t *keyTable) put(k string, n *pathNode) {
	if i := t.find(k); i >= 0 {
		t.nodes[i] = n
		return
	}
	t.keys = append(t.keys, k)
	t.nodes = append(t.nodes, n)
	if 2*len(t.keys) > len(t.slots) {
		size := 8
		for size < 2*len(t.keys) {
			size *= 2
		}
		t.slots = make([]uint32, size)
		for i := range t.keys {
			t.insert(i)
		}
		return
	}
	t.insert(len(t.keys) - 1)
}

func (t *keyTable) insert(i int) {
	mask := uint32(len(t.slots) - 1)
	j := keyHash(t.keys[i]) & mask
	for t.slots[j] != 0 {
		j = (j + 1) & mask
	}
	t.slots[j] = uint32(i + 1)
}

// pathTrie assigns a slot to every field path and builds the key trie.
type pathTrie struct {
	root   *pathNode
	nodes  map[string]*pathNode // by prefixKey
	slots  map[string]int32     // by field path
	fields []string             // by slot
}

func newPathTrie() *pathTrie {
	root := &pathNode{slot: -1}
	return &pathTrie{root: root, nodes: map[string]*pathNode{prefixKey(nil): root}, slots: map[string]int32{}}
}

// prefixKey names the prefix made of segs; it tells the root (no segment) from a path of
// one empty segment.
func prefixKey(segs []string) string {
	return strconv.Itoa(len(segs)) + ":" + strings.Join(segs, ".")
}

func (t *pathTrie) node(segs []string) *pathNode {
	key := prefixKey(segs)
	n := t.nodes[key]
	if n == nil {
		n = &pathNode{slot: -1}
		t.nodes[key] = n
	}
	return n
}

// slot returns the slot of a field path, adding the path to the trie on first use.
func (t *pathTrie) slot(field string) int32 {
	if s, ok := t.slots[field]; ok {
		return s
	}
	s := int32(len(t.fields))
	t.slots[field] = s
	t.fields = append(t.fields, field)
	segs := strings.Split(field, ".")
	for i := 0; i < len(segs); i++ {
		from := t.node(segs[:i])
		for j := i + 1; j <= len(segs); j++ {
			from.next.put(strings.Join(segs[i:j], "."), t.node(segs[:j]))
		}
	}
	t.node(segs).slot = s
	return s
}

// eventState is the per-event scratch of a Matcher: the values found for every slot, the
// string values a keyword search reads, and the arena their unescaped text lives in.
type eventState struct {
	slots    []slotHead
	filled   []int32 // slots that received at least one value, in order of arrival
	values   []value
	keywords []int32 // indexes into values of every string in the event (only when needed)
	wantKW   bool
	arena    []byte
	foldBuf  []byte
}

func (e *eventState) reset(nslots int) {
	if len(e.slots) != nslots {
		e.slots = make([]slotHead, nslots)
		for i := range e.slots {
			e.slots[i] = slotHead{first: -1, last: -1}
		}
	} else {
		for _, s := range e.filled {
			e.slots[s] = slotHead{first: -1, last: -1}
		}
	}
	e.filled = e.filled[:0]
	e.values = e.values[:0]
	e.keywords = e.keywords[:0]
	e.arena = e.arena[:0]
	e.foldBuf = e.foldBuf[:0]
}

// add appends a value to a slot's chain and returns its index.
func (e *eventState) add(slot int32, kind valueKind, text string) int32 {
	idx := int32(len(e.values))
	e.values = append(e.values, value{kind: kind, text: text, next: -1})
	if slot < 0 {
		return idx
	}
	h := &e.slots[slot]
	if h.first < 0 {
		h.first = idx
		e.filled = append(e.filled, slot)
	} else {
		e.values[h.last].next = idx
	}
	h.last = idx
	return idx
}

// fold returns the folded text of value i, computing it once per event.
func (e *eventState) fold(i int32) string {
	v := &e.values[i]
	if !v.foldDone {
		v.foldDone = true
		if foldedAlready(v.text) {
			v.folded = v.text
		} else {
			// folded text lives in the event's arena; a string made from it is a view that
			// stays valid until the next event (a reallocation leaves old views intact)
			start := len(e.foldBuf)
			e.foldBuf = appendFold(e.foldBuf, v.text)
			if n := len(e.foldBuf) - start; n > 0 {
				v.folded = unsafe.String(&e.foldBuf[start], n)
			}
		}
	}
	return v.folded
}

// number returns the numeric value of value i: a JSON number, or a string that is a number
// in JSON's decimal syntax.
func (e *eventState) number(i int32) (float64, bool) {
	v := &e.values[i]
	if !v.numDone {
		v.numDone = true
		switch v.kind {
		case kindNumber, kindString:
			if isDecimalNumber(v.text) {
				// a range error still yields ±Inf or 0, which compare correctly
				v.numeric, _ = strconv.ParseFloat(v.text, 64)
				v.numOK = true
			}
		}
	}
	return v.numeric, v.numOK
}

// isDecimalNumber reports whether s has JSON's number syntax.
func isDecimalNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// formatFloat prints f the way encoding/json does.
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}
