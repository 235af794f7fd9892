package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	csv1 "github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/internal/syncer"
)

const (
	historySize     = 10
	recentErrorSize = 20
	// progressEvery bounds status writes during a run: progress is patched
	// at checkpoints, but no more often than this.
	progressEvery = 5 * time.Second
	// maxRetryDelay caps the requeue after a failed run.
	maxRetryDelay = 5 * time.Minute
	// webhookDebounce turns a burst of webhooks into one run.
	webhookDebounce = time.Second
)

// Runner runs the syncs of ContactSyncs: it decides whether a run is due,
// runs the engine with the resolved connectors, and turns its checkpoints
// and report into status, Events and metrics.
type Runner struct {
	Client      client.Client
	Credentials *Credentials
	Recorder    events.EventRecorder
	// JitterPercent spreads scheduled runs by ± this share of the interval.
	JitterPercent int
	Log           logr.Logger
	// Now is the clock (tests).
	Now func() time.Time
	// Retry of the engine's batch writes (tests shorten it).
	Retry syncer.Retry

	mu sync.Mutex
	// webhook holds ContactSyncs with a pending webhook trigger; timers
	// debounce bursts.
	webhook map[types.NamespacedName]bool
	timers  map[types.NamespacedName]*time.Timer
	// failures counts consecutive failed runs, for the capped backoff.
	failures map[types.NamespacedName]int
	// events feeds webhook triggers into the controller's queue.
	events chan event.GenericEvent
	// running serialises the runs and pushes of one ContactSync.
	running map[types.NamespacedName]*sync.Mutex
}

// lock serialises work on one ContactSync: the controller never reconciles
// an object twice at once, but webhook pushes arrive on their own.
func (r *Runner) lock(key types.NamespacedName) func() {
	r.mu.Lock()
	m, ok := r.running[key]
	if !ok {
		m = &sync.Mutex{}
		r.running[key] = m
	}
	r.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// NewRunner returns a Runner ready to be wired into the ContactSync controller.
func NewRunner(c client.Client, creds *Credentials, rec events.EventRecorder, jitter int) *Runner {
	return &Runner{
		Client: c, Credentials: creds, Recorder: rec, JitterPercent: jitter,
		Log: ctrl.Log.WithName("runner"), Now: time.Now,
		webhook: map[types.NamespacedName]bool{}, timers: map[types.NamespacedName]*time.Timer{},
		failures: map[types.NamespacedName]int{}, events: make(chan event.GenericEvent, 1024),
		running: map[types.NamespacedName]*sync.Mutex{},
	}
}

// TriggerWebhook asks for a run of a ContactSync because a webhook said its
// source or target changed; bursts within a second become one run.
func (r *Runner) TriggerWebhook(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.webhook[key] = true
	if _, pending := r.timers[key]; pending {
		return
	}
	r.timers[key] = time.AfterFunc(webhookDebounce, func() {
		r.mu.Lock()
		delete(r.timers, key)
		r.mu.Unlock()
		obj := &csv1.ContactSync{}
		obj.Namespace, obj.Name = key.Namespace, key.Name
		r.events <- event.GenericEvent{Object: obj}
	})
}

func (r *Runner) takeWebhook(key types.NamespacedName) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.webhook[key]
	delete(r.webhook, key)
	return v
}

// Forget drops the state of a deleted ContactSync and its metrics series.
func (r *Runner) Forget(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.webhook, key)
	delete(r.failures, key)
	if t, ok := r.timers[key]; ok {
		t.Stop()
		delete(r.timers, key)
	}
	r.mu.Unlock()
	forgetMetrics(key.Namespace, key.Name)
}

// trigger says why a run is due now, or "" when none is.
func (r *Runner) trigger(cs *csv1.ContactSync, now time.Time) csv1.RunTrigger {
	key := client.ObjectKeyFromObject(cs)
	webhook := r.takeWebhook(key)
	switch {
	case cs.Status.ObservedGeneration != cs.Generation:
		return csv1.TriggerSpecChange
	case requestedAt(cs) != "" && requestedAt(cs) != cs.Status.LastHandledReconcileAt:
		return csv1.TriggerManual
	case webhook:
		return csv1.TriggerWebhook
	case cs.Status.NextSyncTime == nil || !now.Before(cs.Status.NextSyncTime.Time):
		return csv1.TriggerSchedule
	}
	return ""
}

