package lint

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

func checkRequiredFields(d *document, r *reporter) {
	var required []string
	switch d.kind {
	case kindRule:
		required = []string{"title", "logsource", "detection"}
	case kindCorrelation:
		required = []string{"title", "correlation"}
	case kindFilter:
		required = []string{"title", "logsource", "filter"}
	}
	for _, key := range required {
		n := d.value(key)
		switch {
		case n == nil || n.Tag == "!!null":
			r.at(d.Key(key), "the rule has no %s", key)
		case key == "title" && (n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == ""):
			r.at(n, "the title is empty or not a string")
		}
	}
}

func checkLegacyDocument(d *document, r *reporter) {
	if a := d.Key("action"); a != nil {
		r.at(a, "`action: %s` is the Sigma 1 multi-document form, which is not Sigma 2; merge the documents of this file into one rule", d.Value("action").Value)
	}
}

// checkDuplicateKeys walks every mapping of the document.
func checkDuplicateKeys(d *document, r *reporter) {
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			seen := map[string]int{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml.ScalarNode && k.Value != "<<" {
					if first, dup := seen[k.Value]; dup {
						r.at(k, "the key %s is defined twice (first on line %d); YAML keeps only one of them", quote(k.Value), first)
					} else {
						seen[k.Value] = k.Line
					}
				}
				walk(n.Content[i+1])
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	walk(d.Node)
}

func checkMissingID(d *document, r *reporter) {
	if d.id == "" {
		r.at(nil, "the rule has no id; give it a UUID so it can be referenced and tracked")
	}
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func checkIDFormat(d *document, r *reporter) {
	n := d.value("id")
	if n == nil || n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.ScalarNode || !uuidRe.MatchString(n.Value) {
		r.at(n, "the id %s is not a UUID", quote(n.Value))
	}
}

// firstSeen remembers the first document with a given key, for duplicate checks.
type firstSeen struct {
	doc  *document
	line int
}

func checkDuplicateIDs(docs []*document, r *reporter) {
	seen := map[string]firstSeen{}
	for _, d := range docs {
		if d.id == "" || d.kind == kindLegacy {
			continue
		}
		key := strings.ToLower(d.id)
		n := d.value("id")
		if f, dup := seen[key]; dup {
			r.about(d).at(n, "the id %s is also the id of %s", d.id, where(f))
			continue
		}
		seen[key] = firstSeen{d, n.Line}
	}
}

func checkDuplicateTitles(docs []*document, r *reporter) {
	seen := map[string]firstSeen{}
	for _, d := range docs {
		title := strings.TrimSpace(d.scalar("title"))
		if title == "" || d.kind == kindLegacy {
			continue
		}
		key := strings.ToLower(title)
		n := d.value("title")
		if f, dup := seen[key]; dup {
			r.about(d).at(n, "the title %s is also the title of %s; a SIEM names its alerts by title", quote(title), where(f))
			continue
		}
		seen[key] = firstSeen{d, n.Line}
	}
}

// where describes the place of an earlier document.
func where(f firstSeen) string {
	return "the rule at " + f.doc.path + ":" + strconv.Itoa(f.line)
}

func checkDuplicateFilenames(docs []*document, r *reporter) {
	first := map[string]*document{}
	reported := map[string]bool{}
	for _, d := range docs {
		base := path.Base(slashPath(d.path))
		f, dup := first[base]
		switch {
		case !dup:
			first[base] = d
		case f.path != d.path && !reported[d.path]:
			reported[d.path] = true
			r.about(d).at(nil, "the file name %s is also used by %s", base, f.path)
		}
	}
}

func checkFilenameLength(docs []*document, r *reporter) {
	seen := map[string]bool{}
	for _, d := range docs {
		if seen[d.path] {
			continue
		}
		seen[d.path] = true
		base := path.Base(slashPath(d.path))
		if n := utf8.RuneCountInString(base); n < 10 || n > 90 {
			r.about(d).at(nil, "the file name %s has %d characters; use 10 to 90", base, n)
		}
	}
}

func slashPath(p string) string { return strings.ReplaceAll(p, "\\", "/") }

func checkMissingStatus(d *document, r *reporter) {
	if d.scalar("status") == "" {
		r.at(nil, "the rule has no status")
	}
}

var statuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}

func checkStatusValue(d *document, r *reporter) {
	checkEnum(d, r, "status", statuses)
}

func checkUnsupportedStatus(d *document, r *reporter) {
	if d.scalar("status") == "unsupported" {
		r.at(d.value("status"), "the rule has status unsupported: it cannot be used as it is")
	}
}

func checkMissingLevel(d *document, r *reporter) {
	if d.scalar("level") == "" {
		r.at(nil, "the rule has no level")
	}
}

var levels = []string{"informational", "low", "medium", "high", "critical"}

func checkLevelValue(d *document, r *reporter) {
	checkEnum(d, r, "level", levels)
}

func checkEnum(d *document, r *reporter, key string, allowed []string) {
	n := d.value(key)
	if n == nil || n.Tag == "!!null" {
		return
	}
	if n.Kind == yaml.ScalarNode {
		for _, a := range allowed {
			if n.Value == a {
				return
			}
		}
		for _, a := range allowed {
			if strings.EqualFold(strings.TrimSpace(n.Value), a) {
				r.at(n, "%s %s must be written %s", key, quote(n.Value), a)
				return
			}
		}
	}
	r.at(n, "%s %s is not one of %s", key, quote(n.Value), strings.Join(allowed, ", "))
}

func checkMissingDate(d *document, r *reporter) {
	if d.scalar("date") == "" {
		r.at(nil, "the rule has no date")
	}
}

// parseDate parses a YYYY-MM-DD date exactly (no other layout, no time).
func parseDate(s string) (time.Time, bool) {
	if len(s) != len("2006-01-02") {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

func checkDateFormat(d *document, r *reporter) {
	for _, key := range []string{"date", "modified"} {
		n := d.value(key)
		if n == nil || n.Tag == "!!null" {
			continue
		}
		if n.Kind != yaml.ScalarNode {
			r.at(n, "%s must be a date written YYYY-MM-DD", key)
			continue
		}
		if _, ok := parseDate(n.Value); !ok {
			r.at(n, "%s %s is not a calendar date written YYYY-MM-DD", key, quote(n.Value))
		}
	}
}

func checkModifiedBeforeDate(d *document, r *reporter) {
	date, ok1 := parseDate(d.scalar("date"))
	mod, ok2 := parseDate(d.scalar("modified"))
	if ok1 && ok2 && mod.Before(date) {
		r.at(d.value("modified"), "modified %s is earlier than date %s", d.scalar("modified"), d.scalar("date"))
	}
}

func checkMissingDescription(d *document, r *reporter) {
	if strings.TrimSpace(d.scalar("description")) == "" {
		r.at(nil, "the rule has no description")
	}
}

func checkShortDescription(d *document, r *reporter) {
	desc := strings.TrimSpace(d.scalar("description"))
	if n := utf8.RuneCountInString(desc); n > 0 && n < 16 {
		r.at(d.value("description"), "the description %s says too little (%d characters; write at least 16)", quote(desc), n)
	}
}

func checkDuplicateReferences(d *document, r *reporter) {
	reportDuplicateScalars(d, r, "references", "reference", func(s string) string { return s })
}

// reportDuplicateScalars reports the second and later occurrences of a value in the
// list under key, compared through norm.
func reportDuplicateScalars(d *document, r *reporter, key, what string, norm func(string) string) {
	n := d.value(key)
	if n == nil || n.Kind != yaml.SequenceNode {
		return
	}
	first := map[string]int{}
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			continue
		}
		k := norm(c.Value)
		if line, dup := first[k]; dup {
			r.at(c, "the %s %s is already listed on line %d", what, quote(c.Value), line)
			continue
		}
		first[k] = c.Line
	}
}

var relationTypes = map[string]bool{"derived": true, "obsolete": true, "merged": true, "renamed": true, "similar": true}

func checkRelated(d *document, r *reporter) {
	n := d.value("related")
	if n == nil || n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		r.at(n, "related must be a list of {id, type} entries")
		return
	}
	for _, e := range n.Content {
		e = sigma.Resolve(e)
		if e.Kind != yaml.MappingNode {
			r.at(e, "each related entry must be a mapping with id and type")
			continue
		}
		var id, typ *yaml.Node
		for i := 0; i+1 < len(e.Content); i += 2 {
			switch e.Content[i].Value {
			case "id":
				id = e.Content[i+1]
			case "type":
				typ = e.Content[i+1]
			}
		}
		switch {
		case id == nil:
			r.at(e, "the related entry has no id")
		case id.Kind != yaml.ScalarNode || !uuidRe.MatchString(id.Value):
			r.at(id, "the related id %s is not a UUID", quote(id.Value))
		}
		switch {
		case typ == nil:
			r.at(e, "the related entry has no type")
		case !relationTypes[typ.Value]:
			r.at(typ, "the related type %s is not one of derived, obsolete, merged, renamed, similar", quote(typ.Value))
		}
	}
}

