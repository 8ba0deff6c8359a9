package input

import (
	"bufio"
	"encoding/json"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// header is one header field of a message, name as written and value unfolded.
type header struct {
	name, value string
	// folded holds the continuation lines of value while the message is read; they are
	// joined once, so unfolding is linear in the header's length.
	folded []string
}

// mailRecord builds the m365/message_headers record (T1648.md section 3.9) from a message's
// header fields and the envelope facts the source provides. Fields the source does not give
// are left out.
type mailRecord struct {
	headers    []header
	timestamp  string
	sender     string
	recipients []string
	subject    string
	messageID  string
	// skip: the header block was too large; the message is reported, not emitted.
	skip bool
}

// workflowID finds the Power Automate / Logic Apps workflow id in x-ms-mail-application.
var workflowID = regexp.MustCompile(`(?i)\bworkflow ([0-9a-f]{32})\b`)

// json returns the record as a JSON object: headers keyed by lower-cased name (a repeated
// header becomes an array), direction and has_external_recipient computed against the
// accepted domains when there are any, and ms_mail_workflow_id.
func (m mailRecord) json(opts Options) ([]byte, error) {
	hs := map[string]any{}
	for _, h := range m.headers {
		name := strings.ToLower(h.name)
		switch prev := hs[name].(type) {
		case nil:
			hs[name] = h.value
		case string:
			hs[name] = []string{prev, h.value}
		case []string:
			hs[name] = append(prev, h.value)
		}
	}
	out := map[string]any{"headers": hs}
	if m.timestamp != "" {
		out["timestamp"] = m.timestamp
	}
	if m.sender != "" {
		out["sender"] = m.sender
	}
	out["recipients"] = append([]string{}, m.recipients...)
	if m.subject != "" {
		out["subject"] = m.subject
	}
	if m.messageID != "" {
		out["message_id"] = m.messageID
	}
	if len(opts.AcceptedDomains) > 0 {
		internal := func(addr string) bool {
			at := strings.LastIndexByte(addr, '@')
			return at >= 0 && slices.ContainsFunc(opts.AcceptedDomains, func(d string) bool {
				return strings.EqualFold(addr[at+1:], strings.TrimPrefix(d, "@"))
			})
		}
		external := slices.ContainsFunc(m.recipients, func(r string) bool { return !internal(r) })
		out["has_external_recipient"] = external
		switch {
		case m.sender == "":
		case !internal(m.sender):
			out["direction"] = "inbound"
		case external:
			out["direction"] = "outbound"
		default:
			out["direction"] = "internal"
		}
	}
	if app, ok := hs["x-ms-mail-application"].(string); ok {
		if sm := workflowID.FindStringSubmatch(app); sm != nil {
			out["ms_mail_workflow_id"] = strings.ToLower(sm[1])
		}
	}
	return json.Marshal(out)
}

// fromHeaders fills the envelope fields of m from its header fields (From, To, Cc, Bcc, Date,
// Subject, Message-ID). Addresses that do not parse are reported through bad.
func (m *mailRecord) fromHeaders(bad func(format string, args ...any)) {
	get := func(name string) (string, bool) {
		for _, h := range m.headers {
			if strings.EqualFold(h.name, name) {
				return h.value, true
			}
		}
		return "", false
	}
	dec := new(mime.WordDecoder)
	if v, ok := get("From"); ok {
		if a, err := mail.ParseAddress(v); err == nil {
			m.sender = a.Address
		} else {
			bad("From: %v", err)
		}
	}
	for _, name := range []string{"To", "Cc", "Bcc"} {
		for _, h := range m.headers {
			if !strings.EqualFold(h.name, name) || strings.TrimSpace(h.value) == "" {
				continue
			}
			list, err := mail.ParseAddressList(h.value)
			if err != nil {
				bad("%s: %v", name, err)
				continue
			}
			for _, a := range list {
				m.recipients = append(m.recipients, a.Address)
			}
		}
	}
	if v, ok := get("Date"); ok {
		if t, err := mail.ParseDate(v); err == nil {
			m.timestamp = t.UTC().Format(time.RFC3339)
		} else {
			bad("Date: %v", err)
		}
	}
	if v, ok := get("Subject"); ok {
		if d, err := dec.DecodeHeader(v); err == nil {
			v = d
		}
		m.subject = v
	}
	if v, ok := get("Message-ID"); ok {
		m.messageID = strings.TrimSpace(v)
	}
}

// unfold removes the line breaks of a folded header value (a CRLF or LF followed by white
// space; the white space stays, as RFC 5322 section 2.2.3 says) and trims the result.
func unfold(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c == '\r' && i+1 < len(v) && v[i+1] == '\n' {
				continue
			}
			if c == '\n' {
				continue
			}
			b.WriteByte(c)
		}
		v = b.String()
	}
	return strings.TrimSpace(v)
}

