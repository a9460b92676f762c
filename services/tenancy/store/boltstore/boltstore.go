// Package boltstore is the bbolt implementation of the tenancy store.
//
// Bucket layout, under the versioned root bucket of pkg/boltdb:
//
//	v1/
//	  organizations/<org id>                   → tenancyv1.Organization (proto)
//	  owner_organizations/<owner>\x00<org id>  → empty (index: organizations by owner)
//	  devices/<org id>/<device id>             → tenancyv1.Device (proto); one nested bucket per organization
//	  serial_numbers/<serial number>           → <org id>\x00<device id> (index: system-wide uniqueness)
//
// Indexes are written in the same transaction as the records they point at.
package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/tenancy/store"
)

var (
	bucketOrganizations      = []byte("organizations")
	bucketOwnerOrganizations = []byte("owner_organizations")
	bucketDevices            = []byte("devices")
	bucketSerialNumbers      = []byte("serial_numbers")
)

// Schema is the tenancy database schema; its migrations create the buckets.
var Schema = boltdb.Schema{
	Service: "tenancy",
	Migrations: []boltdb.Migration{
		{Name: "create buckets", Apply: func(_ *bolt.Tx, root *bolt.Bucket) error {
			for _, b := range [][]byte{bucketOrganizations, bucketOwnerOrganizations, bucketDevices, bucketSerialNumbers} {
				if _, err := root.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		}},
	},
}

// Store is the bbolt tenancy store.
type Store struct{ db *boltdb.DB }

var _ store.Store = (*Store)(nil)

// New wraps an open database (opened with Schema).
func New(db *boltdb.DB) *Store { return &Store{db: db} }

func ownerKey(owner, org string) ([]byte, error) { return boltdb.JoinKey([]byte(owner), []byte(org)) }

func get[M proto.Message](b *bolt.Bucket, key []byte, msg M) (M, bool, error) {
	v := b.Get(key)
	if v == nil {
		return msg, false, nil
	}
	if err := proto.Unmarshal(v, msg); err != nil {
		return msg, false, fmt.Errorf("decode %s: %w", key, err)
	}
	return msg, true, nil
}

func put(b *bolt.Bucket, key []byte, msg proto.Message) error {
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return err
	}
	return b.Put(key, v)
}

func notFound(kind, id string) error { return fmt.Errorf("%s %q: %w", kind, id, errs.ErrNotFound) }

func (s *Store) CreateOrganization(_ context.Context, id string, org *tenancyv1.Organization) error {
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		orgs := root.Bucket(bucketOrganizations)
		if orgs.Get([]byte(id)) != nil {
			return fmt.Errorf("organization %q: %w", id, errs.ErrAlreadyExists)
		}
		if err := put(orgs, []byte(id), org); err != nil {
			return err
		}
		key, err := ownerKey(org.GetOwner(), id)
		if err != nil {
			return err
		}
		return root.Bucket(bucketOwnerOrganizations).Put(key, nil)
	})
}

func (s *Store) GetOrganization(_ context.Context, id string) (*tenancyv1.Organization, error) {
	var org *tenancyv1.Organization
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		o, ok, err := get(root.Bucket(bucketOrganizations), []byte(id), &tenancyv1.Organization{})
		if err != nil {
			return err
		}
		if !ok {
			return notFound("organization", id)
		}
		org = o
		return nil
	})
	return org, err
}

func (s *Store) ListOrganizations(ctx context.Context, owners []string, after string, limit int, keep func(*tenancyv1.Organization) bool) ([]*tenancyv1.Organization, error) {
	// Candidate ids come from the owner index; pages interleave several
	// owners' organizations in id order.
	var ids []string
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		idx := root.Bucket(bucketOwnerOrganizations).Cursor()
		for _, owner := range owners {
			prefix, err := boltdb.JoinKey([]byte(owner), nil)
			if err != nil {
				return err
			}
			for k, _ := idx.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = idx.Next() {
				if id := string(k[len(prefix):]); id > after {
					ids = append(ids, id)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	// keep runs outside any transaction: it may read the store (the
	// service's does), and a read transaction opened inside another one
	// deadlocks as soon as a writer waits to grow the memory map.
	var out []*tenancyv1.Organization
	for _, id := range slices.Compact(ids) {
		if len(out) >= limit {
			break
		}
		org, err := s.GetOrganization(ctx, id)
		if errors.Is(err, errs.ErrNotFound) {
			continue // deleted since the index was read
		}
		if err != nil {
			return nil, err
		}
		if keep == nil || keep(org) {
			out = append(out, org)
		}
	}
	return out, nil
}

func (s *Store) UpdateOrganization(_ context.Context, id string, mutate func(*tenancyv1.Organization) error) (*tenancyv1.Organization, error) {
	var org *tenancyv1.Organization
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		orgs := root.Bucket(bucketOrganizations)
		o, ok, err := get(orgs, []byte(id), &tenancyv1.Organization{})
		if err != nil {
			return err
		}
		if !ok {
			return notFound("organization", id)
		}
		owner := o.GetOwner()
		if err := mutate(o); err != nil {
			return err
		}
		if o.GetOwner() != owner {
			return fmt.Errorf("organization %q: the owner cannot change: %w", id, errs.ErrFailedPrecondition)
		}
		org = o
		return put(orgs, []byte(id), o)
	})
	return org, err
}

func (s *Store) DeleteOrganization(_ context.Context, id string, force bool) ([]string, error) {
	var deleted []string
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		orgs := root.Bucket(bucketOrganizations)
		o, ok, err := get(orgs, []byte(id), &tenancyv1.Organization{})
		if err != nil {
			return err
		}
		if !ok {
			return notFound("organization", id)
		}
		if devices := boltdb.Bucket(root, bucketDevices, []byte(id)); devices != nil {
			if k, _ := devices.Cursor().First(); k != nil && !force {
				return errs.New(errs.ErrFailedPrecondition, "ORGANIZATION_NOT_EMPTY",
					fmt.Sprintf("organization %q still holds devices: delete them first or set force", id))
			}
			serials := root.Bucket(bucketSerialNumbers)
			err := devices.ForEach(func(k, v []byte) error {
				d := &tenancyv1.Device{}
				if err := proto.Unmarshal(v, d); err != nil {
					return fmt.Errorf("decode device %s: %w", k, err)
				}
				deleted = append(deleted, d.GetName())
				return serials.Delete([]byte(d.GetSerialNumber()))
			})
			if err != nil {
				return err
			}
			if err := root.Bucket(bucketDevices).DeleteBucket([]byte(id)); err != nil {
				return err
			}
		}
		key, err := ownerKey(o.GetOwner(), id)
		if err != nil {
			return err
		}
		if err := root.Bucket(bucketOwnerOrganizations).Delete(key); err != nil {
			return err
		}
		return orgs.Delete([]byte(id))
	})
	return deleted, err
}

