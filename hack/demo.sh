#!/usr/bin/env bash
# The ContactSync demo (`make demo`, after `make tools build`): a local control plane, the
# sandbox of emulators with generated data, and the operator, all on loopback; the five seed
# integrations of config/samples applied against the sandbox; then `kubectl get` once they are
# Ready and have synced. Ctrl-C stops everything and removes the temporary files.
#
# Environment:
#   DEMO_HEADLESS=1     exit after printing instead of waiting for Ctrl-C (the exit code says
#                       whether everything became Ready and synced)
#   DEMO_TIMEOUT=180    seconds to wait for Ready and for the first successful runs
#   DEMO_CUSTOMERS=500  customers or donors generated in each source account
#   SANDBOX_ADDR=127.0.0.1:8900   where the emulators are served
#   KUBECTL=kubectl
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

KUBECTL=${KUBECTL:-kubectl}
SANDBOX_ADDR=${SANDBOX_ADDR:-127.0.0.1:8900}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-180}
DEMO_CUSTOMERS=${DEMO_CUSTOMERS:-500}
NS=contactsync-demo
# Operator ports, away from the defaults (8080, 8081, 9292) that often are taken.
METRICS_ADDR=127.0.0.1:18080
PROBE_ADDR=127.0.0.1:18081
WEBHOOK_ADDR=127.0.0.1:19292

command -v "$KUBECTL" >/dev/null || { echo "demo: $KUBECTL not found: install kubectl (or set KUBECTL)" >&2; exit 1; }
for f in bin/contactsync bin/etcd bin/kube-apiserver; do
  [ -x "$f" ] || { echo "demo: $f is missing: run 'make tools build' (or 'make demo')" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/contactsync-demo.XXXXXX")
export KUBECONFIG="$tmp/kubeconfig"
pids=() # children, each the leader of its own process group, in start order

# stop PID NAME: SIGTERM to the process, so it shuts down its own children (the control
# plane stops etcd and kube-apiserver), then SIGKILL to its whole group if it lingers.
stop() {
  local pid=$1 name=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "demo: $name did not stop within 10 s; killing its process group" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  echo
  echo "Stopping the demo..."
  # Reverse order: the operator first, the control plane last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    read -r pid name <<<"${pids[$i]}"
    stop "$pid" "$name"
  done
  rm -rf "$tmp"
  echo "Stopped."
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME LOG COMMAND...: run COMMAND in its own session (so Ctrl-C reaches only this
# script, which stops the children in order) with its output in LOG.
start() {
  local name=$1 log=$2; shift 2
  setsid "$@" >"$log" 2>&1 </dev/null &
  pids+=("$! $name")
}

# alive NAME LOG: fail with the end of LOG when the last started child has exited.
alive() {
  local pid=${pids[-1]%% *}
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "demo: $1 exited; the end of its log ($2):" >&2
    tail -n 30 "$2" >&2
    exit 1
  fi
}

# waitfor WHAT SECONDS NAME LOG CONDITION...: poll CONDITION while the last child lives.
waitfor() {
  local what=$1 seconds=$2 name=$3 log=$4; shift 4
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    alive "$name" "$log"
    if ((SECONDS >= deadline)); then
      echo "demo: $what did not happen within ${seconds}s; the end of the $name log:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

echo "==> Starting the local control plane (etcd, kube-apiserver)"
go build -o "$tmp/localcluster" ./hack/localcluster
start control-plane "$tmp/control-plane.log" "$tmp/localcluster" --kubeconfig "$KUBECONFIG" --bin "$root/bin" --crds "$root/config/crd/bases"
waitfor "the control plane start" 120 control-plane "$tmp/control-plane.log" test -s "$KUBECONFIG"

echo "==> Starting the sandbox at http://$SANDBOX_ADDR ($DEMO_CUSTOMERS customers per source)"
start sandbox "$tmp/sandbox.log" bin/contactsync sandbox --address "$SANDBOX_ADDR" --customers "$DEMO_CUSTOMERS" \
  --manifests "$tmp/demo.yaml" --namespace "$NS" --webhook-url "http://$WEBHOOK_ADDR"
waitfor "the sandbox start" 60 sandbox "$tmp/sandbox.log" grep -q "Press Ctrl-C" "$tmp/sandbox.log"

echo "==> Starting the operator"
start operator "$tmp/operator.log" bin/contactsync --metrics-bind-address "$METRICS_ADDR" \
  --health-probe-bind-address "$PROBE_ADDR" --webhook-bind-address "$WEBHOOK_ADDR" --zap-log-level info

echo "==> Applying the sample integrations, pointed at the sandbox"
"$KUBECTL" apply -f "$tmp/demo.yaml"

echo "==> Waiting for the SourceConnections and ListTargets to be Ready"
ready() {
  "$KUBECTL" wait -n "$NS" --for=condition=Ready sourceconnections,listtargets --all --timeout=2s
}
waitfor "Ready of every connection" "$DEMO_TIMEOUT" operator "$tmp/operator.log" ready

echo "==> Waiting for the first successful run of every ContactSync"
# A run succeeded when lastSuccessfulSyncTime is set, or Ready=True says Succeeded or PartialSuccess.
unsynced() {
  "$KUBECTL" get contactsyncs -n "$NS" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.lastSuccessfulSyncTime}{" "}{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}{"\n"}{end}' |
    awk '$2 == "" || $2 ~ /\// { if ($NF != "True/Succeeded" && $NF != "True/PartialSuccess") print $1 }'
}
all_synced() { [ -z "$(unsynced)" ]; }
synced=1
deadline=$((SECONDS + DEMO_TIMEOUT))
until all_synced; do
  alive operator "$tmp/operator.log"
  if ((SECONDS >= deadline)); then
    synced=0
    echo "demo: no successful run yet after ${DEMO_TIMEOUT}s for: $(unsynced | tr '\n' ' ')" >&2
    break
  fi
  sleep 1
done

echo
"$KUBECTL" get sourceconnections,listtargets,contactsyncs -A
echo
"$KUBECTL" get contactsyncs -A -o wide
echo
cat <<EOF
What to try next (in another terminal):
  export KUBECONFIG=$KUBECONFIG
  kubectl describe contactsync -n $NS harbor-bikes-books-to-cc        # last run, counts, recent errors, events
  kubectl annotate contactsync -n $NS harbor-bikes-books-to-cc --overwrite contactsync.io/requested-at="\$(date +%s)"   # sync now
  curl http://$SANDBOX_ADDR/                                            # every emulator and its URL
  curl http://$SANDBOX_ADDR/constantcontact/harbor-bikes/_sandbox/state # what arrived in Constant Contact
  curl -X PUT http://$SANDBOX_ADDR/constantcontact/harbor-bikes/_sandbox/faults -d '{"rateLimitShare":0.3,"latency":"200ms"}'   # inject faults
  curl http://$SANDBOX_ADDR/quickbooks/harbor-bikes/_sandbox/requests   # API calls by route
  curl http://$METRICS_ADDR/metrics | grep ^contactsync_                  # the operator's metrics
Logs: $tmp/{control-plane,sandbox,operator}.log (removed on exit)
EOF

if [ "${DEMO_HEADLESS:-}" = 1 ]; then
  [ "$synced" = 1 ] || exit 1
  exit 0
fi
echo
echo "The demo is running. Press Ctrl-C to stop it."
while :; do
  for entry in "${pids[@]}"; do
    read -r pid name <<<"$entry"
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name exited; the end of its log:" >&2
      tail -n 30 "$tmp/$name.log" >&2
      exit 1
    fi
  done
  sleep 2
done
