package pipeline

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ecsIPFields are the fields the Elastic Common Schema types as ip (ECS 8.x field
// reference), the ones a pipeline may map to.
var ecsIPFields = []string{
	"client.ip", "client.nat.ip", "destination.ip", "destination.nat.ip", "host.ip", "observer.ip",
	"related.ip", "server.ip", "server.nat.ip", "source.ip", "source.nat.ip", "threat.indicator.ip",
}

// TestECSIPFields reads the field mappings of ecs_t1648 per log source from its YAML, and
// checks that each T1648 log source sets ip_fields to exactly the ECS ip fields it maps to,
// that no mapping names an `.ip` field outside the ECS list, and that rules of other log
// sources get no ip_fields.
func TestECSIPFields(t *testing.T) {
	data, err := builtinFS.ReadFile("builtin/ecs_t1648.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Transformations []struct {
			Type           string            `yaml:"type"`
			Mapping        map[string]string `yaml:"mapping"`
			RuleConditions []struct {
				Type, Product, Service string
			} `yaml:"rule_conditions"`
		} `yaml:"transformations"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	mapped := map[string][]string{} // "product/service" -> ECS ip fields mapped to
	for _, tr := range doc.Transformations {
		if tr.Type != "field_name_mapping" {
			continue
		}
		for _, target := range tr.Mapping {
			if strings.HasSuffix(target, ".ip") && !slices.Contains(ecsIPFields, target) {
				t.Errorf("the mapping names %s, which is not an ECS ip field", target)
			}
			if !slices.Contains(ecsIPFields, target) {
				continue
			}
			for _, c := range tr.RuleConditions {
				ls := c.Product + "/" + c.Service
				if c.Type == "logsource" && !slices.Contains(mapped[ls], target) {
					mapped[ls] = append(mapped[ls], target)
				}
			}
		}
	}
	if len(mapped) < 4 {
		t.Fatalf("only %d log sources map to ip fields: %v", len(mapped), mapped)
	}
	ecs := builtin(t, "ecs_t1648")
	for _, ls := range t1648Logsources {
		r := mustRule(t, ruleWith("{product: "+ls.product+", service: "+ls.service+"}", "sel: {id: x}", "condition: sel"))
		out, _ := ecs.Apply(r)
		got := slices.Clone(out.Deployment.IPFields)
		want := mapped[ls.product+"/"+ls.service]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s/%s: ip_fields %v, the mappings name the ECS ip fields %v", ls.product, ls.service, got, want)
		}
	}
	win := mustRule(t, ruleWith(winLogsource, "sel: {Image: x}", "condition: sel"))
	if out, _ := ecs.Apply(win); out.Deployment.Map()["ip_fields"] != nil {
		t.Errorf("a Windows rule got ip_fields %v", out.Deployment.Map()["ip_fields"])
	}
}
