package input

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// The JSON formats are read by one streaming scanner. It validates the input as
// encoding/json does (RFC 8259, invalid UTF-8 inside strings allowed, nesting at most
// maxDepth levels) in a single pass, holds only the value it is reading, and counts lines
// as it goes, so reading is linear in the input and memory is bounded by the largest
// record, never by the file:
//
//   - a top-level object is held whole, unless one of the format's wrapper members
//     ("Records", "records", "items", "value", ...) holds an array that is empty or whose
//     first element is an object: then that array's elements are read and handed on one at
//     a time, and the object itself is not held (an array of scalars under such a name is
//     a field of one event);
//   - a top-level array's elements are read and handed on one at a time;
//   - a value larger than the format's limit (Options.MaxRecordBytes, default
//     DefaultMaxRecordBytes) is read to its end without being kept, and reported.
//
// Layout. When the first value of the input ends on the line it starts on, with nothing
// but white space after it, the input is JSON lines: every value must then start and end
// on one line, and a bad line is reported and skipped by itself. Otherwise the input is a
// sequence of (multi-line) JSON documents, separated by white space or commas. A syntax
// error there is reported at its line, and reading goes on after that line; when the bad
// token is a '{' or '[' that starts a line, the value before it was cut off at the end of
// the previous line (a truncated line), so that value is reported at its first line and
// reading goes on with the token. Until one value has been read without error the layout
// is undecided, so a broken first line does not decide it.

// DefaultMaxRecordBytes is the largest single value (a record, or an object that is not a
// wrapper) a reader holds in memory.
const DefaultMaxRecordBytes = 32 << 20

// maxDepth is the deepest nesting accepted, as encoding/json accepts.
const maxDepth = 10000

// origin says where a value handed to a format came from.
type origin int

const (
	fromTop     origin = iota // a top-level value (not a wrapper)
	fromArray                 // an element of a top-level array
	fromWrapper               // an element of a wrapper member's array
)

// layout of the input.
type layout int

const (
	undecided layout = iota
	linesLayout
	documentsLayout
)

// syntaxError is a problem with the JSON text itself.
type syntaxError struct {
	msg  string
	line int
	col  int // 1-based byte of the line
	// cut: the bad token starts a line and opens a value; the value before it was cut
	// off. The scanner is left at that token.
	cut bool
	// tooBig: the value was read to its end but not kept.
	tooBig bool
	// lineEnd: the error is the end of the line (or input); it has no useful column, since
	// blanks before the end may or may not have been trimmed.
	lineEnd bool
}

func (e *syntaxError) Error() string { return e.msg }

// scanner reads JSON text from r.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte
	end  int   // end of the data in buf
	off  int64 // input offset of buf[0]
	rerr error // the read error that ended the input (io.EOF at its end)

	line    int   // line of buf[pos]
	lineOff int64 // input offset of the first byte of that line

	mark  int // start of the value being captured, or -1
	limit int // the largest capture
	// tooBig: the captured value outgrew limit; it is parsed on without being kept.
	tooBig bool

	// lines: a newline inside a value is an error (the JSON-lines layout).
	lines bool
	// valStart is the input offset of the top-level value being read. In the JSON-lines
	// layout columns count from there, as if the line had been trimmed.
	valStart int64
	// newline: a newline was skipped since the last token of the value being read.
	newline bool
	stack   []byte
}

func newScanner(r io.Reader, limit int) *scanner { return newScannerSize(r, limit, 64<<10) }

// newScannerSize is newScanner with a first buffer of size bytes (it grows as needed).
func newScannerSize(r io.Reader, limit, size int) *scanner {
	if limit <= 0 {
		limit = DefaultMaxRecordBytes
	}
	return &scanner{r: r, buf: make([]byte, max(size, 16)), line: 1, mark: -1, limit: limit}
}

// fill reads more input; it returns false at the end of the input.
func (s *scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	keep := s.pos
	if s.mark >= 0 {
		if s.end-s.mark > s.limit {
			s.tooBig, s.mark = true, -1
		} else {
			keep = s.mark
		}
	}
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:s.end])
		s.off += int64(keep)
		s.pos -= keep
		s.end = n
		if s.mark >= 0 {
			s.mark -= keep
		}
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// peek returns the next byte; ok is false at the end of the input.
func (s *scanner) peek() (c byte, ok bool) {
	if s.pos < s.end || s.fill() {
		return s.buf[s.pos], true
	}
	return 0, false
}

