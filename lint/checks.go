package lint

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Check is one named lint check.
type Check struct {
	// Name is stable: it is printed with every finding and accepted by --disable.
	Name string
	// Severity applies to every finding of the check.
	Severity diag.Severity
	// Summary says in one line what the check reports.
	Summary string
	// Loader is true for the loader's own diagnostic codes, reported as checks.
	Loader bool

	// kinds are the document kinds a per-document check applies to.
	kinds docKind
	// document checks one document.
	document func(d *document, r *reporter)
	// batch compares documents across the whole run.
	batch func(docs []*document, r *reporter)
	// covers lists loader codes this check reports at the same position, more
	// completely; a loader diagnostic with such a code at the place of one of the
	// check's findings is dropped.
	covers []string
}

func (c *Check) appliesTo(k docKind) bool { return c.kinds&k != 0 }

// registry holds every check, in the order they are listed.
var registry = []*Check{
	// Rule identity and metadata.
	{Name: "required-field", Severity: diag.Error, kinds: kindAny, document: checkRequiredFields, covers: []string{diag.RuleStructure},
		Summary: "a rule has title, logsource and detection (a correlation: title and correlation; a filter: title, logsource and filter)"},
	{Name: "duplicate-key", Severity: diag.Error, kinds: kindAny, document: checkDuplicateKeys, covers: []string{diag.RuleStructure},
		Summary: "a mapping defines the same key twice, so one definition silently replaces the other"},
	{Name: "legacy-document", Severity: diag.Error, kinds: kindLegacy, document: checkLegacyDocument, covers: []string{diag.RuleStructure},
		Summary: "the file is a Sigma 1 multi-document rule (action: global); Sigma 2 rules are single documents"},
	{Name: "missing-id", Severity: diag.Warning, kinds: kindAny, document: checkMissingID,
		Summary: "the rule has no id"},
	{Name: "invalid-id", Severity: diag.Error, kinds: kindAny, document: checkIDFormat,
		Summary: "the id is not a UUID (8-4-4-4-12 hexadecimal digits)"},
	{Name: "duplicate-id", Severity: diag.Error, batch: checkDuplicateIDs,
		Summary: "two rules of the batch have the same id"},
	{Name: "duplicate-title", Severity: diag.Error, batch: checkDuplicateTitles,
		Summary: "two rules of the batch have the same title (compared case-insensitively)"},
	{Name: "duplicate-filename", Severity: diag.Warning, batch: checkDuplicateFilenames,
		Summary: "two rule files in different directories have the same file name"},
	{Name: "filename-length", Severity: diag.Warning, batch: checkFilenameLength,
		Summary: "the file name is shorter than 10 or longer than 90 characters"},
	{Name: "missing-status", Severity: diag.Warning, kinds: kindRule, document: checkMissingStatus,
		Summary: "the rule has no status"},
	{Name: "status-value", Severity: diag.Error, kinds: kindAny, document: checkStatusValue,
		Summary: "status is not one of stable, test, experimental, deprecated, unsupported"},
	{Name: "unsupported-status", Severity: diag.Warning, kinds: kindAny, document: checkUnsupportedStatus,
		Summary: "the rule has status unsupported: it cannot be used in its current state"},
	{Name: "missing-level", Severity: diag.Warning, kinds: kindRule | kindCorrelation, document: checkMissingLevel,
		Summary: "the rule has no level"},
	{Name: "level-value", Severity: diag.Error, kinds: kindAny, document: checkLevelValue,
		Summary: "level is not one of informational, low, medium, high, critical"},
	{Name: "missing-date", Severity: diag.Warning, kinds: kindAny, document: checkMissingDate,
		Summary: "the rule has no date"},
	{Name: "date-format", Severity: diag.Error, kinds: kindAny, document: checkDateFormat,
		Summary: "date or modified is not a calendar date written YYYY-MM-DD"},
	{Name: "modified-before-date", Severity: diag.Warning, kinds: kindAny, document: checkModifiedBeforeDate,
		Summary: "modified is earlier than date"},
	{Name: "missing-description", Severity: diag.Warning, kinds: kindAny, document: checkMissingDescription,
		Summary: "the rule has no description"},
	{Name: "short-description", Severity: diag.Warning, kinds: kindAny, document: checkShortDescription,
		Summary: "the description is shorter than 16 characters"},
	{Name: "duplicate-reference", Severity: diag.Warning, kinds: kindAny, document: checkDuplicateReferences,
		Summary: "the same reference is listed twice"},
	{Name: "related-value", Severity: diag.Error, kinds: kindAny, document: checkRelated,
		Summary: "a related entry lacks a UUID id or a type among derived, obsolete, merged, renamed, similar"},
	{Name: "misspelled-attribute", Severity: diag.Warning, kinds: kindAny, document: checkMisspelledAttributes,
		Summary: "a top-level key is a near miss of a Sigma attribute (reference, falsepositive, realted...) and is ignored"},
	{Name: "logsource-field", Severity: diag.Warning, kinds: kindRule | kindFilter, document: checkLogsourceFields,
		Summary: "logsource has a key other than category, product, service and definition"},
	{Name: "generic-logsource", Severity: diag.Warning, kinds: kindRule, document: checkGenericLogsource,
		Summary: "a Sysmon or Security EventID selects events that have a generic log source category"},

	// Tags.
	{Name: "tag-format", Severity: diag.Error, kinds: kindAny, document: checkTagFormat,
		Summary: "a tag is not namespace.name in lower-case letters, digits, '-', '_' and '.'"},
	{Name: "attack-tag", Severity: diag.Error, kinds: kindAny, document: checkATTACKTags,
		Summary: "an attack.* tag is neither an ATT&CK tactic name nor a technique (t1234, t1234.001), group, software or mitigation id"},
	{Name: "tag-namespace", Severity: diag.Warning, kinds: kindAny, document: checkTagNamespace,
		Summary: "a tag namespace is not one of attack, car, cve, d3fend, detection, stp, tlp"},
	{Name: "tag-value", Severity: diag.Warning, kinds: kindAny, document: checkTagValues,
		Summary: "a car, cve, detection, stp or tlp tag has a malformed name"},
	{Name: "duplicate-tag", Severity: diag.Warning, kinds: kindAny, document: checkDuplicateTags,
		Summary: "the same tag is listed twice"},

	// Detection and condition.
	{Name: diag.UnknownIdentifier, Severity: diag.Error, kinds: kindRule, document: checkUnknownIdentifiers,
		Summary: "the condition names a search the detection does not define (every occurrence)"},
	{Name: diag.NoMatchingSearch, Severity: diag.Error, kinds: kindRule, document: checkUnmatchedPatterns,
		Summary: "an `x of pattern` or `x of them` in the condition matches no search (every occurrence)"},
	{Name: "dangling-search", Severity: diag.Error, kinds: kindRule, document: checkDanglingSearches,
		Summary: "a search is defined but no condition uses it"},
	{Name: "all-of-them", Severity: diag.Warning, kinds: kindRule, document: checkAllOfThem,
		Summary: "`all of them` changes meaning whenever a search is added; name the searches (all of selection*)"},
	{Name: "them-single-search", Severity: diag.Warning, kinds: kindRule, document: checkThemSingleSearch,
		Summary: "`1 of them` or `all of them` where `them` is a single search; name it"},
	{Name: "condition-operator-case", Severity: diag.Warning, kinds: kindRule, document: checkOperatorCase,
		Summary: "a condition operator (and, or, not, of, them, all, any) is not lower case, which other Sigma tools reject"},

	// Values and modifiers.
	{Name: "wildcard-instead-of-modifier", Severity: diag.Warning, kinds: kindRule, document: checkWildcardsInsteadOfModifiers,
		Summary: "every value is *x*, *x or x* where |contains, |endswith or |startswith says it"},
	{Name: "escaped-wildcard", Severity: diag.Warning, kinds: kindRule, document: checkEscapedWildcards,
		Summary: "a value has \\* or \\?, a literal star or question mark; make sure no wildcard was meant (C:\\Users\\*)"},
	{Name: "double-wildcard", Severity: diag.Warning, kinds: kindRule, document: checkDoubleWildcards,
		Summary: "a value has ** (two consecutive * wildcards)"},
	{Name: "number-as-string", Severity: diag.Warning, kinds: kindRule, document: checkNumbersAsStrings,
		Summary: "a quoted value is a whole number; write it unquoted"},
	{Name: "control-character", Severity: diag.Error, kinds: kindRule, document: checkControlCharacters,
		Summary: "a value has a control character, usually a \\t or \\n in a double-quoted string that meant a backslash"},
	{Name: "repeated-modifier", Severity: diag.Warning, kinds: kindRule, document: checkRepeatedModifiers,
		Summary: "a modifier is applied twice to the same item (base64 excepted)"},
	{Name: "modifier-combination", Severity: diag.Error, kinds: kindRule, document: checkModifierCombinations,
		Summary: "base64offset without contains: its encodings are fragments that only match inside a longer value"},
	{Name: "all-single-value", Severity: diag.Warning, kinds: kindRule, document: checkAllSingleValue,
		Summary: "the all modifier on a single value does nothing"},
	{Name: "all-exact-values", Severity: diag.Warning, kinds: kindRule, document: checkAllExactValues,
		Summary: "field|all with two different exact values: one value cannot equal both (unless the field is a list); contains|all was probably meant"},
	{Name: "windash-all", Severity: diag.Warning, kinds: kindRule, document: checkWindashAll,
		Summary: "windash combined with all: correct in sigmabridge, but the reference converter (pySigma) reports it as invalid"},
	{Name: "windash-literal-dash", Severity: diag.Warning, kinds: kindRule, document: checkWindashLiteralDash,
		Summary: "a windash value has a dash windash leaves as written (inside a word, or an en dash, em dash or horizontal bar): only a - or / starting a word is expanded"},
}

