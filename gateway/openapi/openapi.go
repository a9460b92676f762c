// Package openapi serves the OpenAPI (Swagger 2.0) document that
// protoc-gen-openapiv2 merges from every service's proto (`make generate`
// writes tollgate.swagger.json beside this file).
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
)

//go:embed tollgate.swagger.json
var generated []byte

// Document returns the served document: the generated one with the
// document-level facts the generator cannot know (title, version,
// security schemes).
func Document() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(generated, &doc); err != nil {
		return nil, fmt.Errorf("openapi: generated document: %w", err)
	}
	doc["info"] = map[string]any{
		"title":       "Tollgate API",
		"version":     "v1",
		"description": "Organizations, devices, members, per-device API tokens and device logs. JSON uses proto field names.",
	}
	doc["securityDefinitions"] = map[string]any{
		"BearerAuth":     map[string]any{"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Bearer <user JWT>` or `Bearer <API token>`"},
		"XAuthorization": map[string]any{"type": "apiKey", "in": "header", "name": "X-Authorization", "description": "`Bearer <API token>` (Open API compatible)"},
		"ApiKeyHeader":   map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`<API token>`"},
	}
	doc["security"] = []any{
		map[string]any{"BearerAuth": []any{}},
		map[string]any{"XAuthorization": []any{}},
		map[string]any{"ApiKeyHeader": []any{}},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// Handler serves the document as application/json.
func Handler() (http.Handler, error) {
	doc, err := Document()
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}), nil
}
