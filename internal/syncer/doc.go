// Package syncer is the sync engine: a Source, a Target, a Policy and a
// cursor go in; a Report and a new cursor come out. It knows nothing of
// Kubernetes: the controllers translate a ContactSync into a PolicySpec and
// the Report into status.
//
// The flow of a run:
//
//		source pages ──► normalise and filter ──► buffer ──► lookup ──► consent ──► map ──► segment ──► write ──► checkpoint ──► report
//
//	  - Pages stream from Source.Changes; the next page is fetched while the
//	    current one is written, with one page of buffering, so memory does not
//	    grow with the number of contacts.
//	  - Each contact is normalised (trimmed, lower-cased email) and filtered:
//	    no email, invalid email, inactive at the first sync, not subscribed
//	    (SubscribersOnly) are skipped and counted by reason.
//	  - Eligible contacts collect into batches of the target's MaxBatch, across
//	    pages. A batch looks up what the target knows of its emails, decides per
//	    contact under the consent rules of DESIGN.md §3 (never re-subscribe;
//	    existing contacts keep their status; source opt-outs unsubscribe), maps
//	    fields, computes segment membership, drops what would not change, and
//	    writes the rest in one Upsert. Up to Limits().Concurrency batches are in
//	    flight; two batches holding the same email never are.
//	  - A page is checkpointed (its cursor handed to Params.Checkpoint) once
//	    every contact of it is written or recorded as failed, and pages are
//	    checkpointed in source order, so the cursor never passes a contact that
//	    was not written. Writes are upserts by email applied in source order,
//	    so a run resumed from any checkpoint ends in the same target state.
//	  - Batch errors that are not terminal are retried with exponential
//	    backoff and jitter that honour Retry-After; per-contact failures are
//	    counted and the latest kept, and never fail the run.
//	  - A dry run is the same pipeline with Upsert replaced by a plan.
package syncer