// loaderChecks are the loader's diagnostic codes, which lint reports as checks. The
// unknown-identifier and no-matching-search codes are lint checks of their own (above).
var loaderChecks = []*Check{
	{Name: diag.ReadError, Severity: diag.Error, Loader: true, Summary: "the file or directory cannot be read"},
	{Name: diag.YAMLError, Severity: diag.Error, Loader: true, Summary: "the YAML is malformed (documents after the error are not read)"},
	{Name: diag.RuleStructure, Severity: diag.Error, Loader: true, Summary: "a part of the rule has the wrong structure or type"},
	{Name: diag.ConditionSyntax, Severity: diag.Error, Loader: true, Summary: "the condition does not parse"},
	{Name: diag.UnknownModifier, Severity: diag.Error, Loader: true, Summary: "a modifier that Sigma does not define"},
	{Name: diag.InvalidModifier, Severity: diag.Error, Loader: true, Summary: "modifiers that cannot be combined (contains|startswith, re|cased, ...)"},
	{Name: diag.InvalidValue, Severity: diag.Error, Loader: true, Summary: "a value does not fit its modifier (bad regex, CIDR, number...)"},
	{Name: diag.LegacyAggregation, Severity: diag.Error, Loader: true, Summary: "Sigma 1 `| count()` aggregation or `near`: write a correlation rule"},
	{Name: diag.CorrelationStructure, Severity: diag.Error, Loader: true, Summary: "a correlation block key is missing, unknown or of the wrong type"},
	{Name: diag.CorrelationType, Severity: diag.Error, Loader: true, Summary: "a correlation type that is not one of the seven Sigma types"},
	{Name: diag.CorrelationReference, Severity: diag.Error, Loader: true, Summary: "a correlation names a rule twice, or too few rules (other files are resolved by convert, test and check)"},
	{Name: diag.CorrelationTimespan, Severity: diag.Error, Loader: true, Summary: "a correlation timespan that is not a positive duration like 30s, 5m, 1h, 1d"},
	{Name: diag.CorrelationCondition, Severity: diag.Error, Loader: true, Summary: "a correlation condition without bounds, with unknown operators or holding for no value"},
	{Name: diag.CorrelationField, Severity: diag.Error, Loader: true, Summary: "a correlation field, group-by or alias that is missing or malformed"},
	{Name: diag.FilterReference, Severity: diag.Error, Loader: true, Summary: "a Sigma filter that names no rule"},
	{Name: diag.RuleTooLarge, Severity: diag.Error, Loader: true, Summary: fmt.Sprintf("the rule file is longer than %d bytes (translator.MaxRuleFileBytes); it is not read", translator.MaxRuleFileBytes)},
	{Name: diag.ConditionTooLong, Severity: diag.Error, Loader: true, Summary: fmt.Sprintf("a condition is longer than %d bytes (translator.MaxConditionBytes)", translator.MaxConditionBytes)},
	{Name: diag.ConditionTooDeep, Severity: diag.Error, Loader: true, Summary: fmt.Sprintf("a condition nests `(` and `not` deeper than %d levels (translator.MaxConditionDepth)", translator.MaxConditionDepth)},
	{Name: diag.DetectionTooDeep, Severity: diag.Error, Loader: true, Summary: fmt.Sprintf("the lowered detection tree is deeper than %d levels (ir.MaxDepth)", ir.MaxDepth)},
	{Name: diag.DetectionTooLarge, Severity: diag.Error, Loader: true, Summary: fmt.Sprintf("over %d searches (translator.MaxSearches), or a detection tree over %d nodes counting each search per use (ir.MaxNodes)", translator.MaxSearches, ir.MaxNodes)},
}

