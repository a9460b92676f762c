package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/errs"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

func (s *Store) CreateMember(_ context.Context, id string, m *membershipv1.Member) error {
	if m.GetOwner() == "" || m.GetEmail() == "" {
		return fmt.Errorf("member %q needs an owner and an email: %w", id, errs.ErrInvalidArgument)
	}
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if root.Bucket(bucketMembers).Get([]byte(id)) != nil {
			return fmt.Errorf("member %q: %w", id, errs.ErrAlreadyExists)
		}
		key, err := ownerEmailKey(m.GetOwner(), m.GetEmail())
		if err != nil {
			return err
		}
		if root.Bucket(bucketOwnerEmails).Get(key) != nil {
			return errs.New(errs.ErrAlreadyExists, "MEMBER_EXISTS",
				fmt.Sprintf("%s is already a member of this account", m.GetEmail()))
		}
		if err := putMember(root, []byte(id), m); err != nil {
			return err
		}
		return putIndexes(root, []byte(id), m)
	})
}

func (s *Store) GetMember(_ context.Context, id string) (*membershipv1.Member, error) {
	var member *membershipv1.Member
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) (err error) {
		member, err = mustGetMember(root, []byte(id))
		return err
	})
	return member, err
}

func (s *Store) GetMemberByEmail(_ context.Context, owner, email string) (*membershipv1.Member, error) {
	var member *membershipv1.Member
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		key, err := ownerEmailKey(owner, email)
		if err != nil {
			return err
		}
		id := root.Bucket(bucketOwnerEmails).Get(key)
		if id == nil {
			return fmt.Errorf("member %q of %q: %w", email, owner, errs.ErrNotFound)
		}
		member, err = memberAt(root, id)
		return err
	})
	return member, err
}

func (s *Store) ListMembers(_ context.Context, owner, afterEmail string, limit int) ([]*membershipv1.Member, error) {
	var out []*membershipv1.Member
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		prefix, err := ownerPrefix(owner)
		if err != nil {
			return err
		}
		start, err := ownerEmailKey(owner, afterEmail)
		if err != nil {
			return err
		}
		c := root.Bucket(bucketOwnerEmails).Cursor()
		k, id := c.Seek(start)
		if bytes.Equal(k, start) {
			k, id = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, id = c.Next() {
			m, err := memberAt(root, id)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

func (s *Store) ListMembersByEmail(_ context.Context, email string) ([]*membershipv1.Member, error) {
	var out []*membershipv1.Member
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		prefix, err := emailPrefix(email)
		if err != nil {
			return err
		}
		c := root.Bucket(bucketEmailOwners).Cursor()
		for k, id := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, id = c.Next() {
			m, err := memberAt(root, id)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

func (s *Store) UpdateMember(_ context.Context, id string, mutate func(*membershipv1.Member) error) (*membershipv1.Member, error) {
	var updated *membershipv1.Member
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		key := []byte(id)
		m, err := mustGetMember(root, key)
		if err != nil {
			return err
		}
		before := proto.CloneOf(m)
		if err := mutate(m); err != nil {
			return err
		}
		if err := checkIdentityKept(before, m); err != nil {
			return err
		}
		// The email and owner are fixed, so only the case index can change.
		if err := deleteCaseIndex(root, key, before.GetExceptionalCases()); err != nil {
			return err
		}
		if err := putCaseIndex(root, key, m.GetExceptionalCases()); err != nil {
			return err
		}
		updated = m
		return putMember(root, key, m)
	})
	return updated, err
}

// checkIdentityKept refuses updates that would move a member to another
// name, account or address: the indexes are keyed by them.
func checkIdentityKept(before, after *membershipv1.Member) error {
	switch {
	case after.GetEmail() != before.GetEmail():
		return errs.Invalid("member.email", "IMMUTABLE_FIELD",
			"a member's email cannot change: delete the member and add the new address")
	case after.GetName() != before.GetName() || after.GetOwner() != before.GetOwner():
		return fmt.Errorf("member %q: the name and owner cannot change: %w", before.GetName(), errs.ErrFailedPrecondition)
	}
	return nil
}

func (s *Store) DeleteMember(_ context.Context, id string) error {
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		key := []byte(id)
		m, err := mustGetMember(root, key)
		if err != nil {
			return err
		}
		if err := deleteIndexes(root, key, m); err != nil {
			return err
		}
		return root.Bucket(bucketMembers).Delete(key)
	})
}
