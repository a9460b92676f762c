// Package category maps the 24 Open API log categories between their
// numbers (log_type 0-23), their names (e.g. "traffic") and the members of
// LogRecord's category oneof. The table is read from the proto descriptor,
// whose oneof lists the categories in log_type order, so it cannot drift
// from the API.
package category

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// Count is the number of categories.
const Count = 24

// Category is one log category.
type Category struct {
	// LogType is the Open API number, 0-23.
	LogType int32
	// Name is the proto field name, e.g. "application_patrol".
	Name string
	// Field is the member of LogRecord's category oneof.
	Field protoreflect.FieldDescriptor
}

var (
	all      []Category
	byName   = map[string]Category{}
	byNumber = map[protoreflect.FieldNumber]Category{}
	oneof    protoreflect.OneofDescriptor
)

func init() {
	oneof = (&exportv1.LogRecord{}).ProtoReflect().Descriptor().Oneofs().ByName("category")
	fields := oneof.Fields()
	if fields.Len() != Count {
		panic("category: LogRecord's category oneof does not hold 24 categories")
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		c := Category{LogType: int32(i), Name: string(fd.Name()), Field: fd}
		all = append(all, c)
		byName[c.Name] = c
		byNumber[fd.Number()] = c
	}
}

// All returns every category in log_type order. The slice is shared: do
// not modify it.
func All() []Category { return all }

// ByLogType returns the category numbered t.
func ByLogType(t int32) (Category, bool) {
	if t < 0 || t >= Count {
		return Category{}, false
	}
	return all[t], true
}

// ByName returns the category called name.
func ByName(name string) (Category, bool) {
	c, ok := byName[name]
	return c, ok
}

// Of returns the category set in r's oneof; false when none is set.
func Of(r *exportv1.LogRecord) (Category, bool) {
	fd := r.ProtoReflect().WhichOneof(oneof)
	if fd == nil {
		return Category{}, false
	}
	return byNumber[fd.Number()], true
}

// Fields returns the mutable category message of r for c, setting an empty
// one (and replacing any other category) when c is not the set one.
func (c Category) Fields(r *exportv1.LogRecord) protoreflect.Message {
	return r.ProtoReflect().Mutable(c.Field).Message()
}