func (s *Store) CreateDevice(_ context.Context, org, id string, device *tenancyv1.Device) error {
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if root.Bucket(bucketOrganizations).Get([]byte(org)) == nil {
			return notFound("organization", org)
		}
		devices, err := boltdb.CreateBucket(root, bucketDevices, []byte(org))
		if err != nil {
			return err
		}
		if devices.Get([]byte(id)) != nil {
			return fmt.Errorf("device %q: %w", id, errs.ErrAlreadyExists)
		}
		serials := root.Bucket(bucketSerialNumbers)
		serial := []byte(device.GetSerialNumber())
		if serials.Get(serial) != nil {
			return errs.New(errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN",
				fmt.Sprintf("a device with serial number %q is already registered", device.GetSerialNumber()))
		}
		ref, err := boltdb.JoinKey([]byte(org), []byte(id))
		if err != nil {
			return err
		}
		if err := serials.Put(serial, ref); err != nil {
			return err
		}
		return put(devices, []byte(id), device)
	})
}

func (s *Store) GetDevice(_ context.Context, org, id string) (*tenancyv1.Device, error) {
	var device *tenancyv1.Device
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		devices := boltdb.Bucket(root, bucketDevices, []byte(org))
		if devices == nil {
			return notFound("device", id)
		}
		d, ok, err := get(devices, []byte(id), &tenancyv1.Device{})
		if err != nil {
			return err
		}
		if !ok {
			return notFound("device", id)
		}
		device = d
		return nil
	})
	return device, err
}

func (s *Store) ListDevices(_ context.Context, org, after string, limit int, keep func(*tenancyv1.Device) bool) ([]*tenancyv1.Device, error) {
	var out []*tenancyv1.Device
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if root.Bucket(bucketOrganizations).Get([]byte(org)) == nil {
			return notFound("organization", org)
		}
		devices := boltdb.Bucket(root, bucketDevices, []byte(org))
		if devices == nil {
			return nil
		}
		c := devices.Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			d := &tenancyv1.Device{}
			if err := proto.Unmarshal(v, d); err != nil {
				return fmt.Errorf("decode device %s: %w", k, err)
			}
			if keep == nil || keep(d) {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) UpdateDevice(_ context.Context, org, id string, mutate func(*tenancyv1.Device) error) (*tenancyv1.Device, error) {
	var device *tenancyv1.Device
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		devices := boltdb.Bucket(root, bucketDevices, []byte(org))
		if devices == nil {
			return notFound("device", id)
		}
		d, ok, err := get(devices, []byte(id), &tenancyv1.Device{})
		if err != nil {
			return err
		}
		if !ok {
			return notFound("device", id)
		}
		serial := d.GetSerialNumber()
		if err := mutate(d); err != nil {
			return err
		}
		if d.GetSerialNumber() != serial {
			return errs.Invalid("device.serial_number", "IMMUTABLE_FIELD", "serial_number cannot change")
		}
		device = d
		return put(devices, []byte(id), d)
	})
	return device, err
}

func (s *Store) DeleteDevice(_ context.Context, org, id string) error {
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		devices := boltdb.Bucket(root, bucketDevices, []byte(org))
		if devices == nil {
			return notFound("device", id)
		}
		d, ok, err := get(devices, []byte(id), &tenancyv1.Device{})
		if err != nil {
			return err
		}
		if !ok {
			return notFound("device", id)
		}
		if err := root.Bucket(bucketSerialNumbers).Delete([]byte(d.GetSerialNumber())); err != nil {
			return err
		}
		return devices.Delete([]byte(id))
	})
}
