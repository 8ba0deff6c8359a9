package sigmabridge

import (
	"context"
	"strings"
	"testing"
)

// TestFindTargetBuiltinAndUnknown: a built-in target needs no plugin host; an unknown one
// names the known targets and the nearest.
func TestFindTargetBuiltinAndUnknown(t *testing.T) {
	tg, m, err := FindTarget(context.Background(), "lucene", HostOptions{PluginDir: t.TempDir()})
	if err != nil || m != nil || tg.Backend == nil || tg.Backend.Name() != "lucene" {
		t.Fatalf("lucene: %+v %v %v", tg, m, err)
	}
	_, m, err = FindTarget(context.Background(), "lucen", HostOptions{PluginDir: t.TempDir()})
	if m != nil || err == nil || !strings.HasPrefix(err.Error(), `unknown target "lucen" (known: dsl, eql, esql, lucene, splunk); did you mean "lucene"?; an external backend's targets are known once its plugin is pinned`) {
		t.Errorf("lucen: %v", err)
	}
}

// TestSetupUnknownPipeline: a -p name that is neither built in nor a file lists the
// built-in names and the nearest; a file that exists but does not parse keeps its own error.
func TestSetupUnknownPipeline(t *testing.T) {
	_, err := Setup(nil, "", []string{"ecs_t1684"})
	if err == nil || !strings.HasPrefix(err.Error(), `pipeline ecs_t1684: unknown: no built-in pipeline and no file has that name; did you mean "ecs_t1648"? (built-in: `) ||
		!strings.Contains(err.Error(), "splunk_t1648") {
		t.Errorf("got %v", err)
	}
	_, err = Setup(nil, "", []string{"setup.go"})
	if err == nil || strings.Contains(err.Error(), "no file has that name") {
		t.Errorf("an existing file that is no pipeline: %v", err)
	}
}