// standardAttributes are the top-level keys Sigma defines for rules, correlations and
// filters.
var standardAttributes = []string{
	"title", "id", "name", "status", "description", "author", "date", "modified", "level",
	"references", "tags", "falsepositives", "fields", "logsource", "detection", "related",
	"license", "taxonomy", "scope", "correlation", "filter", "generate",
}

func checkMisspelledAttributes(d *document, r *reporter) {
	std := map[string]bool{}
	for _, a := range standardAttributes {
		std[a] = true
	}
	for _, kv := range d.Entries {
		k := kv.Key.Value
		if std[k] {
			continue
		}
		for _, a := range standardAttributes {
			if dist := editDistance(strings.ToLower(k), a); dist <= 2 && dist < len(a)/2 {
				r.at(kv.Key, "the key %s is not a Sigma attribute and is ignored; did you mean %s?", quote(k), quote(a))
				break
			}
		}
	}
}

// editDistance is the Levenshtein distance between a and b, counting an adjacent
// transposition as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

var logsourceKeys = map[string]bool{"category": true, "product": true, "service": true, "definition": true}

func checkLogsourceFields(d *document, r *reporter) {
	ls := d.value("logsource")
	if ls == nil || ls.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(ls.Content); i += 2 {
		k := ls.Content[i]
		if !logsourceKeys[k.Value] {
			r.at(k, "logsource key %s is not category, product, service or definition; backends and pipelines ignore it", quote(k.Value))
		}
	}
}

