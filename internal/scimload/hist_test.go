package scimload

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverValuesInOrder(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<20 + 1, 1 << 40, 1<<42 - 1, 1 << 42, 1 << 62} {
		b := bucketOf(v)
		if b < prev || b >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d (of %d)", v, b, prev, numBuckets)
		}
		prev = b
		if v < 1<<42 {
			lo, w := bucketRange(b)
			if v < lo || v >= lo+w {
				t.Errorf("value %d outside its bucket [%d, %d)", v, lo, lo+w)
			}
			if v >= subCount && float64(w)/float64(lo) > 1.0/128+1e-9 {
				t.Errorf("bucket of %d is %d wide at %d: over 1/128", v, w, lo)
			}
		}
	}
}

func TestQuantilesMatchSortedSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		gen  func() time.Duration
	}{
		{"uniform µs", func() time.Duration { return time.Duration(rng.IntN(1000)) * time.Microsecond }},
		{"lognormal-ish", func() time.Duration {
			return time.Duration(float64(time.Millisecond) * (0.2 + rng.ExpFloat64()*rng.ExpFloat64()))
		}},
		{"bimodal", func() time.Duration {
			if rng.IntN(100) == 0 {
				return 50*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond
			}
			return 300*time.Microsecond + time.Duration(rng.IntN(100))*time.Microsecond
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistogram()
			var all []time.Duration
			for range 50000 {
				d := tc.gen()
				h.Record(d)
				all = append(all, d)
			}
			slices.Sort(all)
			for _, q := range []float64{0.5, 0.95, 0.99, 0.999, 1} {
				exact := all[int(q*float64(len(all)))-1]
				got := h.Quantile(q)
				if diff := float64(got-exact) / float64(exact); diff > 0.01 || diff < -0.01 {
					t.Errorf("q%.3f: got %v, exact %v (%.2f%% off)", q, got, exact, diff*100)
				}
			}
			if h.Max() != all[len(all)-1] || h.Count() != int64(len(all)) {
				t.Errorf("max %v count %d, want %v and %d", h.Max(), h.Count(), all[len(all)-1], len(all))
			}
		})
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	a, b, both := NewHistogram(), NewHistogram(), NewHistogram()
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		both.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(b)
	a.Merge(nil)
	a.Merge(NewHistogram())
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99} {
		if a.Quantile(q) != both.Quantile(q) {
			t.Errorf("q%.2f: merged %v, together %v", q, a.Quantile(q), both.Quantile(q))
		}
	}
	if a.Mean() != both.Mean() || a.Max() != both.Max() || a.Count() != both.Count() {
		t.Errorf("merged %v/%v/%d, together %v/%v/%d", a.Mean(), a.Max(), a.Count(), both.Mean(), both.Max(), both.Count())
	}
}

func TestEmptyHistogram(t *testing.T) {
	h := NewHistogram()
	if h.Quantile(0.99) != 0 || h.Max() != 0 || h.Mean() != 0 || h.Count() != 0 {
		t.Fatal("an empty histogram must report zeros")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i%5000000) * 37)
	}
}
