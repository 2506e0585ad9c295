package httpapi

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// limiter is a set of token buckets keyed by credential or address. Idle
// buckets are dropped so that a scan of many addresses cannot grow it
// without bound.
type limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64) *limiter {
	if burst < 1 {
		burst = 1
	}
	return &limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}, swept: time.Now()}
}

// allow takes one token from key's bucket, reporting whether there was one.
func (l *limiter) allow(key string) bool {
	ok, _ := l.take(key)
	return ok
}

// take takes one token from key's bucket; when there is none it returns
// how long until there is.
func (l *limiter) take(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		if l.rate <= 0 {
			return false, time.Hour
		}
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// retryAfter is the value of a Retry-After header for a wait: whole
// seconds, at least one.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}
