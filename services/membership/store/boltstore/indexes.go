package boltstore

import (
	bolt "go.etcd.io/bbolt"

	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// putIndexes writes every index entry of member id. Callers run it in the
// transaction that writes the member itself.
func putIndexes(root *bolt.Bucket, id []byte, m *membershipv1.Member) error {
	byOwner, err := ownerEmailKey(m.GetOwner(), m.GetEmail())
	if err != nil {
		return err
	}
	byEmail, err := emailOwnerKey(m.GetEmail(), m.GetOwner())
	if err != nil {
		return err
	}
	if err := root.Bucket(bucketOwnerEmails).Put(byOwner, id); err != nil {
		return err
	}
	if err := root.Bucket(bucketEmailOwners).Put(byEmail, id); err != nil {
		return err
	}
	return putCaseIndex(root, id, m.GetExceptionalCases())
}

// deleteIndexes removes every index entry of member id.
func deleteIndexes(root *bolt.Bucket, id []byte, m *membershipv1.Member) error {
	byOwner, err := ownerEmailKey(m.GetOwner(), m.GetEmail())
	if err != nil {
		return err
	}
	byEmail, err := emailOwnerKey(m.GetEmail(), m.GetOwner())
	if err != nil {
		return err
	}
	if err := root.Bucket(bucketOwnerEmails).Delete(byOwner); err != nil {
		return err
	}
	if err := root.Bucket(bucketEmailOwners).Delete(byEmail); err != nil {
		return err
	}
	return deleteCaseIndex(root, id, m.GetExceptionalCases())
}

func putCaseIndex(root *bolt.Bucket, id []byte, cases []*membershipv1.ExceptionalCase) error {
	idx := root.Bucket(bucketCaseTargets)
	for _, c := range cases {
		key, err := caseKey(c.GetTarget(), string(id))
		if err != nil {
			return err
		}
		if err := idx.Put(key, nil); err != nil {
			return err
		}
	}
	return nil
}

func deleteCaseIndex(root *bolt.Bucket, id []byte, cases []*membershipv1.ExceptionalCase) error {
	idx := root.Bucket(bucketCaseTargets)
	for _, c := range cases {
		key, err := caseKey(c.GetTarget(), string(id))
		if err != nil {
			return err
		}
		if err := idx.Delete(key); err != nil {
			return err
		}
	}
	return nil
}
