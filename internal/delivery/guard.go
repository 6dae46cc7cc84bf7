// Package delivery sends change events to webhook endpoints: one signed HTTP attempt and
// what its answer means (delivered, retry later, or stop: the receiver said 410 Gone), the
// retry schedule, and the guard that keeps an endpoint URL from reaching rolecall's own
// network (SSRF). Which events go to which endpoint, leasing and the delivery log are the
// service layer's; this package holds no state. It may import the webhook package and the
// standard library.
package delivery

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenAddress: the endpoint resolves to an address webhooks may not reach.
var ErrForbiddenAddress = errors.New("address not allowed for webhooks")

// Guard decides which addresses webhook deliveries may connect to. The zero Guard allows
// only public unicast addresses: an endpoint URL is chosen by an org admin, and without the
// guard it could make rolecall post to its own database, a cloud metadata service or anything
// else on the private network.
type Guard struct {
	// AllowPrivate also allows loopback, private, link-local and other non-public addresses
	// (serve --webhook-allow-private: tests, and deployments whose receivers are internal).
	AllowPrivate bool
}

// Allowed reports whether a delivery may connect to addr.
func (g Guard) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	if g.AllowPrivate {
		return addr.IsValid() && !addr.IsUnspecified() && !addr.IsMulticast()
	}
	return publicUnicast(addr)
}

// nonPublic lists ranges that are neither loopback, private nor link-local by Go's
// predicates yet are not the public internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: would reach any IPv4 address, private ones too
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

func publicUnicast(a netip.Addr) bool {
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// control is a net.Dialer Control function: it runs after name resolution, on the address
// actually being connected to, so a name that resolves to a private address (or changes to
// one between a check and the connection: DNS rebinding) is refused too.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	if !g.Allowed(a) {
		return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, a)
	}
	return nil
}

// CheckURL refuses an endpoint URL a person should fix before it is saved: not http(s), no
// host, credentials in the URL, or a literal address the guard forbids. Names are not
// resolved here (they may resolve differently at delivery time, where the guard checks
// again).
func (g Guard) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("endpoint URL %q: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("endpoint URL %q: use https:// (or http://)", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("endpoint URL %q has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("endpoint URL %q carries credentials: deliveries are signed instead (verify webhook-signature)", raw)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("endpoint URL %q has a #fragment, which is never sent", raw)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(u.Hostname(), "["), "]")
	if a, err := netip.ParseAddr(host); err == nil && !g.Allowed(a) {
		return nil, fmt.Errorf("endpoint URL %q: %s is not a public address; webhooks may not reach loopback, private or link-local networks unless the server runs with --webhook-allow-private", raw, a)
	}
	if strings.EqualFold(host, "localhost") && !g.AllowPrivate {
		return nil, fmt.Errorf("endpoint URL %q: localhost is not reachable for webhooks unless the server runs with --webhook-allow-private", raw)
	}
	return u, nil
}