// checkByName indexes every check, lint and loader alike.
var checkByName = func() map[string]*Check {
	m := map[string]*Check{}
	for _, list := range [][]*Check{registry, loaderChecks} {
		for _, c := range list {
			if m[c.Name] != nil {
				panic("lint: check " + c.Name + " registered twice")
			}
			m[c.Name] = c
		}
	}
	return m
}()

// Checks returns every check, the linter's own first and then the loader's, each list
// sorted by name.
func Checks() []Check {
	var out []Check
	for _, list := range [][]*Check{registry, loaderChecks} {
		start := len(out)
		for _, c := range list {
			out = append(out, *c)
		}
		part := out[start:]
		sort.Slice(part, func(i, j int) bool { return part[i].Name < part[j].Name })
	}
	return out
}

// Lookup returns the check called name.
func Lookup(name string) (Check, bool) {
	c, ok := checkByName[name]
	if !ok {
		return Check{}, false
	}
	return *c, true
}

// quote shows a value from a rule in double quotes, as written: backslashes stay single
// (a Windows path reads as in the rule), and only a value with a double quote or a
// control character falls back to Go escaping.
func quote(s string) string {
	for _, c := range s {
		if c == '"' || c < 0x20 || c == 0x7f {
			return strconv.Quote(s)
		}
	}
	return `"` + s + `"`
}
