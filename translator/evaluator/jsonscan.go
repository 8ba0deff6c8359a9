package evaluator

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds the nesting of a decoded event, as encoding/json does.
const maxDepth = 10000

// SyntaxError reports malformed JSON in an event line.
type SyntaxError struct {
	Offset int    // byte offset of the problem
	Msg    string // what is wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// scanner decodes one JSON event in a single pass. It follows the trie of field paths the
// rules read, records the values it finds there, and only validates everything else, so
// the cost of unread parts of an event is a byte scan. Strings are not copied unless they
// contain escapes or invalid UTF-8.
type scanner struct {
	data  []byte
	str   string // data viewed as a string, without a copy
	pos   int
	depth int
	ev    *eventState
}

func (s *scanner) fail(msg string) error {
	return &SyntaxError{Offset: s.pos, Msg: msg}
}

// decodeJSON fills ev from one JSON object.
func decodeJSON(ev *eventState, root *pathNode, line []byte) error {
	s := scanner{data: line, ev: ev}
	if len(line) > 0 {
		s.str = unsafe.String(&line[0], len(line))
	}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return s.fail("an event must be a JSON object")
	}
	if _, err := s.value(root); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return s.fail("data after the event object")
	}
	return nil
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value decodes one value at trie node n (nil: a part no rule reads) and reports whether it
// holds any non-null scalar.
func (s *scanner) value(n *pathNode) (bool, error) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false, s.fail("unexpected end of input")
	}
	collect := n != nil && n.slot >= 0
	switch c := s.data[s.pos]; {
	case c == '"':
		if !collect && !s.ev.wantKW {
			return true, s.skipString()
		}
		text, err := s.string()
		if err != nil {
			return false, err
		}
		slot := int32(-1)
		if collect {
			slot = n.slot
		}
		idx := s.ev.add(slot, kindString, text)
		if s.ev.wantKW {
			s.ev.keywords = append(s.ev.keywords, idx)
		}
		return true, nil
	case c == '{':
		nonNull, err := s.object(n)
		if err == nil && collect && nonNull {
			s.ev.add(n.slot, kindObject, "")
		}
		return nonNull, err
	case c == '[':
		return s.array(n)
	case c == 't':
		if err := s.literal("true"); err != nil {
			return false, err
		}
		if collect {
			s.ev.add(n.slot, kindBool, "true")
		}
		return true, nil
	case c == 'f':
		if err := s.literal("false"); err != nil {
			return false, err
		}
		if collect {
			s.ev.add(n.slot, kindBool, "false")
		}
		return true, nil
	case c == 'n':
		return false, s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		text, err := s.number()
		if err != nil {
			return false, err
		}
		if collect {
			s.ev.add(n.slot, kindNumber, text)
		}
		return true, nil
	}
	return false, s.fail("unexpected character")
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.pos < len(word) || s.str[s.pos:s.pos+len(word)] != word {
		return s.fail("invalid literal")
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) object(n *pathNode) (bool, error) {
	s.depth++
	if s.depth > maxDepth {
		return false, s.fail("nesting too deep")
	}
	defer func() { s.depth-- }()
	s.pos++ // '{'
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return false, nil
	}
	lookup := n != nil && len(n.next.keys) > 0
	nonNull := false
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return false, s.fail("expected an object key")
		}
		var child *pathNode
		if lookup {
			key, err := s.string()
			if err != nil {
				return false, err
			}
			child = n.next.get(key)
		} else if err := s.skipString(); err != nil {
			return false, err
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return false, s.fail("expected ':' after an object key")
		}
		s.pos++
		nn, err := s.value(child)
		if err != nil {
			return false, err
		}
		nonNull = nonNull || nn
		s.skipSpace()
		if s.pos >= len(s.data) {
			return false, s.fail("unexpected end of input in an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nonNull, nil
		default:
			return false, s.fail("expected ',' or '}' in an object")
		}
	}
}

func (s *scanner) array(n *pathNode) (bool, error) {
	s.depth++
	if s.depth > maxDepth {
		return false, s.fail("nesting too deep")
	}
	defer func() { s.depth-- }()
	s.pos++ // '['
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return false, nil
	}
	nonNull := false
	for {
		// every element stands at the same path: any element may match
		nn, err := s.value(n)
		if err != nil {
			return false, err
		}
		nonNull = nonNull || nn
		s.skipSpace()
		if s.pos >= len(s.data) {
			return false, s.fail("unexpected end of input in an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nonNull, nil
		default:
			return false, s.fail("expected ',' or ']' in an array")
		}
	}
}

