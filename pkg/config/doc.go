// Package config is the flag handling shared by every Tollgate binary:
// standard library flags, each with a TOLLGATE_* environment fallback, and
// validation that reports every bad setting at once.
package config