// col is the 1-based byte of the current line at which the next byte stands.
func (s *scanner) col() int {
	abs := s.off + int64(s.pos)
	if s.lines && s.valStart >= s.lineOff {
		return int(abs-s.valStart) + 1
	}
	return int(abs-s.lineOff) + 1
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// blankToLineEnd reports whether only blanks stand between the next byte and the end of
// its line (or of the input): in the JSON-lines layout such a place is the end of the
// line, trimmed.
func (s *scanner) blankToLineEnd() bool {
	for k := 0; k <= 64<<10; k++ {
		if !s.peekN(k + 1) {
			return true
		}
		switch c := s.buf[s.pos+k]; {
		case c == '\n':
			return true
		case !isBlank(c):
			return false
		}
	}
	return false
}

func (s *scanner) newLine() {
	s.line++
	s.lineOff = s.off + int64(s.pos)
	s.newline = true
}

// errf returns a syntax error at the next byte.
func (s *scanner) errf(format string, args ...any) *syntaxError {
	return &syntaxError{line: s.line, col: s.col(), msg: fmt.Sprintf(format, args...)}
}

// space skips white space. Inside a value in the JSON-lines layout a newline is an error.
func (s *scanner) space(inValue bool) *syntaxError {
	s.newline = false
	for {
		for s.pos < s.end {
			switch s.buf[s.pos] {
			case ' ', '\t':
				s.pos++
			case '\r':
				if inValue && s.lines && s.crlf() {
					return nil // as for '\n' below
				}
				s.pos++
			case '\n':
				if inValue && s.lines {
					return nil // the caller finds the newline where it expects a token
				}
				s.pos++
				s.newLine()
			default:
				return nil
			}
		}
		if !s.fill() {
			return nil
		}
	}
}

// skipLine skips the rest of the current line, its newline included.
func (s *scanner) skipLine() {
	s.mark = -1
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			s.pos += i + 1
			s.newLine()
			return
		}
		s.pos = s.end
		if !s.fill() {
			return
		}
	}
}

// restOfLineBlank skips blanks up to the end of the line (not consuming the newline) and
// reports whether nothing else stands there.
func (s *scanner) restOfLineBlank() bool {
	for {
		c, ok := s.peek()
		if !ok || c == '\n' {
			return true
		}
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
		s.pos++
	}
}

// describe names the byte c for messages.
func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// unexpected returns the error for an unexpected next byte (or the end of the input), what
// was expected. A '{' or '[' that starts a line after a newline inside the value marks the
// value before it as cut off.
func (s *scanner) unexpected(expected string) *syntaxError {
	c, ok := s.peek()
	if s.lines && (!ok || c == '\n' || isBlank(c) && s.blankToLineEnd()) {
		return s.endErr("the line ends inside a JSON value (expected %s)", expected)
	}
	if !ok {
		return s.endErr("the input ends inside a JSON value (expected %s)", expected)
	}
	e := s.errf("unexpected %s, expected %s", describe(c), expected)
	if s.newline && !s.lines && (c == '{' || c == '[') && s.atLineStart() {
		e.cut = true
	}
	return e
}

// atLineStart reports whether only blanks precede the next byte on its line.
func (s *scanner) atLineStart() bool {
	start := int(s.lineOff - s.off)
	if start < 0 {
		return false // the line's start is no longer in the buffer: it is long
	}
	for _, b := range s.buf[start:s.pos] {
		if b != ' ' && b != '\t' && b != '\r' {
			return false
		}
	}
	return true
}

// value reads one JSON value, white space before it already skipped. It reads iteratively,
// so nesting costs no stack.
func (s *scanner) value() *syntaxError {
	s.newline = false
	base := len(s.stack)
	defer func() { s.stack = s.stack[:base] }()
	for {
		// A value.
		c, ok := s.peek()
		if !ok {
			return s.unexpected("a value")
		}
		switch c {
		case '{', '[':
			if len(s.stack) >= maxDepth {
				return s.errf("JSON nested more than %d levels deep", maxDepth)
			}
			s.stack = append(s.stack, c)
			s.pos++
			if err := s.space(true); err != nil {
				return err
			}
			c, ok = s.peek()
			if ok && c == closing(s.stack[len(s.stack)-1]) {
				s.pos++
				s.stack = s.stack[:len(s.stack)-1]
				break
			}
			if s.stack[len(s.stack)-1] == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			continue
		case '"':
			if err := s.str(); err != nil {
				return err
			}
		case 't':
			if err := s.literal("true"); err != nil {
				return err
			}
		case 'f':
			if err := s.literal("false"); err != nil {
				return err
			}
		case 'n':
			if err := s.literal("null"); err != nil {
				return err
			}
		default:
			if c == '-' || c >= '0' && c <= '9' {
				if err := s.number(); err != nil {
					return err
				}
			} else {
				return s.unexpected("a value")
			}
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(s.stack) == base {
				return nil
			}
			if err := s.space(true); err != nil {
				return err
			}
			top := s.stack[len(s.stack)-1]
			c, ok = s.peek()
			if ok && c == ',' {
				s.pos++
				if err := s.space(true); err != nil {
					return err
				}
				if top == '{' {
					if err := s.key(); err != nil {
						return err
					}
				}
				break
			}
			if ok && c == closing(top) {
				s.pos++
				s.stack = s.stack[:len(s.stack)-1]
				continue
			}
			return s.unexpected(fmt.Sprintf("',' or %q", closing(top)))
		}
	}
}

