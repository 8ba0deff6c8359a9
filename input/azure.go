package input

import (
	"encoding/json"
	"strings"
)

// azureRecord returns raw unchanged when it is in the export shape, or its normalised form
// when it is in the REST shape.
func azureRecord(raw []byte) ([]byte, error) {
	var rec map[string]json.RawMessage
	if err := unmarshal(raw, &rec); err != nil {
		return nil, err
	}
	op, ok := rec["operationName"]
	if !ok || !isObject(op) {
		return raw, nil
	}
	return normaliseAzureREST(rec)
}

// azureStatus maps the REST status values to the export's resultType values (the activity
// log schema page: resultType comes from status.value; the export uses Start, Accept,
// Success, Failure).
var azureStatus = map[string]string{
	"started":   "Start",
	"accepted":  "Accept",
	"succeeded": "Success",
	"failed":    "Failure",
}

// normaliseAzureREST rewrites a REST-shape activity log record into the export shape, following
// the mapping table of the activity log schema page:
//
//	time                  <- eventTimestamp
//	operationName         <- operationName.value, upper-cased as the export writes it
//	category              <- category.value
//	resultType            <- status.value (Started/Accepted/Succeeded/Failed -> Start/Accept/Success/Failure)
//	resultSignature       <- subStatus.value
//	resultDescription     <- description
//	callerIpAddress       <- httpRequest.clientIpAddress, else claims.ipaddr
//	identity              <- {authorization, claims}
//	level                 <- level ("Informational" -> "Information")
//	resourceId            <- resourceId, upper-cased as the export writes it
//	correlationId         <- correlationId
//	properties            <- properties plus eventCategory, eventName and operationId
//
// Keys of the REST shape that the export does not have (caller, channels, eventDataId,
// submissionTimestamp, ...) are dropped, so the result carries only export keys.
func normaliseAzureREST(rec map[string]json.RawMessage) ([]byte, error) {
	str := func(key string) (string, bool) {
		var s string
		if raw, ok := rec[key]; ok && json.Unmarshal(raw, &s) == nil {
			return s, true
		}
		return "", false
	}
	localized := func(key string) (string, bool) {
		var lv struct {
			Value *string `json:"value"`
		}
		if raw, ok := rec[key]; ok && json.Unmarshal(raw, &lv) == nil && lv.Value != nil {
			return *lv.Value, true
		}
		return "", false
	}
	out := map[string]any{}
	if s, ok := str("eventTimestamp"); ok {
		out["time"] = s
	}
	if s, ok := localized("operationName"); ok {
		out["operationName"] = strings.ToUpper(s)
	}
	category, hasCategory := localized("category")
	if hasCategory {
		out["category"] = category
	}
	if s, ok := localized("status"); ok {
		if m, known := azureStatus[strings.ToLower(s)]; known {
			s = m
		}
		out["resultType"] = s
	}
	if s, ok := localized("subStatus"); ok {
		out["resultSignature"] = s
	}
	if s, ok := str("description"); ok && s != "" {
		out["resultDescription"] = s
	}
	var http struct {
		ClientIPAddress string `json:"clientIpAddress"`
	}
	var claims map[string]json.RawMessage
	if raw, ok := rec["claims"]; ok {
		_ = unmarshal(raw, &claims)
	}
	if raw, ok := rec["httpRequest"]; ok && json.Unmarshal(raw, &http) == nil && http.ClientIPAddress != "" {
		out["callerIpAddress"] = http.ClientIPAddress
	} else if ip, ok := claims["ipaddr"]; ok {
		var s string
		if json.Unmarshal(ip, &s) == nil {
			out["callerIpAddress"] = s
		}
	}
	identity := map[string]any{}
	if raw, ok := rec["authorization"]; ok {
		identity["authorization"] = raw
	}
	if raw, ok := rec["claims"]; ok {
		identity["claims"] = raw
	}
	if len(identity) > 0 {
		out["identity"] = identity
	}
	if s, ok := str("level"); ok {
		if strings.EqualFold(s, "Informational") {
			s = "Information"
		}
		out["level"] = s
	} else if s, ok := localized("level"); ok {
		out["level"] = s
	}
	if s, ok := str("resourceId"); ok {
		out["resourceId"] = strings.ToUpper(s)
	}
	if raw, ok := rec["correlationId"]; ok {
		out["correlationId"] = raw
	}
	props := map[string]any{}
	if raw, ok := rec["properties"]; ok {
		var p map[string]json.RawMessage
		if err := unmarshal(raw, &p); err == nil {
			for k, v := range p {
				props[k] = v
			}
		}
	}
	if hasCategory {
		props["eventCategory"] = category
	}
	if s, ok := localized("eventName"); ok {
		props["eventName"] = s
	}
	if raw, ok := rec["operationId"]; ok {
		props["operationId"] = raw
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	return json.Marshal(out)
}
