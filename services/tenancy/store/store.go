// Package store defines the tenancy service's storage: organizations and
// their devices. The bbolt implementation lives in boltstore; storetest is
// the conformance suite every implementation must pass.
package store

import (
	"context"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// Store keeps organizations and devices. Records are the API messages
// without their computed fields (license state and days remaining).
//
// Errors: errs.ErrNotFound for a missing record, errs.ErrAlreadyExists for
// a taken ID or serial number, errs.ErrFailedPrecondition for deleting an
// organization that still holds devices.
type Store interface {
	// CreateOrganization stores a new organization under id.
	CreateOrganization(ctx context.Context, id string, org *tenancyv1.Organization) error
	// GetOrganization returns the organization with id.
	GetOrganization(ctx context.Context, id string) (*tenancyv1.Organization, error)
	// ListOrganizations returns, in id order, up to limit organizations
	// owned by any of owners whose id is greater than after and for which
	// keep (if not nil) returns true. keep runs outside any transaction
	// and may call the store.
	ListOrganizations(ctx context.Context, owners []string, after string, limit int, keep func(*tenancyv1.Organization) bool) ([]*tenancyv1.Organization, error)
	// UpdateOrganization applies mutate to the stored organization
	// atomically and returns the result.
	UpdateOrganization(ctx context.Context, id string, mutate func(*tenancyv1.Organization) error) (*tenancyv1.Organization, error)
	// DeleteOrganization deletes the organization; with force its devices
	// go too, otherwise a non-empty organization is refused. It returns the
	// names of the deleted devices.
	DeleteOrganization(ctx context.Context, id string, force bool) ([]string, error)

	// CreateDevice stores a new device; its serial number must be unused.
	CreateDevice(ctx context.Context, org, id string, device *tenancyv1.Device) error
	// GetDevice returns a device.
	GetDevice(ctx context.Context, org, id string) (*tenancyv1.Device, error)
	// ListDevices returns, in id order, up to limit devices of org with an
	// id greater than after for which keep (if not nil) returns true.
	// keep may run inside a read transaction and must not call the store.
	ListDevices(ctx context.Context, org, after string, limit int, keep func(*tenancyv1.Device) bool) ([]*tenancyv1.Device, error)
	// UpdateDevice applies mutate atomically and returns the result. The
	// serial number cannot change.
	UpdateDevice(ctx context.Context, org, id string, mutate func(*tenancyv1.Device) error) (*tenancyv1.Device, error)
	// DeleteDevice deletes a device.
	DeleteDevice(ctx context.Context, org, id string) error
}
