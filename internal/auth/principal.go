package auth

import "context"

type principalKey struct{}

// WithPrincipal returns a context carrying p, the authenticated caller of a request: the
// server's authentication wrappers set it, and the console's session check sets it for a
// signed-in browser.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the context's principal (the zero Principal when none was set: the
// request was not authenticated).
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}
