package boltstore

import (
	"bytes"
	"context"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

func (s *Store) ForgetTarget(_ context.Context, target resource.Target) (int, error) {
	var removed int
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		ids, err := membersWithCasesOn(root, target)
		if err != nil {
			return err
		}
		for _, id := range ids {
			n, err := dropCases(root, id, target)
			if err != nil {
				return err
			}
			removed += n
		}
		return nil
	})
	return removed, err
}

// membersWithCasesOn returns, from the case index, the ids of members with
// a case that target covers.
func membersWithCasesOn(root *bolt.Bucket, target resource.Target) ([][]byte, error) {
	exact, err := caseTargetPrefix(target.Name())
	if err != nil {
		return nil, err
	}
	prefixes := [][]byte{exact}
	if !target.IsDevice() {
		prefixes = append(prefixes, []byte(devicesPrefix(target.Org)))
	}
	var ids [][]byte
	c := root.Bucket(bucketCaseTargets).Cursor()
	for _, prefix := range prefixes {
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			// Copied: keys are only valid while the cursor stays put.
			ids = append(ids, bytes.Clone(memberIDOf(k)))
		}
	}
	slices.SortFunc(ids, bytes.Compare)
	return slices.CompactFunc(ids, bytes.Equal), nil
}

// dropCases removes the cases of member id that target covers, with their
// index entries, and returns how many it removed.
func dropCases(root *bolt.Bucket, id []byte, target resource.Target) (int, error) {
	m, err := memberAt(root, id)
	if err != nil {
		return 0, err
	}
	var kept, dropped []*membershipv1.ExceptionalCase
	for _, c := range m.GetExceptionalCases() {
		if covers(target, c.GetTarget()) {
			dropped = append(dropped, c)
		} else {
			kept = append(kept, c)
		}
	}
	if len(dropped) == 0 {
		return 0, nil
	}
	if err := deleteCaseIndex(root, id, dropped); err != nil {
		return 0, err
	}
	m.ExceptionalCases = kept
	return len(dropped), putMember(root, id, m)
}

// covers reports whether forgetting target forgets caseTarget: the target
// itself and, for an organization, its devices.
func covers(target resource.Target, caseTarget string) bool {
	if target.IsDevice() {
		return caseTarget == target.Name()
	}
	return caseTarget == target.Name() || strings.HasPrefix(caseTarget, devicesPrefix(target.Org))
}
