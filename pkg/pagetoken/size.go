package pagetoken

// MaxPageSize is the largest page any list method returns (the protos
// bound page_size to it too).
const MaxPageSize = 1000

// DefaultPageSize is what a list method returns when page_size is unset.
const DefaultPageSize = 50

// Size is the page size to serve for a requested page_size: def when
// unset (≤ 0), at most MaxPageSize.
func Size(requested int32, def int) int {
	switch {
	case requested <= 0:
		return def
	case requested > MaxPageSize:
		return MaxPageSize
	}
	return int(requested)
}
