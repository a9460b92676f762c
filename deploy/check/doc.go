// Package check builds Tollgate's container images without a Docker engine
// and validates the Kubernetes manifests under deploy/kubernetes.
//
// Images (image.go) are made with go-containerregistry from the static
// binaries: a scratch base, reproducible layers (fixed times, owners and
// order) and an OCI image layout archive per component. `make images` runs
// cmd/imagebuild.
//
// Manifests (manifests.go, rules.go) are rendered in-process with the
// kustomize API, every object is decoded strictly into its k8s.io/api type,
// and rules of our own check every workload: the restricted Pod Security
// Standard, probes, resources, image references, Secrets referenced but never
// inlined, settings and Secret keys documented in docs/operations.md, and
// NetworkPolicies that open exactly the call graph. `make manifests-check`
// runs the tests of this module.
//
// The configuration tables of docs/operations.md are generated from the
// binaries' -h output by cmd/flagdoc (flagdoc.go).
package check
