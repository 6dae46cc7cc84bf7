package scimload

import (
	"math"
	"math/bits"
	"time"
)

// Latencies are kept in a log-linear histogram (the HDR idea) rather than as a list of samples,
// so memory stays fixed (a few tens of KiB per operation kind and worker) however many millions
// of operations a run makes, while every percentile is within 1/128 of the true value.
const (
	subBits    = 8            // values below 2^subBits ns are exact
	subCount   = 1 << subBits // 256
	halfCount  = subCount / 2 // mantissa buckets per power of two above that
	maxExpBits = 42           // 2^42 ns ≈ 73 minutes: anything slower lands in the last bucket
	numBuckets = subCount + (maxExpBits-subBits)*halfCount
)

// Histogram records durations with a relative error below 1/128 and exact count, min, max
// and sum. Its zero value is not usable; call NewHistogram. It is not safe for concurrent use:
// each worker keeps its own and they are merged at the end.
type Histogram struct {
	counts   []int64
	count    int64
	sum      int64
	min, max int64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]int64, numBuckets), min: math.MaxInt64}
}

// bucketOf maps a non-negative value in ns to its bucket.
func bucketOf(v int64) int {
	if v < subCount {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits // ≥ 1: how far the top subBits bits are shifted
	if e > maxExpBits-subBits {
		return numBuckets - 1
	}
	m := int(v >> uint(e)) // in [halfCount, subCount)
	return subCount + (e-1)*halfCount + (m - halfCount)
}

// bucketRange returns the smallest value of bucket i and the bucket's width.
func bucketRange(i int) (lo, width int64) {
	if i < subCount {
		return int64(i), 1
	}
	k := i - subCount
	e := k/halfCount + 1
	m := int64(k%halfCount + halfCount)
	return m << uint(e), int64(1) << uint(e)
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.count++
	h.sum += v
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.count == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.count += o.count
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.count }

// Max is the largest recorded value (exact).
func (h *Histogram) Max() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// Mean is the arithmetic mean (exact).
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sum / h.count)
}

// Quantile returns the value at quantile q (0 < q ≤ 1): the middle of the bucket that holds
// the ceil(q·count)-th smallest value, clamped to the exact min and max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.count)))
	rank = min(max(rank, 1), h.count)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			v := lo + w/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
