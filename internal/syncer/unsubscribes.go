package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// UnsubscribeReport is what reverse sync did.
type UnsubscribeReport struct {
	// Written counts unsubscribes stored in the source; NotFound those the
	// source has no contact for; Failed those it refused.
	Written  int64
	NotFound int64
	Failed   int64
	APICalls APICalls
	// Errors are the latest failures, emails masked.
	Errors []ContactError
	// Watermark to poll from next time. It stays before the earliest
	// failed unsubscribe, so that one is read and written again.
	Watermark time.Time
}

// unsubscribeOverlap is how far before the watermark each poll starts.
const unsubscribeOverlap = time.Second

// SyncUnsubscribes writes the target's unsubscribes since the watermark
// back to a source that stores opt-in. A per-contact failure is counted and
// retried by the next poll; a terminal error, or a failure to read, ends
// the sync with an error and the old watermark.
func SyncUnsubscribes(ctx context.Context, reader connectors.UnsubscribeReader, writer connectors.OptOutWriter, since time.Time) (UnsubscribeReport, error) {
	rep := UnsubscribeReport{Watermark: since}
	var srcCalls, tgtCalls connectors.CallCounter
	var firstFailed time.Time
	sctx := connectors.WithCallCounter(ctx, &srcCalls)
	// Targets stamp changes to the second and answer "changed after since":
	// an opt-out later in the watermark's own second would never be read.
	// Poll with a second of overlap; writing an opt-out again is harmless.
	from := since
	if !from.IsZero() {
		from = from.Add(-unsubscribeOverlap)
	}
	mark, err := reader.Unsubscribes(connectors.WithCallCounter(ctx, &tgtCalls), from, func(us []connectors.Unsubscribe) error {
		for _, u := range us {
			email := NormalizeEmail(u.Email)
			if ValidateEmail(email) != nil {
				// Nothing a source could match; not worth stalling the watermark.
				rep.NotFound++
				continue
			}
			n, err := writer.WriteOptOut(sctx, email)
			switch {
			case err != nil && connectors.IsTerminal(err):
				return fmt.Errorf("source: write opt-out: %w", err)
			case err != nil:
				rep.Failed++
				if firstFailed.IsZero() || u.At.Before(firstFailed) {
					firstFailed = u.At
				}
				e := ContactError{Email: connectors.MaskEmail(email), Reason: "OptOutFailed", Message: maskIn(err.Error(), email), Time: time.Now()}
				rep.Errors = append(rep.Errors, e)
				if len(rep.Errors) > maxErrors {
					rep.Errors = rep.Errors[1:]
				}
			case n == 0:
				rep.NotFound++
			default:
				rep.Written++
			}
		}
		return nil
	})
	rep.APICalls = APICalls{Source: srcCalls.Load(), Target: tgtCalls.Load()}
	if err != nil {
		return rep, err
	}
	if mark.After(since) {
		rep.Watermark = mark
	}
	if !firstFailed.IsZero() && firstFailed.Add(-time.Nanosecond).Before(mark) {
		rep.Watermark = firstFailed.Add(-time.Nanosecond)
	}
	return rep, nil
}
