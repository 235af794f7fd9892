package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// MaxGenerate bounds POST /_sandbox/generate, so a typo cannot exhaust memory.
const MaxGenerate = 2_000_000

// HandleGenerate adds POST /_sandbox/generate {"count":N,"seed":S}, which
// every emulator offers: gen replaces the emulator's data with N generated
// records from seed S and returns what to answer (counts by kind).
func (s *Server) HandleGenerate(gen func(count int, seed uint64) any) {
	s.HandleAdmin("POST /_sandbox/generate", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Count int    `json:"count"`
			Seed  uint64 `json:"seed"`
		}
		if !DecodeJSON(w, r, &in) {
			return
		}
		if in.Count < 0 || in.Count > MaxGenerate {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("count must be between 0 and %d", MaxGenerate)})
			return
		}
		WriteJSON(w, http.StatusOK, gen(in.Count, in.Seed))
	})
}

// DecodeJSON reads an admin request's JSON body (at most 1 MiB) into v, or
// answers 400 and returns false.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "request body: " + err.Error()})
		return false
	}
	return true
}
