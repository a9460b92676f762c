// Package boltstore is the bbolt implementation of the membership store.
//
// Bucket layout, under the versioned root bucket of pkg/boltdb:
//
//	v1/
//	  members/<member id>                  → membershipv1.Member (proto)
//	  owner_emails/<owner>\x00<email>      → <member id> (index: an account's members in email order; email uniqueness per account)
//	  email_owners/<email>\x00<owner>      → <member id> (index: one person's memberships across accounts, in owner order)
//	  case_targets/<target>\x00<member id> → empty (index: members with an exceptional case on target, for ForgetTarget)
//
// <target> is an organization or device resource name, so the cases on an
// organization's devices share the prefix organizations/<org id>/devices/.
// Every key is built by the helpers in keys.go, and indexes are written in
// the same transaction as the records they point at.
package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	"github.com/tollgate/tollgate/services/membership/store"
)

var (
	bucketMembers     = []byte("members")
	bucketOwnerEmails = []byte("owner_emails")
	bucketEmailOwners = []byte("email_owners")
	bucketCaseTargets = []byte("case_targets")
)

// Schema is the membership database schema; its migrations create the
// buckets.
var Schema = boltdb.Schema{
	Service: "membership",
	Migrations: []boltdb.Migration{
		boltdb.CreateBuckets(bucketMembers, bucketOwnerEmails, bucketEmailOwners, bucketCaseTargets),
	},
}

// Store is the bbolt membership store.
type Store struct{ db *boltdb.DB }

var _ store.Store = (*Store)(nil)

// New wraps an open database (opened with Schema).
func New(db *boltdb.DB) *Store { return &Store{db: db} }

// getMember decodes the member stored under id; ok is false if there is none.
func getMember(root *bolt.Bucket, id []byte) (m *membershipv1.Member, ok bool, err error) {
	v := root.Bucket(bucketMembers).Get(id)
	if v == nil {
		return nil, false, nil
	}
	m = &membershipv1.Member{}
	if err := proto.Unmarshal(v, m); err != nil {
		return nil, false, fmt.Errorf("decode member %s: %w", id, err)
	}
	return m, true, nil
}

// mustGetMember is getMember for ids that must exist.
func mustGetMember(root *bolt.Bucket, id []byte) (*membershipv1.Member, error) {
	m, ok, err := getMember(root, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(string(id))
	}
	return m, nil
}

// memberAt follows an index entry to its member; a dangling entry means a
// corrupt file, never a missing member.
func memberAt(root *bolt.Bucket, id []byte) (*membershipv1.Member, error) {
	m, ok, err := getMember(root, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("index points at missing member %q", id)
	}
	return m, nil
}

func putMember(root *bolt.Bucket, id []byte, m *membershipv1.Member) error {
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return err
	}
	return root.Bucket(bucketMembers).Put(id, v)
}

func notFound(id string) error { return fmt.Errorf("member %q: %w", id, errs.ErrNotFound) }