func closing(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// key reads an object key and its colon and the white space after it.
func (s *scanner) key() *syntaxError {
	if c, ok := s.peek(); !ok || c != '"' {
		return s.unexpected("a string (an object key)")
	}
	if err := s.str(); err != nil {
		return err
	}
	if err := s.space(true); err != nil {
		return err
	}
	if c, ok := s.peek(); !ok || c != ':' {
		return s.unexpected("':'")
	}
	s.pos++
	return s.space(true)
}

// str reads a string.
func (s *scanner) str() *syntaxError {
	s.pos++ // the opening quote
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			switch {
			case c == '"':
				s.pos++
				return nil
			case c == '\\':
				if err := s.escape(); err != nil {
					return err
				}
			case c < 0x20:
				if c == '\n' || s.lines && isBlank(c) && s.blankToLineEnd() {
					return s.endErr("the line ends inside a string")
				}
				return s.errf("control character %s inside a string", describe(c))
			default:
				s.pos++
			}
		}
		if !s.fill() {
			return s.endInString()
		}
	}
}

// escape reads a backslash escape.
func (s *scanner) escape() *syntaxError {
	s.pos++
	c, ok := s.peek()
	if !ok || s.lines && (c == '\n' || isBlank(c) && s.blankToLineEnd()) {
		return s.endInString()
	}
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos++
		return nil
	case 'u':
		s.pos++
		for range 4 {
			h, ok := s.peek()
			if !ok || s.lines && (h == '\n' || isBlank(h) && s.blankToLineEnd()) {
				return s.endInString()
			}
			if !isHex(h) {
				return s.errf(`bad \u escape in a string`)
			}
			s.pos++
		}
		return nil
	}
	return s.errf("bad escape \\%s in a string", string(rune(c)))
}

// endInString is the error for the end of the input inside a string.
func (s *scanner) endInString() *syntaxError {
	if s.lines {
		return s.endErr("the line ends inside a string")
	}
	return s.endErr("the input ends inside a string")
}

// endErr is errf for the end of a line or of the input.
func (s *scanner) endErr(format string, args ...any) *syntaxError {
	e := s.errf(format, args...)
	e.lineEnd = true
	return e
}

// crlf reports whether the next bytes are "\r\n".
func (s *scanner) crlf() bool {
	return s.peekN(2) && s.buf[s.pos+1] == '\n'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// literal reads true, false or null.
func (s *scanner) literal(word string) *syntaxError {
	for i := range len(word) {
		c, ok := s.peek()
		if !ok || c != word[i] {
			return s.unexpected(fmt.Sprintf("%q", word))
		}
		s.pos++
	}
	return s.delimited()
}

// delimited checks that a number or literal is not followed by more letters or digits.
func (s *scanner) delimited() *syntaxError {
	c, ok := s.peek()
	if !ok {
		return nil
	}
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}':
		return nil
	}
	return s.unexpected("',', ']', '}' or white space after a value")
}

// number reads a number in JSON's grammar.
func (s *scanner) number() *syntaxError {
	digits := func() int {
		n := 0
		for {
			c, ok := s.peek()
			if !ok || c < '0' || c > '9' {
				return n
			}
			s.pos++
			n++
		}
	}
	if c, _ := s.peek(); c == '-' {
		s.pos++
	}
	c, ok := s.peek()
	switch {
	case ok && c == '0':
		s.pos++
	case ok && c >= '1' && c <= '9':
		digits()
	default:
		return s.unexpected("a digit")
	}
	if c, ok := s.peek(); ok && c == '.' {
		s.pos++
		if digits() == 0 {
			return s.unexpected("a digit after the decimal point")
		}
	}
	if c, ok := s.peek(); ok && (c == 'e' || c == 'E') {
		s.pos++
		if c, ok := s.peek(); ok && (c == '+' || c == '-') {
			s.pos++
		}
		if digits() == 0 {
			return s.unexpected("a digit in the exponent")
		}
	}
	return s.delimited()
}

