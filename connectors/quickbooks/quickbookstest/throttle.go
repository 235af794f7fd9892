package quickbookstest

import (
	"sync"
	"time"
)

// throttle is Intuit's per-realm limit: a sliding 60 s window of requests
// and a cap on requests in flight. Requests over either get a 429 Fault 3001.
type throttle struct {
	mu       sync.Mutex
	perMin   int // <0: no limit
	conc     int // <0: no limit
	window   []time.Time
	inflight int
}

func newThrottle(perMin, conc int) *throttle { return &throttle{perMin: perMin, conc: conc} }

// enter admits a request at now, or refuses it.
func (t *throttle) enter(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	cut := 0
	for cut < len(t.window) && now.Sub(t.window[cut]) >= time.Minute {
		cut++
	}
	t.window = t.window[cut:]
	if (t.perMin >= 0 && len(t.window) >= t.perMin) || (t.conc >= 0 && t.inflight >= t.conc) {
		return false
	}
	t.window = append(t.window, now)
	t.inflight++
	return true
}

func (t *throttle) leave() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inflight--
}
