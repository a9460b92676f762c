// Package resource parses and builds Tollgate's AIP-122 resource names
// (organizations/{org}, organizations/{org}/devices/{device},
// .../apiTokens/{token}, members/{member}) and generates resource IDs.
package resource

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"regexp"
	"strings"

	"github.com/tollgate/tollgate/pkg/errs"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// lowerBase32 has no padding and only characters valid in resource IDs.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random 80-bit resource ID of 16 characters.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return lowerBase32.EncodeToString(b[:])
}

// Device identifies a device by its organization and device IDs.
type Device struct{ Org, Device string }

// Name returns organizations/{org}/devices/{device}.
func (d Device) Name() string { return "organizations/" + d.Org + "/devices/" + d.Device }

// OrganizationName returns organizations/{org}.
func (d Device) OrganizationName() string { return OrganizationName(d.Org) }

// OrganizationName returns organizations/{org}.
func OrganizationName(org string) string { return "organizations/" + org }

// MemberName returns members/{member}.
func MemberName(member string) string { return "members/" + member }

// TokenName returns organizations/{org}/devices/{device}/apiTokens/{token}.
func TokenName(d Device, token string) string { return d.Name() + "/apiTokens/" + token }

// parse matches name against a pattern such as
// "organizations/{organization}/devices/{device}" and returns the IDs in
// the placeholders' places.
func parse(field, name, pattern string) ([]string, error) {
	want := strings.Split(pattern, "/")
	got := strings.Split(name, "/")
	if len(got) != len(want) {
		return nil, invalidName(field, name, pattern)
	}
	var ids []string
	for i := 0; i < len(want); i += 2 {
		if got[i] != want[i] || !idPattern.MatchString(got[i+1]) {
			return nil, invalidName(field, name, pattern)
		}
		ids = append(ids, got[i+1])
	}
	return ids, nil
}

func invalidName(field, name, pattern string) error {
	return errs.Invalid(field, "INVALID_NAME", fmt.Sprintf("%s: %q is not a valid name; want %s", field, name, pattern))
}

// ParseOrganization parses organizations/{org}.
func ParseOrganization(field, name string) (string, error) {
	ids, err := parse(field, name, "organizations/{organization}")
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// ParseDevice parses organizations/{org}/devices/{device}.
func ParseDevice(field, name string) (Device, error) {
	ids, err := parse(field, name, "organizations/{organization}/devices/{device}")
	if err != nil {
		return Device{}, err
	}
	return Device{Org: ids[0], Device: ids[1]}, nil
}

// ParseToken parses organizations/{org}/devices/{device}/apiTokens/{token}.
func ParseToken(field, name string) (Device, string, error) {
	ids, err := parse(field, name, "organizations/{organization}/devices/{device}/apiTokens/{token}")
	if err != nil {
		return Device{}, "", err
	}
	return Device{Org: ids[0], Device: ids[1]}, ids[2], nil
}

// ParseMember parses members/{member}.
func ParseMember(field, name string) (string, error) {
	ids, err := parse(field, name, "members/{member}")
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// Target is an organization or a device, the two things privileges apply to.
type Target struct {
	Org    string
	Device string // empty for an organization
}

// IsDevice reports whether the target is a device.
func (t Target) IsDevice() bool { return t.Device != "" }

// Name returns the target's resource name.
func (t Target) Name() string {
	if t.IsDevice() {
		return Device{Org: t.Org, Device: t.Device}.Name()
	}
	return OrganizationName(t.Org)
}

// ParseTarget parses an organization or device name.
func ParseTarget(field, name string) (Target, error) {
	if strings.Count(name, "/") == 1 {
		org, err := ParseOrganization(field, name)
		return Target{Org: org}, err
	}
	d, err := ParseDevice(field, name)
	if err != nil {
		return Target{}, invalidName(field, name, "organizations/{organization} or organizations/{organization}/devices/{device}")
	}
	return Target{Org: d.Org, Device: d.Device}, nil
}
