package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/webhook"
)

// Outcome is what an attempt's answer means for the event and the endpoint.
type Outcome uint8

const (
	// Delivered: the receiver answered 2xx.
	Delivered Outcome = iota + 1
	// Retry: try again later (a timeout, a refused connection, 429, 5xx, or any other
	// answer that is not 2xx or 410).
	Retry
	// Gone: the receiver answered 410 Gone: it wants no more deliveries, and the endpoint
	// is disabled.
	Gone
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Gone:
		return "gone"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// DefaultTimeout bounds one attempt, connection to answer (Standard Webhooks recommends 15
// to 30 s).
const DefaultTimeout = 15 * time.Second

// maxAnswer is how much of an answer's body is read (and kept for the delivery log).
const maxAnswer = 1 << 10

// Sender makes delivery attempts.
type Sender struct {
	client *http.Client
	// Now is the clock for webhook-timestamp; time.Now when nil.
	Now func() time.Time
}

// NewSender returns a Sender whose connections pass guard, each attempt bounded by timeout
// (DefaultTimeout when 0). It follows no redirect (a 3xx is a failed attempt: the endpoint's
// URL should be updated instead) and uses no proxy from the environment, which would bypass
// the guard.
func NewSender(guard Guard, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := &net.Dialer{Timeout: 10 * time.Second, Control: guard.control}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &Sender{client: &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Message is one event for one endpoint.
type Message struct {
	// URL is the endpoint's.
	URL string
	// Keys sign the delivery: the endpoint's current secret, and during a rotation the
	// previous one too.
	Keys [][]byte
	// ID is the event's id: webhook-id, the same on every attempt.
	ID string
	// Body is the CloudEvent, sent as it is.
	Body []byte
}

// Result is one attempt.
type Result struct {
	Outcome Outcome
	// Status is the HTTP status; 0 when there was no answer.
	Status int
	// Latency is from the start of the attempt to the answer (or failure).
	Latency time.Duration
	// RetryAfter is the receiver's Retry-After, when it gave one (429, 503).
	RetryAfter time.Duration
	// Error says why an attempt without an answer failed; Answer is the start of the
	// answer's body. Both go to the delivery log, for the admin.
	Error  string
	Answer string
}

// Send makes one attempt to deliver m.
func (s *Sender) Send(ctx context.Context, m Message) Result {
	start := time.Now()
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Outcome: Retry, Error: err.Error(), Latency: time.Since(start)}
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("User-Agent", "rolecall-webhooks/1")
	webhook.SetHeaders(req.Header, m.Keys, m.ID, now(), m.Body)
	resp, err := s.client.Do(req)
	if err != nil {
		r := Result{Outcome: Retry, Error: err.Error(), Latency: time.Since(start)}
		if errors.Is(err, ErrForbiddenAddress) {
			r.Error = "refused: the endpoint resolves to an address webhooks may not reach (" + err.Error() + ")"
		}
		return r
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	r := Result{Status: resp.StatusCode, Latency: time.Since(start), Answer: string(answer)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		r.Outcome = Delivered
	case resp.StatusCode == http.StatusGone:
		r.Outcome = Gone
	default:
		r.Outcome = Retry
		r.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now())
	}
	return r
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. Absent or unreadable: 0.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
