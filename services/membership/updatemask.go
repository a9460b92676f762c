package membership

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tollgate/tollgate/pkg/errs"
)

// memberChanges says which fields an UpdateMember request replaces.
type memberChanges struct {
	accessPrivilege  bool
	exceptionalCases bool
}

// parseUpdateMask reads an UpdateMember mask. The email is refused as
// immutable before any other problem is reported, even when its value is
// unchanged: the answer tells the caller to delete and re-add instead.
func parseUpdateMask(mask *fieldmaskpb.FieldMask) (memberChanges, error) {
	var c memberChanges
	paths := mask.GetPaths()
	if len(paths) == 0 {
		return c, errs.Invalid("update_mask", "REQUIRED_FIELD",
			"update_mask must name the fields to change: access_privilege, exceptional_cases")
	}
	if slices.Contains(paths, "email") {
		return c, errs.Invalid("update_mask", "IMMUTABLE_FIELD",
			"a member's email cannot change: delete the member and add the new address")
	}
	for _, path := range paths {
		switch path {
		case "access_privilege":
			c.accessPrivilege = true
		case "exceptional_cases":
			c.exceptionalCases = true
		default:
			return c, errs.Invalid("update_mask", "INVALID_FIELD_MASK",
				fmt.Sprintf("update_mask: %q cannot be updated; use access_privilege or exceptional_cases", path))
		}
	}
	return c, nil
}