func (s *scanner) number() (string, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return "", s.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return "", s.fail("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return "", s.fail("invalid number")
		}
	}
	s.pos = i
	return s.str[start:i], nil
}

// skipString validates a string without decoding it.
func (s *scanner) skipString() error {
	s.pos++ // '"'
	d := s.data
	for i := s.pos; ; {
		i, _ = nextSpecial(d, i)
		if i >= len(d) {
			break
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return nil
		case c == '\\':
			s.pos = i
			n, err := s.escapeLen()
			if err != nil {
				return err
			}
			i += n
		default:
			s.pos = i
			return s.fail("control character in a string")
		}
	}
	s.pos = len(d)
	return s.fail("unterminated string")
}

// The bytes a JSON string cannot hold as they are: its end, an escape, a control character.
const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// nextSpecial returns the index of the first byte at or after i that is '"', '\\' or below
// 0x20, or len(d), and whether every byte before it (from i) is ASCII. It reads eight bytes
// at a time: for each byte b of a word, (b - k) &^ b has its high bit set when b < k (b
// below 0x80), so k = 1 after XOR with '"' or '\\' finds those bytes and k = 0x20 the
// control characters. A borrow can flag a byte above a flagged one, never below it, so the
// lowest flag is exact.
func nextSpecial(d []byte, i int) (int, bool) {
	var seen uint64 // the bytes passed, OR-ed: a high bit means non-ASCII
	for ; i+8 <= len(d); i += 8 {
		w := binary.LittleEndian.Uint64(d[i:])
		q := w ^ (ones * '"')
		b := w ^ (ones * '\\')
		if m := ((q-ones)&^q | (b-ones)&^b | (w-ones*0x20)&^w) & high; m != 0 {
			k := bits.TrailingZeros64(m) / 8
			seen |= w & (1<<(8*k) - 1)
			return i + k, seen&high == 0
		}
		seen |= w
	}
	for ; i < len(d); i++ {
		c := d[i]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		seen |= uint64(c)
	}
	return i, seen&high == 0
}

// escapeLen validates the escape sequence at s.pos and returns its length.
func (s *scanner) escapeLen() (int, error) {
	d := s.data
	i := s.pos
	if i+1 >= len(d) {
		return 0, s.fail("unterminated escape")
	}
	switch d[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		if i+6 > len(d) {
			return 0, s.fail("short \\u escape")
		}
		for _, h := range d[i+2 : i+6] {
			if hexVal(h) < 0 {
				return 0, s.fail("invalid \\u escape")
			}
		}
		return 6, nil
	}
	return 0, s.fail("invalid escape")
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// string decodes a string. Without escapes and with valid UTF-8 it is a view of the input;
// otherwise it is decoded into the event's arena, invalid UTF-8 and lone surrogates
// becoming U+FFFD as with encoding/json.
func (s *scanner) string() (string, error) {
	s.pos++ // '"'
	d := s.data
	start := s.pos
	i, ascii := nextSpecial(d, start)
	if i >= len(d) {
		s.pos = len(d)
		return "", s.fail("unterminated string")
	}
	switch d[i] {
	case '"':
		s.pos = i + 1
		if ascii || utf8.Valid(d[start:i]) {
			return s.str[start:i], nil
		}
		return s.decodeSlow(start)
	case '\\':
		return s.decodeSlow(start)
	}
	s.pos = i
	return "", s.fail("control character in a string")
}

func (s *scanner) decodeSlow(start int) (string, error) {
	d := s.data
	ev := s.ev
	from := len(ev.arena)
	i := start
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			b := ev.arena[from:]
			if len(b) == 0 {
				return "", nil
			}
			return unsafe.String(&b[0], len(b)), nil
		case c == '\\':
			s.pos = i
			n, err := s.escapeLen()
			if err != nil {
				return "", err
			}
			if d[i+1] != 'u' {
				ev.arena = append(ev.arena, unescapeByte(d[i+1]))
				i += n
				continue
			}
			r := hex4(d[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(d) && d[i] == '\\' && d[i+1] == 'u' {
					s.pos = i
					if _, err := s.escapeLen(); err == nil {
						r2 = hex4(d[i+2 : i+6])
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			ev.arena = utf8.AppendRune(ev.arena, r)
		case c < 0x20:
			s.pos = i
			return "", s.fail("control character in a string")
		case c < utf8.RuneSelf:
			ev.arena = append(ev.arena, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			ev.arena = utf8.AppendRune(ev.arena, r)
			i += size
		}
	}
	s.pos = len(d)
	return "", s.fail("unterminated string")
}

func hex4(b []byte) rune {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

func unescapeByte(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return c // '"', '\\', '/'
}
