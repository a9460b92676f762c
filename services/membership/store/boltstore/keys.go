package boltstore

import (
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/resource"
)

// ownerEmailKey is <owner>\x00<email> in owner_emails.
func ownerEmailKey(owner, email string) ([]byte, error) {
	return boltdb.JoinKey([]byte(owner), []byte(email))
}

// ownerPrefix prefixes every owner_emails key of owner's account.
func ownerPrefix(owner string) ([]byte, error) { return boltdb.JoinKey([]byte(owner), nil) }

// emailOwnerKey is <email>\x00<owner> in email_owners.
func emailOwnerKey(email, owner string) ([]byte, error) {
	return boltdb.JoinKey([]byte(email), []byte(owner))
}

// emailPrefix prefixes every email_owners key of one person.
func emailPrefix(email string) ([]byte, error) { return boltdb.JoinKey([]byte(email), nil) }

// caseKey is <target>\x00<member id> in case_targets.
func caseKey(target, id string) ([]byte, error) {
	return boltdb.JoinKey([]byte(target), []byte(id))
}

// caseTargetPrefix prefixes the case_targets keys of exactly target.
func caseTargetPrefix(target string) ([]byte, error) { return boltdb.JoinKey([]byte(target), nil) }

// devicesPrefix prefixes the resource names of org's devices, and so their
// case_targets keys. Resource IDs cannot contain '/', so it matches no
// other organization's devices.
func devicesPrefix(org string) string {
	return resource.OrganizationName(org) + "/devices/"
}

// memberIDOf returns the member id part of a case_targets key.
func memberIDOf(caseKey []byte) []byte {
	parts := boltdb.SplitKey(caseKey)
	return parts[len(parts)-1]
}