// Reconcile runs a sync of cs when one is due and says when to come back.
// The controller never reconciles one object concurrently, so there is at
// most one run per ContactSync at a time.
func (r *Runner) Reconcile(ctx context.Context, cs *csv1.ContactSync, sc *csv1.SourceConnection, lt *csv1.ListTarget) (ctrl.Result, error) {
	now := r.Now()
	if cs.Spec.Suspend {
		// Suspended: no run, and conditions stay as the last run left them;
		// observedGeneration still says the spec was seen.
		if cs.Status.ObservedGeneration != cs.Generation {
			patch := client.MergeFrom(cs.DeepCopy())
			cs.Status.ObservedGeneration = cs.Generation
			stampConditions(cs)
			cs.Status.NextSyncTime = nil
			return ctrl.Result{}, r.Client.Status().Patch(ctx, cs, patch, client.FieldOwner(fieldOwner))
		}
		return ctrl.Result{}, nil
	}
	trig := r.trigger(cs, now)
	if trig == csv1.TriggerSpecChange {
		// A new spec deserves a fresh start, not the tail of an old backoff.
		r.mu.Lock()
		delete(r.failures, client.ObjectKeyFromObject(cs))
		r.mu.Unlock()
	}
	if trig == "" {
		return ctrl.Result{RequeueAfter: cs.Status.NextSyncTime.Sub(now)}, nil
	}
	return r.run(ctx, cs, sc, lt, trig)
}

// stampConditions re-stamps conditions with the current generation.
func stampConditions(cs *csv1.ContactSync) {
	for i := range cs.Status.Conditions {
		cs.Status.Conditions[i].ObservedGeneration = cs.Generation
	}
}

// policySpec translates the ContactSync spec for the engine.
func policySpec(s *csv1.ContactSyncSpec) syncer.PolicySpec {
	p := syncer.PolicySpec{
		Contacts:             syncer.ContactsMode(s.Contacts),
		NewContactPermission: connectors.Permission(s.NewContactPermission),
		UpdateExisting:       syncer.UpdateExisting(s.UpdateExisting),
		Tags:                 s.Tags,
		MaxContacts:          s.MaxContacts,
		DryRun:               s.DryRun,
	}
	if s.SplitLists != nil {
		p.SplitLists = syncer.SplitLists{NewSubscribers: s.SplitLists.NewSubscribers,
			NewNonSubscribers: s.SplitLists.NewNonSubscribers, Existing: s.SplitLists.Existing}
	}
	for _, m := range s.FieldMappings {
		p.FieldMappings = append(p.FieldMappings, syncer.FieldMapping{From: m.From, To: m.To})
	}
	for _, seg := range s.Segments {
		p.Segments = append(p.Segments, syncer.Segment{Preset: string(seg.Preset), Name: seg.Name, When: seg.When, List: seg.List})
	}
	return p
}

