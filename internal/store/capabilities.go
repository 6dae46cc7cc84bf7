package store

// Capabilities are what a backend does that its callers may plan around: a caller that
// knows the store evaluates something exactly as it would itself pushes it down instead of
// doing it in memory. The zero value claims nothing and is always correct, only slower.
type Capabilities struct {
	// ByteOrderText says the store compares text fields (CondGt, CondGe, CondLt, CondLe and
	// sorting) by their bytes, as package scim's in-memory evaluation does, so such
	// comparisons of a SCIM filter may be pushed down.
	ByteOrderText bool
}

// Capable is a Store that reports its Capabilities. It is optional: wrappers (tests,
// instrumentation) need not forward it, and a store without it gets the zero Capabilities.
type Capable interface {
	Capabilities() Capabilities
}

// CapabilitiesOf returns st's Capabilities, or the zero value when st does not report them.
func CapabilitiesOf(st Store) Capabilities {
	if c, ok := st.(Capable); ok {
		return c.Capabilities()
	}
	return Capabilities{}
}
