package esclient

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes is Elasticsearch's limit on an index name (255 bytes).
const maxNameBytes = 255

// forbiddenNameChars are the characters Elasticsearch refuses in index, alias and data-stream
// names. Several of them also end or split a URL path (/, ?, #, \, space): a name that
// holds one could address another API (`x/_close#` would send POST /x/_close).
const forbiddenNameChars = `\/?"<>|# `

// CheckIndexPattern reports whether pattern can be searched: a comma-separated list of index,
// alias or data-stream names and wildcard patterns (`logs-*`), a later element optionally
// excluded with a leading `-`, an element optionally prefixed by a remote cluster (`c:logs-*`),
// or `_all`. It refuses, with an ErrInvalidIndex naming the element and the reason, whatever
// Elasticsearch would not accept as a name (see forbiddenNameChars; a leading _, + or -;
// . and ..; empty elements; names over 255 bytes), control characters and invalid UTF-8, and
// date math (`<logs-{now/d}>`), which it does not support.
func CheckIndexPattern(pattern string) error {
	if pattern == "_all" {
		return nil
	}
	if pattern == "" {
		return invalidIndex(pattern, "the name is empty")
	}
	for i, name := range strings.Split(pattern, ",") {
		if err := checkName(pattern, name, i > 0); err != nil {
			return err
		}
	}
	return nil
}

func checkName(pattern, name string, exclusionOK bool) error {
	el := ""
	if name != pattern {
		el = fmt.Sprintf("element %q: ", name)
	}
	if name == "" {
		return invalidIndex(pattern, "an empty name in the comma-separated list")
	}
	if len(name) > maxNameBytes {
		return invalidIndex(pattern, fmt.Sprintf("%sa name is at most %d bytes long, this one has %d", el, maxNameBytes, len(name)))
	}
	if !utf8.ValidString(name) {
		return invalidIndex(pattern, el+"the name is not valid UTF-8")
	}
	for _, r := range name {
		switch {
		case r == '<' || r == '>':
			return invalidIndex(pattern, el+"date math (<...>) is not supported; name the indexes or use a wildcard")
		case strings.ContainsRune(forbiddenNameChars, r):
			return invalidIndex(pattern, fmt.Sprintf(`%sElasticsearch names cannot contain %q (nor any of \ / ? " < > | # or a space)`, el, r))
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return invalidIndex(pattern, fmt.Sprintf("%sthe name contains the control or format character %+q", el, r))
		}
	}
	local := name
	if exclusionOK && strings.HasPrefix(local, "-") {
		local = local[1:] // -logs-secret excludes what earlier wildcards matched
	}
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		if i == 0 {
			return invalidIndex(pattern, el+"an empty remote cluster name before ':'")
		}
		local = local[i+1:] // remote:logs-*
	}
	switch {
	case local == "":
		return invalidIndex(pattern, el+"the name is empty")
	case local == "." || local == "..":
		return invalidIndex(pattern, fmt.Sprintf("%sthe name cannot be %q", el, local))
	case strings.HasPrefix(local, "_") || strings.HasPrefix(local, "-") || strings.HasPrefix(local, "+"):
		return invalidIndex(pattern, fmt.Sprintf("%sa name cannot start with %q", el, local[:1]))
	}
	return nil
}

func invalidIndex(pattern, reason string) *Error {
	return &Error{Kind: ErrInvalidIndex, Index: pattern, Reason: reason}
}

// pathList checks an index pattern (CheckIndexPattern) and returns its elements escaped as
// path segments. esapi writes its path parameters into the URL as they are (api.search.go
// joins the index list with commas and writes it between slashes), so this is the only
// escaping they get.
func pathList(pattern string) ([]string, error) {
	if err := CheckIndexPattern(pattern); err != nil {
		return nil, err
	}
	names := strings.Split(pattern, ",")
	for i, n := range names {
		names[i] = pathEscape(n)
	}
	return names, nil
}

// pathNames checks names one by one (each with CheckIndexPattern) and escapes each one.
func pathNames(names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		if err := CheckIndexPattern(n); err != nil {
			return nil, err
		}
		out[i] = pathEscape(n)
	}
	return out, nil
}

// pathEscape percent-encodes one path segment. '*' stays readable (RFC 3986 allows it in a
// segment); '%', legal in an index name, is encoded like everything else that is not plain,
// and Elasticsearch decodes each segment after splitting the path.
func pathEscape(name string) string {
	return strings.ReplaceAll(url.PathEscape(name), "%2A", "*")
}
