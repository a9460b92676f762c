// Package boltdb is the storage layer shared by Tollgate services. Each service
// owns exactly one bbolt file, laid out as:
//
//	v1/                     root bucket; bumped only if this layout itself changes
//	  meta/
//	    service             name of the owning service, e.g. "tenancy"
//	    schema_version      8-byte big-endian count of applied migrations
//	  <service buckets>/    everything else belongs to the service's Schema;
//	                        any name but "meta"
//
// Open creates the layout, refuses files that belong to another service or
// that were written by a newer binary, and applies pending migrations one
// transaction at a time. Bucket paths are built with Bucket and CreateBucket,
// and keys that must sort in range scans with the encoders in keys.go.
package boltdb
