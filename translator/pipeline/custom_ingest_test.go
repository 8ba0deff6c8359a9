package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ecs_t1648 maps some flattened sub-keys to keyword copies under sigmabridge.*, which exist
// only if the deployment installs the @custom ingest pipelines and component templates of
// builtin/elastic (builtin/README.md). The three must agree: for each log source, the ingest
// pipeline logs-<dataset>@custom copies exactly the sub-keys the pipeline maps, from the
// flattened object the pipeline declares for their prefix, to the field the pipeline reads,
// and the component template of the same name maps exactly those fields as keyword.
func TestECSCustomIngestPipelinesMatchECST1648(t *testing.T) {
	type item struct {
		ID             string           `yaml:"id"`
		Type           string           `yaml:"type"`
		Key            string           `yaml:"key"`
		Val            any              `yaml:"val"`
		Prefix         string           `yaml:"prefix"`
		Field          string           `yaml:"field"`
		Mapping        map[string]any   `yaml:"mapping"`
		RuleConditions []map[string]any `yaml:"rule_conditions"`
	}
	var doc struct {
		Transformations []item `yaml:"transformations"`
	}
	src, err := os.ReadFile(filepath.Join("builtin", "ecs_t1648.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	type copyPair struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	logsource := func(it item) string {
		if len(it.RuleConditions) != 1 {
			return ""
		}
		c := it.RuleConditions[0]
		return c["product"].(string) + "/" + c["service"].(string)
	}
	index := map[string]string{}
	flattened := map[string]map[string]string{} // log source -> prefix -> flattened field
	mapped := map[string]map[string]string{}    // log source -> source field -> sigmabridge.* target
	for _, it := range doc.Transformations {
		ls := logsource(it)
		switch {
		case it.Type == "set_state" && it.Key == "index":
			index[ls] = it.Val.(string)
		case it.Type == "sigmabridge_flattened_object":
			if flattened[ls] == nil {
				flattened[ls] = map[string]string{}
			}
			flattened[ls][it.Prefix] = it.Field
		case it.Type == "field_name_mapping":
			for from, to := range it.Mapping {
				if s, ok := to.(string); ok && strings.HasPrefix(s, "sigmabridge.") {
					if mapped[ls] == nil {
						mapped[ls] = map[string]string{}
					}
					mapped[ls][from] = s
				}
			}
		}
	}
	want := map[string][]copyPair{} // ingest pipeline name -> copies
	for ls, m := range mapped {
		for from, to := range m {
			for prefix, field := range flattened[ls] {
				if key, ok := strings.CutPrefix(from, prefix); ok {
					dataset := strings.TrimSuffix(strings.TrimPrefix(index[ls], "logs-"), "-*")
					name := "logs-" + dataset + "@custom"
					want[name] = append(want[name], copyPair{field + "." + key, to})
				}
			}
		}
	}
	if len(want) != 3 {
		t.Fatalf("ecs_t1648 copies flattened sub-keys for %d data streams, want 3 (CloudTrail, GCP audit, Workspace token): %v", len(want), want)
	}
	files, _ := filepath.Glob(filepath.Join("builtin", "elastic", "*.json"))
	if len(files) != 2*len(want) {
		t.Errorf("builtin/elastic holds %d files, want an ingest pipeline and a component template for each of %d data streams", len(files), len(want))
	}
	var script string
	for name, copies := range want {
		sort.Slice(copies, func(i, j int) bool { return copies[i].To < copies[j].To })
		var ingest struct {
			Processors []struct {
				Script struct {
					Lang   string `json:"lang"`
					Source string `json:"source"`
					Params struct {
						Copies []copyPair `json:"copies"`
					} `json:"params"`
				} `json:"script"`
			} `json:"processors"`
		}
		readJSON(t, filepath.Join("builtin", "elastic", "ingest-"+name+".json"), &ingest)
		if len(ingest.Processors) != 1 || ingest.Processors[0].Script.Lang != "painless" {
			t.Fatalf("%s: want one painless script processor", name)
		}
		s := ingest.Processors[0].Script
		got := s.Params.Copies
		sort.Slice(got, func(i, j int) bool { return got[i].To < got[j].To })
		if !reflect.DeepEqual(got, copies) {
			t.Errorf("%s copies %v\nwant (from ecs_t1648) %v", name, got, copies)
		}
		if script != "" && s.Source != script {
			t.Errorf("%s: the script differs from the other ingest pipelines'", name)
		}
		script = s.Source
		var comp struct {
			Template struct {
				Mappings map[string]any `json:"mappings"`
			} `json:"template"`
		}
		readJSON(t, filepath.Join("builtin", "elastic", "component-"+name+".json"), &comp)
		keywords := map[string]bool{}
		var walk func(prefix string, props any)
		walk = func(prefix string, props any) {
			for k, v := range props.(map[string]any) {
				m := v.(map[string]any)
				if sub, ok := m["properties"]; ok {
					walk(prefix+k+".", sub)
				} else if m["type"] == "keyword" || (m["type"] == "long" && numericCopies[prefix+k]) {
					keywords[prefix+k] = true
				} else {
					t.Errorf("%s: %s%s is mapped as %v, want keyword (long only for the numeric copies)", name, prefix, k, m["type"])
				}
			}
		}
		walk("", comp.Template.Mappings["properties"])
		wantKeywords := map[string]bool{}
		for _, c := range copies {
			wantKeywords[c.To] = true
		}
		if !reflect.DeepEqual(keywords, wantKeywords) {
			t.Errorf("%s component template maps %v as keyword, want %v", name, keywords, wantKeywords)
		}
	}
}

// numericCopies are the copies the pack compares as numbers (|gte, a number value): they are
// mapped as long, into which Elasticsearch coerces the copied text.
var numericCopies = map[string]bool{
	"sigmabridge.aws.cloudtrail.response_elements.memorySize":             true,
	"sigmabridge.aws.cloudtrail.response_elements.timeout":                true,
	"sigmabridge.gcp.audit.request.function.serviceConfig.timeoutSeconds": true,
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
