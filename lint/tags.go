package lint

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// tag is one entry of a rule's tags list.
type tag struct {
	node      *yaml.Node
	namespace string
	name      string
}

func tags(d *document) []tag {
	n := d.value("tags")
	if n == nil {
		return nil
	}
	var list []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		list = n.Content
	case yaml.ScalarNode:
		if n.Tag != "!!null" {
			list = []*yaml.Node{n}
		}
	}
	var out []tag
	for _, c := range list {
		c = sigma.Resolve(c)
		if c.Kind != yaml.ScalarNode {
			continue
		}
		ns, name, _ := strings.Cut(c.Value, ".")
		out = append(out, tag{c, ns, name})
	}
	return out
}

var tagFormatRe = regexp.MustCompile(`^[a-z0-9_-]+\.[a-z0-9._-]+$`)

func checkTagFormat(d *document, r *reporter) {
	if n := d.value("tags"); n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		r.at(n, "tags must be a list")
	}
	for _, t := range tags(d) {
		if !tagFormatRe.MatchString(t.node.Value) {
			hint := ""
			if low := strings.ToLower(t.node.Value); low != t.node.Value && tagFormatRe.MatchString(low) {
				hint = "; write " + quote(low)
			}
			r.at(t.node, "the tag %s is not namespace.name in lower-case letters, digits, '-', '_' and '.'%s", quote(t.node.Value), hint)
		}
	}
}

// attackTactics are the ATT&CK tactic names (Enterprise, including the v18 split of
// defense-evasion into stealth and defense-impairment, and ICS), as Sigma tags write them.
var attackTactics = map[string]bool{
	"reconnaissance": true, "resource-development": true, "initial-access": true, "execution": true,
	"persistence": true, "privilege-escalation": true, "defense-evasion": true, "stealth": true,
	"defense-impairment": true, "credential-access": true, "discovery": true, "lateral-movement": true,
	"collection": true, "command-and-control": true, "exfiltration": true, "impact": true,
	"evasion": true, "inhibit-response-function": true, "impair-process-control": true,
}

// attackIDRe matches technique (t1234, t1234.001), group (g1234), software (s1234),
// mitigation (m1234), data source (ds0005) and tactic (ta0002) ids.
var attackIDRe = regexp.MustCompile(`^(t\d{4}(\.\d{3})?|[gsm]\d{4}|ds\d{4}|ta\d{4})$`)

func checkATTACKTags(d *document, r *reporter) {
	for _, t := range tags(d) {
		if t.namespace != "attack" || !tagFormatRe.MatchString(t.node.Value) {
			continue
		}
		if attackTactics[t.name] || attackIDRe.MatchString(t.name) {
			continue
		}
		if dashed := strings.ReplaceAll(t.name, "_", "-"); attackTactics[dashed] {
			r.at(t.node, "the tag %s is not an ATT&CK tactic; write %s", quote(t.node.Value), quote("attack."+dashed))
			continue
		}
		r.at(t.node, "the tag %s is neither an ATT&CK tactic (attack.execution) nor a technique, group, software or mitigation id (attack.t1648, attack.t1059.001)", quote(t.node.Value))
	}
}

var tagNamespaces = map[string]bool{"attack": true, "car": true, "cve": true, "d3fend": true, "detection": true, "stp": true, "tlp": true}

func checkTagNamespace(d *document, r *reporter) {
	for _, t := range tags(d) {
		if !tagFormatRe.MatchString(t.node.Value) {
			continue
		}
		if !tagNamespaces[t.namespace] {
			r.at(t.node, "the tag namespace %s of %s is not one of attack, car, cve, d3fend, detection, stp, tlp", quote(t.namespace), quote(t.node.Value))
		}
	}
}

// tagValueRules give the form of a tag name in namespaces with a fixed format.
var tagValueRules = map[string]struct {
	re   *regexp.Regexp
	form string
}{
	"car":       {regexp.MustCompile(`^\d{4}-\d{2}-\d{3}$`), "car.YYYY-MM-NNN (car.2016-04-005)"},
	"cve":       {regexp.MustCompile(`^\d{4}-\d{4,}$`), "cve.YYYY-NNNN (cve.2021-44228)"},
	"detection": {regexp.MustCompile(`^(dfir|emerging-threats|threat-hunting)$`), "detection.dfir, detection.emerging-threats or detection.threat-hunting"},
	"stp":       {regexp.MustCompile(`^[1-5][auk]?$`), "stp.1 to stp.5, optionally followed by a, u or k"},
	"tlp":       {regexp.MustCompile(`^(clear|white|green|amber|amber-strict|red)$`), "tlp.clear, tlp.white, tlp.green, tlp.amber, tlp.amber-strict or tlp.red"},
}

func checkTagValues(d *document, r *reporter) {
	for _, t := range tags(d) {
		rule, ok := tagValueRules[t.namespace]
		if !ok || !tagFormatRe.MatchString(t.node.Value) {
			continue
		}
		if !rule.re.MatchString(t.name) {
			r.at(t.node, "the tag %s is not of the form %s", quote(t.node.Value), rule.form)
		}
	}
}

func checkDuplicateTags(d *document, r *reporter) {
	reportDuplicateScalars(d, r, "tags", "tag", strings.ToLower)
}