// cursorScope identifies what a cursor was made for: another source,
// another ListTarget or another policy starts over from the beginning. A new
// list on the same ListTarget does not: new contacts go to the new list
// only, and existing ones are updated wherever they are (DESIGN §3).
func cursorScope(cs *csv1.ContactSync, sc *csv1.SourceConnection, lt *csv1.ListTarget) string {
	b, _ := json.Marshal([]any{sc.UID, sc.Spec.ProviderName(), lt.UID, policySpec(&cs.Spec)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (r *Runner) run(ctx context.Context, cs *csv1.ContactSync, sc *csv1.SourceConnection, lt *csv1.ListTarget, trig csv1.RunTrigger) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(cs)
	defer r.lock(key)()
	log := r.Log.WithValues("contactsync", key.String(), "trigger", trig)
	start := r.Now()
	// base is what the server holds; every status patch of the run is
	// computed against it (patchProgress keeps it current).
	base := cs.DeepCopy()

	fail := func(err error) (ctrl.Result, error) {
		return r.finishFailed(ctx, base, cs, trig, start, syncer.Report{}, err)
	}
	policy, err := syncer.NewPolicy(policySpec(&cs.Spec))
	if err != nil {
		return fail(stalledf(csv1.ReasonInvalidConfig, "spec.%v", err))
	}
	src, err := r.Credentials.SourceFor(ctx, sc)
	if err != nil {
		return fail(err)
	}
	tgt, err := r.Credentials.TargetFor(ctx, lt)
	if err != nil {
		return fail(err)
	}

	timeout := 30 * time.Minute
	if cs.Spec.Timeout != nil && cs.Spec.Timeout.Duration > 0 {
		timeout = cs.Spec.Timeout.Duration
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Where to start: the stored cursor, unless it was made for another
	// scope or a full pass is due.
	scope := cursorScope(cs, sc, lt)
	cursor := cs.Status.Cursor
	if cs.Status.CursorSpecHash != scope {
		cursor = ""
	}
	firstSync := cs.Status.LastSuccessfulSyncTime == nil
	var lastFull time.Time
	if cs.Status.LastFullSyncTime != nil {
		lastFull = cs.Status.LastFullSyncTime.Time
	}
	fullEvery := time.Duration(0)
	if cs.Spec.FullSyncInterval != nil {
		fullEvery = cs.Spec.FullSyncInterval.Duration
	}
	full := cursor == "" || (!firstSync && policy.FullPassDue(lastFull, start, fullEvery))
	if full && !firstSync {
		cursor = ""
	}
	if cursor == "" && firstSync && cs.Spec.InitialSync == csv1.InitialSyncNewOnly {
		// Start from now: existing contacts are not brought over.
		if sc, ok := src.(connectors.StartCursorer); ok {
			if cursor, err = sc.CursorNow(runCtx); err != nil {
				return fail(err)
			}
			full = false
		}
	}

	lastProgress := start
	params := syncer.Params{
		Source: src, Target: tgt, Policy: policy, Cursor: cursor,
		FirstSync: firstSync, Full: full, Now: r.Now, Retry: r.Retry,
		ContactsInTarget: cs.Status.ContactsInTarget,
		Checkpoint: func(ctx context.Context, cp syncer.Checkpoint) error {
			if r.Now().Sub(lastProgress) < progressEvery {
				return nil
			}
			lastProgress = r.Now()
			return r.patchProgress(ctx, base, trig, start, scope, cp)
		},
	}
	report, runErr := syncer.Run(runCtx, params)
	var optOuts int64
	if runErr == nil {
		optOuts, runErr = r.reverseSync(runCtx, cs, src, tgt, &report)
	}
	if runErr != nil {
		cs.Status.CursorSpecHash = scope
		return r.finishFailed(ctx, base, cs, trig, start, report, runErr)
	}
	log.V(1).Info("run finished", "created", report.Created, "updated", report.Updated, "failed", report.Failed)
	return r.finishSucceeded(ctx, base, cs, trig, start, scope, report, optOuts)
}

// reverseSync brings target unsubscribes back to a source that stores
// opt-in, and says in status when the pair cannot.
func (r *Runner) reverseSync(ctx context.Context, cs *csv1.ContactSync, src connectors.Source, tgt connectors.Target, report *syncer.Report) (int64, error) {
	if !cs.Spec.UnsubscribeSync || cs.Spec.DryRun {
		cs.Status.UnsubscribeSync = nil
		return 0, nil
	}
	var written int64
	st := cs.Status.UnsubscribeSync
	if st == nil {
		st = &csv1.UnsubscribeSyncStatus{}
	}
	writer, canWrite := src.(connectors.OptOutWriter)
	reader, canRead := tgt.(connectors.UnsubscribeReader)
	switch {
	case !canWrite:
		st.Supported = false
		st.Message = "the source does not store marketing opt-in, so target unsubscribes cannot be written back (QuickBooks and Flipcause have no such field)"
	case !canRead:
		st.Supported = false
		st.Message = "the target does not report unsubscribes"
	default:
		st.Supported = true
		since := cs.CreationTimestamp.Time
		if st.LastPollTime != nil {
			since = st.LastPollTime.Time
		}
		rep, err := syncer.SyncUnsubscribes(ctx, reader, writer, since)
		report.APICalls.Source += rep.APICalls.Source
		report.APICalls.Target += rep.APICalls.Target
		report.Errors = append(report.Errors, rep.Errors...)
		if err != nil {
			cs.Status.UnsubscribeSync = st
			return 0, err
		}
		st.WrittenBack += rep.Written
		mark := metav1.NewTime(rep.Watermark)
		st.LastPollTime = &mark
		st.Message = fmt.Sprintf("%d opt-out(s) written back in the last poll", rep.Written)
		written = rep.Written
	}
	cs.Status.UnsubscribeSync = st
	return written, nil
}

// patchProgress records a checkpoint. server is what the API server holds
// (the base of every patch of the run): it is updated only when the patch
// went through, so the final patch, computed against it, also clears what
// progress set (Reconciling, the Running lastRun).
func (r *Runner) patchProgress(ctx context.Context, server *csv1.ContactSync, trig csv1.RunTrigger, start time.Time, scope string, cp syncer.Checkpoint) error {
	next := server.DeepCopy()
	next.Status.Cursor = cp.Cursor
	next.Status.CursorSpecHash = scope
	run := runStatus(trig, start, cp.Report)
	run.Result = csv1.RunRunning
	next.Status.LastRun = &run
	markReconciling(next, csv1.ReasonProgressing, fmt.Sprintf("sync in progress: %d fetched, %d written", cp.Report.Fetched, cp.Report.Created+cp.Report.Updated))
	if err := r.Client.Status().Patch(ctx, next, client.MergeFrom(server), client.FieldOwner(fieldOwner)); err != nil {
		return err
	}
	*server = *next
	return nil
}

func runStatus(trig csv1.RunTrigger, start time.Time, rep syncer.Report) csv1.RunStatus {
	st := metav1.NewTime(start)
	run := csv1.RunStatus{
		Trigger: trig, Full: rep.Full, DryRun: rep.DryRun, StartTime: &st,
		RunCounts: csv1.RunCounts{
			Fetched: rep.Fetched, Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged,
			Unsubscribed: rep.Unsubscribed, Failed: rep.Failed,
			Skipped: csv1.SkippedCounts{
				NoEmail: rep.Skipped.NoEmail, InvalidEmail: rep.Skipped.InvalidEmail, Inactive: rep.Skipped.Inactive,
				NotSubscribed: rep.Skipped.NotSubscribed, UnsubscribedInTarget: rep.Skipped.UnsubscribedInTarget,
				OverCap: rep.Skipped.OverCap,
			},
			APICalls: csv1.APICalls{Source: rep.APICalls.Source, Target: rep.APICalls.Target},
		},
	}
	for _, p := range rep.Plan {
		run.Plan = append(run.Plan, csv1.PlannedChange{Action: p.Action, Email: p.Email, Detail: p.Detail})
	}
	if len(run.Plan) > 20 {
		run.Plan = run.Plan[:20]
	}
	return run
}

// recordRun puts a finished run into lastRun, history and recentErrors.
func recordRun(cs *csv1.ContactSync, run csv1.RunStatus, rep syncer.Report) {
	cs.Status.LastRun = &run
	summary := run
	summary.Plan = nil
	cs.Status.History = append([]csv1.RunStatus{summary}, cs.Status.History...)
	if len(cs.Status.History) > historySize {
		cs.Status.History = cs.Status.History[:historySize]
	}
	errs := cs.Status.RecentErrors
	for _, e := range rep.Errors {
		errs = append(errs, csv1.ContactError{SourceID: e.SourceID, Email: connectors.MaskEmail(e.Email),
			Reason: e.Reason, Message: trimMessage(e.Message), Time: metav1.NewTime(e.Time)})
	}
	if len(errs) > recentErrorSize {
		errs = errs[len(errs)-recentErrorSize:]
	}
	cs.Status.RecentErrors = errs
}

func (r *Runner) finishSucceeded(ctx context.Context, base, cs *csv1.ContactSync, trig csv1.RunTrigger, start time.Time, scope string, rep syncer.Report, optOuts int64) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(cs)
	end := r.Now()
	patch := client.MergeFrom(base)
	run := runStatus(trig, start, rep)
	completion := metav1.NewTime(end)
	run.CompletionTime = &completion
	run.Result = csv1.RunSucceeded
	reason := csv1.ReasonSucceeded
	if rep.Failed > 0 {
		run.Result, reason = csv1.RunPartialSuccess, csv1.ReasonPartialSuccess
	}
	run.OptOutsWrittenBack = optOuts
	r.mu.Lock()
	delete(r.failures, key)
	r.mu.Unlock()
	recordRun(cs, run, rep)
	if !rep.DryRun && scope != "" {
		// A push has no cursor (scope ""): the stored one stays.
		cs.Status.Cursor = rep.Cursor
		cs.Status.CursorSpecHash = scope
	}
	if !rep.DryRun {
		cs.Status.LastSuccessfulSyncTime = &completion
		cs.Status.ContactsInTarget = rep.ContactsInTarget
		cs.Status.TotalSynced += rep.Created + rep.Updated
		if rep.Full {
			startT := metav1.NewTime(start)
			cs.Status.LastFullSyncTime = &startT
		}
	}
	cs.Status.LastSyncTime = &completion
	next := r.nextRun(cs, end)
	cs.Status.NextSyncTime = &next
	cs.Status.ObservedGeneration = cs.Generation
	if v := requestedAt(cs); v != "" {
		cs.Status.LastHandledReconcileAt = v
	}
	msg := fmt.Sprintf("%s run finished in %s: %d fetched, %d created, %d updated, %d unchanged, %d unsubscribed, %d failed, %d skipped; next run at %s",
		runKind(rep), end.Sub(start).Round(time.Millisecond), rep.Fetched, rep.Created, rep.Updated, rep.Unchanged,
		rep.Unsubscribed, rep.Failed, skippedTotal(rep.Skipped), next.UTC().Format(time.RFC3339))
	markReady(cs, reason, msg)
	if err := r.Client.Status().Patch(ctx, cs, patch, client.FieldOwner(fieldOwner)); err != nil {
		return ctrl.Result{}, err
	}
	eventf(r.Recorder, cs, false, reason, "Sync", "%s", msg)
	observeRun(cs, run, rep, end.Sub(start), &completion)
	return ctrl.Result{RequeueAfter: next.Sub(end)}, nil
}

func (r *Runner) finishFailed(ctx context.Context, base, cs *csv1.ContactSync, trig csv1.RunTrigger, start time.Time, rep syncer.Report, runErr error) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(cs)
	end := r.Now()
	patch := client.MergeFrom(base)
	reason, stalled := classify(runErr)
	var fe *syncer.FieldError
	if errors.As(runErr, &fe) {
		reason, stalled = csv1.ReasonInvalidConfig, true
	}
	if reason == csv1.ReasonUnreachable && !stalled {
		reason = csv1.ReasonSyncFailed
	}
	run := runStatus(trig, start, rep)
	completion := metav1.NewTime(end)
	run.CompletionTime = &completion
	run.Result = csv1.RunFailed
	run.Message = trimMessage(errorMessage(runErr))
	recordRun(cs, run, rep)
	if rep.Cursor != "" && !rep.DryRun {
		// Pages written before the failure stay written: resume after them.
		cs.Status.Cursor = rep.Cursor
	}
	cs.Status.LastSyncTime = &completion
	cs.Status.ObservedGeneration = cs.Generation
	if v := requestedAt(cs); v != "" {
		cs.Status.LastHandledReconcileAt = v
	}

	r.mu.Lock()
	r.failures[key]++
	n := r.failures[key]
	r.mu.Unlock()
	delay := retryDelay(runErr)
	if connectors.RetryAfterOf(runErr) == 0 {
		delay = min(time.Duration(1<<min(n, 10))*5*time.Second, maxRetryDelay)
	}
	result := ctrl.Result{RequeueAfter: delay}
	msg := errorMessage(runErr)
	if stalled {
		// Terminal: wait for a change of the spec or of a dependency.
		result = ctrl.Result{}
		cs.Status.NextSyncTime = nil
	} else {
		next := metav1.NewTime(end.Add(delay))
		cs.Status.NextSyncTime = &next
		msg = fmt.Sprintf("%s; retrying at %s", msg, next.UTC().Format(time.RFC3339))
	}
	markFailed(cs, reason, msg, stalled)
	if err := r.Client.Status().Patch(ctx, cs, patch, client.FieldOwner(fieldOwner)); err != nil {
		return ctrl.Result{}, err
	}
	eventf(r.Recorder, cs, true, reason, "Sync", "%s", trimMessage(msg))
	observeRun(cs, run, rep, end.Sub(start), nil)
	return result, nil
}

// nextRun is the jittered time of the next scheduled run.
func (r *Runner) nextRun(cs *csv1.ContactSync, from time.Time) metav1.Time {
	interval := cs.Spec.Interval.Duration
	if interval <= 0 {
		interval = 15 * time.Minute
	}
	if p := r.JitterPercent; p > 0 {
		spread := int64(interval) * int64(p) / 100
		interval += time.Duration(rand.Int64N(2*spread+1) - spread)
	}
	return metav1.NewTime(from.Add(interval).Truncate(time.Second))
}

func runKind(rep syncer.Report) string {
	switch {
	case rep.DryRun:
		return "dry"
	case rep.Full:
		return "full"
	}
	return "incremental"
}

func skippedTotal(s syncer.Skipped) int64 {
	return s.NoEmail + s.InvalidEmail + s.Inactive + s.NotSubscribed + s.UnsubscribedInTarget + s.OverCap
}

func observeRun(cs *csv1.ContactSync, run csv1.RunStatus, rep syncer.Report, d time.Duration, success *metav1.Time) {
	ns, name := cs.Namespace, cs.Name
	runsTotal.WithLabelValues(ns, name, string(run.Result)).Inc()
	runDuration.WithLabelValues(ns, name).Observe(d.Seconds())
	for outcome, n := range map[string]int64{
		"created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged, "unsubscribed": rep.Unsubscribed,
		"failed": rep.Failed, "skipped": skippedTotal(rep.Skipped),
	} {
		if n > 0 {
			contactsTotal.WithLabelValues(ns, name, outcome).Add(float64(n))
		}
	}
	if success != nil {
		lastSuccess.WithLabelValues(ns, name).Set(float64(success.Unix()))
	}
}

// Push writes contacts pushed by a webhook (Flipcause) through to the target
// of cs and records the run in its status. It returns an error when they
// were not all written, so the sender retries.
func (r *Runner) Push(ctx context.Context, cs *csv1.ContactSync, lt *csv1.ListTarget, contacts []connectors.Contact) error {
	key := client.ObjectKeyFromObject(cs)
	defer r.lock(key)()
	// Work on the latest status: a scheduled run may have just finished.
	if err := r.Client.Get(ctx, key, cs); err != nil {
		return err
	}
	start := r.Now()
	base := cs.DeepCopy()
	policy, err := syncer.NewPolicy(policySpec(&cs.Spec))
	if err != nil {
		_, _ = r.finishFailed(ctx, base, cs, csv1.TriggerWebhook, start, syncer.Report{}, stalledf(csv1.ReasonInvalidConfig, "spec.%v", err))
		return err
	}
	tgt, err := r.Credentials.TargetFor(ctx, lt)
	if err != nil {
		_, _ = r.finishFailed(ctx, base, cs, csv1.TriggerWebhook, start, syncer.Report{}, err)
		return err
	}
	report, err := syncer.Push(ctx, syncer.Params{Target: tgt, Policy: policy, Now: r.Now, Retry: r.Retry,
		FirstSync: true, ContactsInTarget: cs.Status.ContactsInTarget}, contacts)
	if err != nil {
		_, _ = r.finishFailed(ctx, base, cs, csv1.TriggerWebhook, start, report, err)
		return err
	}
	_, err = r.finishSucceeded(ctx, base, cs, csv1.TriggerWebhook, start, "", report, 0)
	return err
}