// capture starts keeping the bytes read from the next one on.
func (s *scanner) capture() { s.mark, s.tooBig = s.pos, false }

// captured returns the bytes kept since capture, nil when the value was too big. The
// slice is valid until the scanner reads on.
func (s *scanner) captured() []byte {
	if s.mark < 0 || s.pos-s.mark > s.limit {
		return nil
	}
	return s.buf[s.mark:s.pos]
}

// jsonFormat is what a JSON format makes of values.
type jsonFormat struct {
	// wrappers are the member names of a top-level object whose array values hold the
	// records; what names the records of each in messages.
	wrappers map[string]string
	// what names a record in messages (of a top-level value or array element).
	what string
	// noArrays, when set, is the message for a top-level array, which is then not read.
	noArrays string
	// record gets every object: a top-level object that is not a wrapper, an element of a
	// top-level array, or an element of a wrapper's array. index is the element's 1-based
	// position, 0 for a top-level value. raw is valid until record returns.
	record func(raw []byte, line, index int, from origin, c *collector) error
	// wrapped, when set, is called once for each wrapper array read (key), with the number
	// of elements it held.
	wrapped func(key string, line int, c *collector)
	// trusted, when set, gets the object lines of JSON lines unvalidated (see trustedLine).
	trusted func(raw []byte, line int, c *collector) error
}

// readJSON reads the whole input with f. Problems go to c; the error returned is an emit
// error or a read error.
func readJSON(s *scanner, c *collector, f *jsonFormat) error {
	return readJSONIn(s, c, f, undecided)
}

// readJSONIn is readJSON with the layout known from the start.
func readJSONIn(s *scanner, c *collector, f *jsonFormat, lay layout) error {
	// A UTF-8 byte order mark at the very start is skipped.
	if s.peekN(3) && bytes.Equal(s.buf[s.pos:s.pos+3], utf8BOM) {
		s.pos += 3
		s.lineOff = s.off + int64(s.pos)
	}
	for {
		s.lines = lay == linesLayout
		for {
			if err := s.space(false); err != nil {
				return err
			}
			if ch, ok := s.peek(); ok && ch == ',' && lay == documentsLayout {
				s.pos++
				continue
			}
			break
		}
		ch, ok := s.peek()
		if !ok {
			break
		}
		if ch == '{' && lay == linesLayout && f.trusted != nil {
			if done, err := s.trustedLine(c, f); err != nil {
				return err
			} else if done {
				continue
			}
		}
		startLine := s.line
		s.valStart = s.off + int64(s.pos)
		err := s.top(ch, c, f)
		if err == nil {
			if lay == undecided {
				lay = documentsLayout
				if s.line == startLine && s.restOfLineBlank() {
					lay = linesLayout
				}
			}
			continue
		}
		se, isSyntax := err.(*syntaxError)
		if !isSyntax {
			return err
		}
		if s.rerr != nil && s.rerr != io.EOF && s.pos >= s.end {
			return s.rerr // the input broke off: the value is not at fault
		}
		switch {
		case se.tooBig:
			c.add(startLine, "%s", se.msg)
		case se.cut:
			c.add(startLine, "not valid JSON: the value is cut off at the end of line %d", se.line-1)
			continue // at the token that opens the next value
		case se.lineEnd && (lay == linesLayout || se.line == startLine):
			c.add(se.line, "not valid JSON: %s", se.msg)
		case se.lineEnd:
			c.add(se.line, "not valid JSON: %s (the value starts on line %d)", se.msg, startLine)
		case lay == linesLayout || se.line == startLine:
			c.add(se.line, "not valid JSON: %s (at byte %d of the line)", se.msg, se.col)
		default:
			c.add(se.line, "not valid JSON: %s (at byte %d of the line; the value starts on line %d)", se.msg, se.col, startLine)
		}
		if !se.tooBig {
			s.skipLine()
		}
	}
	if s.rerr != nil && s.rerr != io.EOF {
		return s.rerr
	}
	return nil
}

