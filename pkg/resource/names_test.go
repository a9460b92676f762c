package resource

import (
	"errors"
	"testing"

	"github.com/tollgate/tollgate/pkg/errs"
)

func TestParse(t *testing.T) {
	if org, err := ParseOrganization("name", "organizations/acme"); err != nil || org != "acme" {
		t.Fatalf("ParseOrganization = %q, %v", org, err)
	}
	d, err := ParseDevice("name", "organizations/acme/devices/fw-1")
	if err != nil || d != (Device{Org: "acme", Device: "fw-1"}) || d.Name() != "organizations/acme/devices/fw-1" {
		t.Fatalf("ParseDevice = %+v, %v", d, err)
	}
	d, tok, err := ParseToken("name", "organizations/acme/devices/fw-1/apiTokens/abc")
	if err != nil || tok != "abc" || TokenName(d, tok) != "organizations/acme/devices/fw-1/apiTokens/abc" {
		t.Fatalf("ParseToken = %+v %q, %v", d, tok, err)
	}
	if m, err := ParseMember("name", "members/m1"); err != nil || m != "m1" {
		t.Fatalf("ParseMember = %q, %v", m, err)
	}
	for name, want := range map[string]Target{
		"organizations/a":           {Org: "a"},
		"organizations/a/devices/b": {Org: "a", Device: "b"},
	} {
		got, err := ParseTarget("target", name)
		if err != nil || got != want || got.Name() != name {
			t.Fatalf("ParseTarget(%q) = %+v, %v", name, got, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	bad := []string{"", "organizations", "organizations/", "organizations/UPPER", "organizations/a/devices",
		"devices/a", "organizations/a/b/c", "organizations/-a", "organizations/a/devices/b/extra"}
	for _, name := range bad {
		if _, err := ParseOrganization("name", name); !errors.Is(err, errs.ErrInvalidArgument) {
			t.Errorf("ParseOrganization(%q) = %v", name, err)
		}
		if _, err := ParseTarget("target", name); !errors.Is(err, errs.ErrInvalidArgument) {
			t.Errorf("ParseTarget(%q) = %v", name, err)
		}
	}
	var r *errs.Reasoned
	if _, err := ParseDevice("parent", "organizations/a"); !errors.As(err, &r) || r.Field != "parent" || r.Reason != "INVALID_NAME" {
		t.Fatalf("error does not name the field: %v", err)
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !idPattern.MatchString(id) || len(id) != 16 || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}
