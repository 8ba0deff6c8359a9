package wire

import (
	"fmt"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// DiagnosticToProto encodes a diagnostic.
func DiagnosticToProto(d diag.Diagnostic) *pb.Diagnostic {
	sev := pb.Severity_SEVERITY_ERROR
	if d.Severity == diag.Warning {
		sev = pb.Severity_SEVERITY_WARNING
	}
	return &pb.Diagnostic{Path: d.Path, Line: int32(d.Line), Col: int32(d.Col), RuleId: d.RuleID,
		Target: d.Target, Code: string(d.Code), Message: d.Message, Severity: sev}
}

// DiagnosticFromProto decodes a diagnostic. A diagnostic needs a code and a known severity.
func DiagnosticFromProto(m *pb.Diagnostic) (diag.Diagnostic, error) {
	if m == nil {
		return diag.Diagnostic{}, fmt.Errorf("missing diagnostic")
	}
	var sev diag.Severity
	switch m.GetSeverity() {
	case pb.Severity_SEVERITY_ERROR:
		sev = diag.Error
	case pb.Severity_SEVERITY_WARNING:
		sev = diag.Warning
	default:
		return diag.Diagnostic{}, fmt.Errorf("diagnostic %q: invalid severity %v", m.GetCode(), m.GetSeverity())
	}
	if m.GetCode() == "" {
		return diag.Diagnostic{}, fmt.Errorf("diagnostic without a code: %q", m.GetMessage())
	}
	return diag.Diagnostic{Path: m.GetPath(), Line: int(m.GetLine()), Col: int(m.GetCol()), RuleID: m.GetRuleId(),
		Target: m.GetTarget(), Code: diag.Code(m.GetCode()), Message: m.GetMessage(), Severity: sev}, nil
}

// DiagnosticsToProto encodes a diagnostic list.
func DiagnosticsToProto(l diag.List) []*pb.Diagnostic {
	if len(l) == 0 {
		return nil
	}
	out := make([]*pb.Diagnostic, len(l))
	for i, d := range l {
		out[i] = DiagnosticToProto(d)
	}
	return out
}

// DiagnosticsFromProto decodes a diagnostic list.
func DiagnosticsFromProto(ms []*pb.Diagnostic) (diag.List, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	out := make(diag.List, len(ms))
	for i, m := range ms {
		d, err := DiagnosticFromProto(m)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// QueryToProto encodes a query.
func QueryToProto(q backends.Query) *pb.Query {
	return &pb.Query{Condition: int32(q.Condition), Text: q.Text, Json: q.JSON}
}

// QueryFromProto decodes a query; conditions must be non-negative.
func QueryFromProto(m *pb.Query) (backends.Query, error) {
	if m.GetCondition() < 0 {
		return backends.Query{}, fmt.Errorf("query with negative condition index %d", m.GetCondition())
	}
	return backends.Query{Condition: int(m.GetCondition()), Text: m.GetText(), JSON: m.GetJson()}, nil
}