// maxTrustedLine is the longest line trustedLine hands on; a longer one is read (and held
// only up to the record limit) by the validating path.
const maxTrustedLine = 256 << 10

// trustedLine hands the line at the next byte, which is '{', to f.trusted without
// validating it, when it is at most maxTrustedLine (and the record limit) long and
// MayUnwrap says it is one record as it stands. Otherwise, or when the input breaks off
// in the line, it reads nothing and returns false.
func (s *scanner) trustedLine(c *collector, f *jsonFormat) (bool, error) {
	s.mark = -1
	n := 0 // bytes of the line from s.pos
	most := min(maxTrustedLine, s.limit)
	for {
		if i := bytes.IndexByte(s.buf[s.pos+n:s.end], '\n'); i >= 0 {
			n += i
			break
		}
		n = s.end - s.pos
		if n > most {
			return false, nil
		}
		if !s.fill() {
			if s.rerr != io.EOF {
				return false, nil
			}
			break
		}
	}
	if n > most {
		return false, nil
	}
	end := s.pos + n
	raw := s.buf[s.pos:end]
	for len(raw) > 0 && isBlank(raw[len(raw)-1]) {
		raw = raw[:len(raw)-1]
	}
	if MayUnwrap(raw) {
		return false, nil
	}
	if err := f.trusted(raw, s.line, c); err != nil {
		return true, err
	}
	s.pos = end
	if s.pos < s.end {
		s.pos++ // '\n'
		s.newLine()
	}
	return true, nil
}