// readEML reads RFC 5322 messages: one message, or an mbox (a file whose first line starts
// with "From ") whose messages each start after a "From " line that follows a blank line.
// Each message's header block becomes one record; bodies are skipped.
func readEML(r *bufio.Reader, c *collector, opts Options, emit func(Record) error) error {
	var (
		cur       *mailRecord
		start     int
		inHeader  bool
		mbox      bool
		prevBlank = true
		lineNo    int
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		msg := cur
		cur = nil
		if msg.skip {
			return nil
		}
		if len(msg.headers) == 0 {
			// An mbox "From " line that ends the input starts a message on no line.
			c.add(min(start, lineNo), "message has no header fields")
			return nil
		}
		for i := range msg.headers {
			h := &msg.headers[i]
			if len(h.folded) > 0 {
				h.value = h.value + "\n" + strings.Join(h.folded, "\n")
				h.folded = nil
			}
			h.value = unfold(h.value)
		}
		msg.fromHeaders(func(format string, args ...any) { c.add(start, format, args...) })
		b, err := msg.json(opts)
		if err != nil {
			c.add(start, "%v", err)
			return nil
		}
		return emit(Record{File: c.file, Line: start, JSON: b})
	}
	headerLine := func(line string) {
		if line == "" {
			inHeader = false
			return
		}
		if cur.skip {
			return
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n := len(cur.headers); n > 0 {
				cur.headers[n-1].folded = append(cur.headers[n-1].folded, line)
			} else {
				c.add(lineNo, "continuation line before any header field")
			}
			return
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || strings.ContainsAny(line[:colon], " \t") {
			c.add(lineNo, "not a header field (a name followed by a colon): %q", truncate(line, 60))
			return
		}
		cur.headers = append(cur.headers, header{name: line[:colon], value: line[colon+1:]})
	}
	limit := opts.MaxRecordBytes
	if limit <= 0 {
		limit = DefaultMaxRecordBytes
	}
	size := 0 // bytes of the current header block
	for {
		raw, long, err := readMailLine(r, cur != nil && inHeader || cur == nil, 64<<10)
		if long {
			c.add(lineNo+1, "line longer than %d bytes: cut there", 64<<10)
		}
		if cur != nil && inHeader {
			if size += len(raw); size > limit {
				if !cur.skip {
					c.add(start, "header block larger than %d bytes: message skipped", limit)
				}
				cur.skip, cur.headers = true, nil
			}
		} else {
			size = 0
		}
		if len(raw) > 0 {
			lineNo++
			if lineNo == 1 {
				raw = strings.TrimPrefix(raw, "\ufeff")
				mbox = strings.HasPrefix(raw, "From ")
			}
			line := strings.TrimRight(raw, "\r\n")
			switch {
			case mbox && prevBlank && strings.HasPrefix(line, "From ") && (cur == nil || !inHeader):
				if e := flush(); e != nil {
					return e
				}
				cur, start, inHeader = &mailRecord{}, lineNo+1, true
			case cur == nil:
				if strings.TrimSpace(line) != "" {
					cur, start, inHeader = &mailRecord{}, lineNo, true
					headerLine(line)
				}
			case inHeader:
				headerLine(line)
			}
			prevBlank = line == ""
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return flush()
}

// readMailLine reads one line of r. A line longer than max is returned cut at max (long
// is true) and the rest of it skipped; when keep is false the line is not needed and only
// its first bytes are returned.
func readMailLine(r *bufio.Reader, keep bool, max int) (line string, long bool, err error) {
	b, err := r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return string(b), false, err
	}
	var acc []byte
	if keep {
		acc = append(acc, b...)
	} else {
		acc = append(acc, b[:min(len(b), 8)]...)
	}
	for err == bufio.ErrBufferFull {
		b, err = r.ReadSlice('\n')
		if keep && len(acc) < max {
			acc = append(acc, b[:min(len(b), max-len(acc))]...)
		}
	}
	if len(acc) >= max && keep {
		return string(acc) + "\n", true, err
	}
	if !keep {
		return string(acc) + "\n", false, err
	}
	return string(acc), false, err
}

// truncate shortens s to n bytes for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// graphMessage is the part of a Microsoft Graph message resource the record is built from.
type graphMessage struct {
	Subject           *string        `json:"subject"`
	InternetMessageID string         `json:"internetMessageId"`
	SentDateTime      string         `json:"sentDateTime"`
	ReceivedDateTime  string         `json:"receivedDateTime"`
	From              *graphAddress  `json:"from"`
	ToRecipients      []graphAddress `json:"toRecipients"`
	CcRecipients      []graphAddress `json:"ccRecipients"`
	BccRecipients     []graphAddress `json:"bccRecipients"`
	Headers           []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"internetMessageHeaders"`
}

type graphAddress struct {
	EmailAddress struct {
		Address string `json:"address"`
	} `json:"emailAddress"`
}

// graphRecord builds the record of one Graph message resource.
func graphRecord(raw []byte, line, index int, c *collector, opts Options, emit func(Record) error) error {
	var gm graphMessage
	if err := json.Unmarshal(raw, &gm); err != nil {
		c.add(line, "Graph message: %v", err)
		return nil
	}
	if gm.Headers == nil {
		c.add(line, "Graph message has no internetMessageHeaders (request it with $select=internetMessageHeaders)")
		return nil
	}
	m := mailRecord{}
	for _, h := range gm.Headers {
		m.headers = append(m.headers, header{name: h.Name, value: unfold(h.Value)})
	}
	m.fromHeaders(func(format string, args ...any) { c.add(line, format, args...) })
	// The resource's own fields are authoritative where present.
	if gm.From != nil && gm.From.EmailAddress.Address != "" {
		m.sender = gm.From.EmailAddress.Address
	}
	var rcpts []string
	for _, list := range [][]graphAddress{gm.ToRecipients, gm.CcRecipients, gm.BccRecipients} {
		for _, a := range list {
			if a.EmailAddress.Address != "" {
				rcpts = append(rcpts, a.EmailAddress.Address)
			}
		}
	}
	if len(rcpts) > 0 {
		m.recipients = rcpts
	}
	if gm.Subject != nil {
		m.subject = *gm.Subject
	}
	if gm.InternetMessageID != "" {
		m.messageID = gm.InternetMessageID
	}
	for _, ts := range []string{gm.SentDateTime, gm.ReceivedDateTime} {
		if t, err := time.Parse(time.RFC3339, ts); err == nil {
			m.timestamp = t.UTC().Format(time.RFC3339)
			break
		}
	}
	b, err := m.json(opts)
	if err != nil {
		c.add(line, "%v", err)
		return nil
	}
	return emit(Record{File: c.file, Line: line, JSON: b, Index: index})
}
