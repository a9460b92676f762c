package gateway

import (
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// marshaler is the one JSON form of the REST API: proto field names
// (snake_case, as in the OpenAPI document), every field present, and
// unknown request fields rejected.
var marshaler = apiMarshaler{&jsonMarshaler{
	MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}}

type jsonMarshaler = runtime.JSONPb