// peekN makes n bytes available at s.pos; false when the input is shorter.
func (s *scanner) peekN(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// trailing checks, in the JSON-lines layout, that nothing follows a value on its line.
func (s *scanner) trailing() error {
	if !s.lines || s.restOfLineBlank() {
		return nil
	}
	c, _ := s.peek()
	return s.errf("unexpected %s after the JSON value", describe(c))
}

// top reads one top-level value starting with ch.
func (s *scanner) top(ch byte, c *collector, f *jsonFormat) error {
	line := s.line
	s.mark = -1
	s.stack = s.stack[:0]
	switch ch {
	case '[':
		if f.noArrays != "" {
			if err := s.value(); err != nil {
				return err
			}
			if err := s.trailing(); err != nil {
				return err
			}
			c.add(line, "%s", f.noArrays)
			return nil
		}
		s.pos++
		s.stack = append(s.stack[:0], '[')
		if _, err := s.elements(c, f, fromArray, f.what); err != nil {
			return err
		}
		return s.trailing()
	case '{':
		return s.object(c, f)
	}
	s.capture()
	if err := s.value(); err != nil {
		return err
	}
	if err := s.trailing(); err != nil {
		return err
	}
	c.add(line, "%s: expected a JSON object or an array of objects, found %s", f.what, jsonKind(s.captured()))
	s.mark = -1
	return nil
}

// elements reads the elements of an array whose '[' has been read, handing each to
// f.record. It returns their number.
func (s *scanner) elements(c *collector, f *jsonFormat, from origin, what string) (int, error) {
	s.newline = false
	if err := s.space(true); err != nil {
		return 0, err
	}
	if ch, ok := s.peek(); ok && ch == ']' {
		s.pos++
		return 0, nil
	}
	n := 0
	for {
		n++
		line := s.line
		s.capture()
		if err := s.value(); err != nil {
			return n, err
		}
		if raw := s.captured(); raw == nil {
			c.add(line, "%s %d: a JSON value of more than %d bytes: skipped", what, n, s.limit)
		} else if raw[0] != '{' {
			c.add(line, "%s: expected a JSON object, found %s", what, jsonKind(raw))
		} else if err := f.record(raw, line, n, from, c); err != nil {
			s.mark = -1
			return n, err
		}
		s.mark = -1
		if err := s.space(true); err != nil {
			return n, err
		}
		ch, ok := s.peek()
		if ok && ch == ']' {
			s.pos++
			return n, nil
		}
		if !ok || ch != ',' {
			return n, s.unexpected("',' or ']'")
		}
		s.pos++
		if err := s.space(true); err != nil {
			return n, err
		}
	}
}

// object reads a top-level object. Members named as wrappers whose values are arrays have
// their elements handed on one by one; an object without any is captured whole and handed
// on as one value.
func (s *scanner) object(c *collector, f *jsonFormat) error {
	line := s.line
	s.capture()
	s.pos++ // '{'
	s.stack = append(s.stack[:0], '{')
	s.newline = false
	wrapper := false
	if err := s.space(true); err != nil {
		return err
	}
	if ch, ok := s.peek(); ok && ch == '}' {
		s.pos++
	} else {
		for {
			if ch, ok := s.peek(); !ok || ch != '"' {
				return s.unexpected("a string (an object key)")
			}
			// The key's bytes must stay in the buffer while it is read.
			kabs, tmp := s.off+int64(s.pos), s.mark < 0
			if tmp {
				s.mark = s.pos
			}
			if err := s.str(); err != nil {
				return err
			}
			var key, what string
			isWrapper := false
			if kstart := int(kabs - s.off); s.mark >= 0 && kstart >= 0 && len(f.wrappers) > 0 && s.pos-kstart <= 32 {
				q := s.buf[kstart:s.pos]
				if bytes.IndexByte(q, '\\') >= 0 {
					key = unquote(q)
					what, isWrapper = f.wrappers[key]
				} else if what, isWrapper = f.wrappers[string(q[1:len(q)-1])]; isWrapper {
					key = string(q[1 : len(q)-1])
				}
			}
			if tmp {
				s.mark = -1
			}
			if err := s.space(true); err != nil {
				return err
			}
			if ch, ok := s.peek(); !ok || ch != ':' {
				return s.unexpected("':'")
			}
			s.pos++
			if err := s.space(true); err != nil {
				return err
			}
			if ch, ok := s.peek(); ok && ch == '[' && isWrapper && (wrapper || s.holdsRecords()) {
				wrapper = true
				s.mark = -1
				s.pos++
				s.stack = append(s.stack, '[')
				if _, err := s.elements(c, f, fromWrapper, what); err != nil {
					return err
				}
				s.stack = s.stack[:1]
				if f.wrapped != nil {
					f.wrapped(key, line, c)
				}
			} else if err := s.value(); err != nil {
				return err
			}
			if err := s.space(true); err != nil {
				return err
			}
			ch, ok := s.peek()
			if ok && ch == '}' {
				s.pos++
				break
			}
			if !ok || ch != ',' {
				return s.unexpected("',' or '}'")
			}
			s.pos++
			if err := s.space(true); err != nil {
				return err
			}
		}
	}
	if err := s.trailing(); err != nil {
		return err
	}
	if wrapper {
		return nil
	}
	if err := s.trailing(); err != nil {
		return err
	}
	raw := s.captured()
	if raw == nil || s.tooBig {
		s.mark = -1
		return &syntaxError{tooBig: true, line: line, msg: fmt.Sprintf("%s: a JSON value of more than %d bytes: skipped", f.what, s.limit)}
	}
	// raw ends at the closing brace; blanks after it were skipped by trailing.
	raw = bytes.TrimRight(raw, " \t\r")
	err := f.record(raw, line, 0, fromTop, c)
	s.mark = -1
	return err
}

// holdsRecords looks into the array at the next byte: it holds records when it is empty or
// its first element is an object. An array of strings or numbers under a wrapper's name
// ({"user": "x", "records": ["a", "b"]}) is a field of one event, not a batch. The scanner
// is left where it was.
func (s *scanner) holdsRecords() bool {
	pos, line, lineOff, newline := s.off+int64(s.pos), s.line, s.lineOff, s.newline
	defer func() {
		s.pos, s.line, s.lineOff, s.newline = int(pos-s.off), line, lineOff, newline
	}()
	if s.mark < 0 || pos-s.off < int64(s.mark) {
		return true // nothing to return to: read it as a batch
	}
	s.pos++
	if s.space(true) != nil {
		return true
	}
	c, ok := s.peek()
	return ok && (c == '{' || c == ']') && s.mark >= 0
}

// unquote returns the text of the JSON string q (with its quotes); escapes are decoded.
func unquote(q []byte) string {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var out string
	if err := unmarshal(q, &out); err == nil {
		return out
	}
	return string(inner)
}

// Valid reports whether b is one JSON value, with white space around it, as the readers of
// this package accept JSON: RFC 8259, invalid UTF-8 inside strings allowed, nesting at most
// 10000 levels (what encoding/json's Valid accepts).
func Valid(b []byte) bool {
	s := &scanner{buf: b, end: len(b), rerr: io.EOF, line: 1, mark: -1, limit: len(b) + 1}
	if s.space(false) != nil {
		return false
	}
	if _, ok := s.peek(); !ok {
		return false
	}
	if s.value() != nil {
		return false
	}
	if s.space(false) != nil {
		return false
	}
	_, more := s.peek()
	return !more
}
