// Package store defines the membership service's storage: each owner's
// members, their access privileges and exceptional cases. The bbolt
// implementation lives in boltstore; storetest is the conformance suite
// every implementation must pass.
package store

import (
	"context"

	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// Store keeps members. A member belongs to one owner account (its Owner
// field) and is known there by its email, which is unique within the
// account; the same person can be a member of several accounts. Records
// are the API messages, with name, owner and emails already normalized by
// the caller.
//
// Errors: errs.ErrNotFound for a missing member, errs.ErrAlreadyExists for
// a taken ID or, with reason MEMBER_EXISTS, an email already in the owner's
// account; errs.ErrInvalidArgument with reason IMMUTABLE_FIELD when an
// update changes the email, errs.ErrFailedPrecondition when it changes the
// name or owner.
type Store interface {
	// CreateMember stores a new member under id.
	CreateMember(ctx context.Context, id string, member *membershipv1.Member) error
	// GetMember returns the member with id.
	GetMember(ctx context.Context, id string) (*membershipv1.Member, error)
	// GetMemberByEmail returns the member with email in owner's account.
	GetMemberByEmail(ctx context.Context, owner, email string) (*membershipv1.Member, error)
	// ListMembers returns up to limit of owner's members whose email sorts
	// after afterEmail (all of them when it is empty), in email order; emails
	// are unique per owner, so the order is total and afterEmail a stable
	// cursor.
	ListMembers(ctx context.Context, owner, afterEmail string, limit int) ([]*membershipv1.Member, error)
	// ListMembersByEmail returns the members with email across all owner
	// accounts, in owner order: what that person was granted, and by whom.
	ListMembersByEmail(ctx context.Context, email string) ([]*membershipv1.Member, error)
	// UpdateMember applies mutate to the stored member atomically and
	// returns the result. If mutate fails, nothing changes.
	UpdateMember(ctx context.Context, id string, mutate func(*membershipv1.Member) error) (*membershipv1.Member, error)
	// DeleteMember deletes the member with id.
	DeleteMember(ctx context.Context, id string) error
	// ForgetTarget removes, from every member of every owner, the
	// exceptional cases on target and, when target is an organization, on
	// its devices. It returns how many cases it removed.
	ForgetTarget(ctx context.Context, target resource.Target) (int, error)
}
