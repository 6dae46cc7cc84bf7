package webhook

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The published test vector of the scheme (the same in every Standard Webhooks library).
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesTheSpecVector(t *testing.T) {
	k, err := ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(k, vecID, time.Unix(vecTS, 0), []byte(vecBody)); got != vecSig {
		t.Fatalf("Sign = %s, want %s", got, vecSig)
	}
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	now := func() time.Time { return time.Unix(vecTS+60, 0) }
	old, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(old, vecSecret) // a receiver mid-rotation holds both
	if err != nil {
		t.Fatal(err)
	}
	v.Now = now
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		err  error
	}{
		{"valid", headers(vecID, vecTS, vecSig), vecBody, nil},
		{"one of several signatures", headers(vecID, vecTS, "v1,Zm9v "+vecSig+" v1a,YmFy"), vecBody, nil},
		{"body changed", headers(vecID, vecTS, vecSig), vecBody + " ", ErrSignature},
		{"id changed", headers(vecID+"x", vecTS, vecSig), vecBody, ErrSignature},
		{"timestamp changed within tolerance", headers(vecID, vecTS+1, vecSig), vecBody, ErrSignature},
		{"too old", headers(vecID, vecTS-10*60, vecSig), vecBody, ErrTimestamp},
		{"from the future", headers(vecID, vecTS+10*60, vecSig), vecBody, ErrTimestamp},
		{"timestamp not a number", func() http.Header { h := headers(vecID, vecTS, vecSig); h.Set(HeaderTimestamp, "soon"); return h }(), vecBody, ErrTimestamp},
		{"no signature header", func() http.Header { h := headers(vecID, vecTS, vecSig); h.Del(HeaderSignature); return h }(), vecBody, ErrMissingHeaders},
		{"asymmetric only", headers(vecID, vecTS, "v1a,"+strings.TrimPrefix(vecSig, "v1,")), vecBody, ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.Verify(tc.h, []byte(tc.body))
			if !errors.Is(err, tc.err) || (err == nil && id != vecID) {
				t.Fatalf("Verify = %q, %v; want %v", id, err, tc.err)
			}
		})
	}
}

func TestSetHeadersSignsWithEveryKey(t *testing.T) {
	a, _ := NewSecret()
	b, _ := NewSecret()
	ka, _ := ParseSecret(a)
	kb, _ := ParseSecret(b)
	h := http.Header{}
	ts := time.Now()
	SetHeaders(h, [][]byte{ka, kb}, "evt_1", ts, []byte("{}"))
	if n := len(strings.Fields(h.Get(HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures, want 2: %q", n, h.Get(HeaderSignature))
	}
	for _, s := range []string{a, b} {
		v, _ := NewVerifier(s)
		if _, err := v.Verify(h, []byte("{}")); err != nil {
			t.Errorf("a receiver holding one of the keys: %v", err)
		}
	}
}

func TestSecrets(t *testing.T) {
	s, err := NewSecret()
	if err != nil || !strings.HasPrefix(s, SecretPrefix) {
		t.Fatalf("NewSecret = %q, %v", s, err)
	}
	if k, err := ParseSecret(s); err != nil || len(k) != 32 {
		t.Fatalf("ParseSecret(NewSecret()) = %d bytes, %v", len(k), err)
	}
	for _, bad := range []string{"whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := ParseSecret(bad); !errors.Is(err, ErrSecret) {
			t.Errorf("ParseSecret(%q) = %v, want ErrSecret", bad, err)
		}
	}
	if _, err := NewVerifier(); !errors.Is(err, ErrSecret) {
		t.Errorf("NewVerifier() with no secret: %v", err)
	}
}

func TestHandler(t *testing.T) {
	secret, _ := NewSecret()
	key, _ := ParseSecret(secret)
	v, _ := NewVerifier(secret)
	var got string
	srv := httptest.NewServer(v.Handler(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
	})))
	defer srv.Close()
	send := func(body string, sign bool) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if sign {
			SetHeaders(req.Header, [][]byte{key}, "evt_1", time.Now(), []byte(body))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(`{"type":"com.rolecall.user.created"}`, true); code != 200 || got != `{"type":"com.rolecall.user.created"}` {
		t.Fatalf("signed: %d, handler read %q", code, got)
	}
	got = ""
	if code := send(`{"forged":true}`, false); code != 401 || got != "" {
		t.Fatalf("unsigned: %d, handler ran: %q", code, got)
	}
	if code := send(strings.Repeat("x", 2<<20), true); code != 413 {
		t.Fatalf("2 MiB body: %d", code)
	}
}