// genericCategories maps event ids of specific Windows log sources to the generic
// log source category of the Sigma taxonomy that covers them (Sysmon's event types, and
// Security 4688). Sysmon events without a category in use (27, 28) are left out.
var genericCategories = map[string]map[int]string{
	"sysmon": {
		1: "process_creation", 2: "file_change", 3: "network_connection", 4: "sysmon_status",
		5: "process_termination", 6: "driver_load", 7: "image_load", 8: "create_remote_thread",
		9: "raw_access_thread", 10: "process_access", 11: "file_event",
		12: "registry_add or registry_delete", 13: "registry_set", 14: "registry_rename",
		15: "create_stream_hash", 16: "sysmon_status", 17: "pipe_created", 18: "pipe_created",
		19: "wmi_event", 20: "wmi_event", 21: "wmi_event", 22: "dns_query", 23: "file_delete",
		24: "clipboard_capture", 25: "process_tampering", 26: "file_delete_detected",
		29: "file_executable_detected", 255: "sysmon_error",
	},
	"security": {4688: "process_creation"},
}

func checkGenericLogsource(d *document, r *reporter) {
	ls := d.value("logsource")
	if ls == nil || ls.Kind != yaml.MappingNode {
		return
	}
	m := map[string]string{}
	for i := 0; i+1 < len(ls.Content); i += 2 {
		m[ls.Content[i].Value] = ls.Content[i+1].Value
	}
	if m["product"] != "windows" || m["category"] != "" {
		return
	}
	ids := genericCategories[m["service"]]
	if ids == nil {
		return
	}
	for _, it := range d.items {
		if it.Field != "EventID" || len(it.Modifiers) > 0 {
			continue
		}
		for _, v := range it.values {
			if v.Tag != "!!int" {
				continue
			}
			id, err := strconv.Atoi(v.Value)
			if err != nil {
				continue
			}
			if cat, ok := ids[id]; ok {
				r.at(v, "EventID %s of windows/%s is covered by the generic log source category %s; use it instead", v.Value, m["service"], cat)
			}
		}
	}
}
