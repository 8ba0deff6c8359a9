package input

import (
	"strings"
	"testing"
)

// A parameter value written as a JSON number (as in some exports of Reports API
// activities) is kept as that number; other non-string values are errors naming the
// parameter.
func TestWorkspaceNumericParameterValue(t *testing.T) {
	in := `{"id":{"applicationName":"token","time":"2023-01-01T06:24:42.442Z"},"events":{"name":"authorize","parameters":[{"name":"num_response_bytes","value":1223},{"name":"app_name","value":"Gmail Add-on"}]}}` + "\n"
	var got []string
	err := Read("workspace", "t.json", strings.NewReader(in), func(r Record) error {
		got = append(got, string(r.JSON))
		return nil
	})
	if err != nil || len(got) != 1 || !strings.Contains(got[0], `"num_response_bytes":1223`) || !strings.Contains(got[0], `"app_name":"Gmail Add-on"`) {
		t.Fatalf("err %v, records %q", err, got)
	}
	bad := strings.Replace(in, `"value":1223`, `"value":[1]`, 1)
	err = Read("workspace", "t.json", strings.NewReader(bad), func(Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "num_response_bytes") {
		t.Fatalf("err %v, want one naming the parameter", err)
	}
}
