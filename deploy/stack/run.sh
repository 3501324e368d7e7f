#!/usr/bin/env bash
# `make stack`: the Kubernetes topology as local processes, for a laptop. Prometheus (remote-write
# receiver, out-of-order window, the alert rules of deploy/prometheus), Alertmanager, the roomtemp
# API on the Prometheus backend with its spool, sending its own alerts to the same Alertmanager
# (every STACK_ALERT_INTERVAL, from its outbox), and `roomtemp simulate` pushing readings for a few
# rooms (STACK_ROOMS, every STACK_FEED_INTERVAL; STACK_BACKFILL=1d writes a day of history first).
# Everything listens on 127.0.0.1 only; Ctrl-C stops it all. Needs the Debian packages prometheus
# and prometheus-alertmanager. State lives in STACK_DIR (default .stack/), kept between runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

dir=$(mkdir -p "${STACK_DIR:-$root/.stack}" && cd "${STACK_DIR:-$root/.stack}" && pwd)
api_port=${STACK_API_PORT:-8000}
prometheus_port=${STACK_PROMETHEUS_PORT:-9090}
alertmanager_port=${STACK_ALERTMANAGER_PORT:-9093}
evaluation_interval=${STACK_EVALUATION_INTERVAL:-15s}
alert_interval=${STACK_ALERT_INTERVAL:-30s}
rooms=${STACK_ROOMS:-6}
feed_interval=${STACK_FEED_INTERVAL:-10s}
backfill=${STACK_BACKFILL:-}
ready_seconds=${STACK_READY_SECONDS:-90}  # a loaded laptop can take most of a minute to start Python
roomtemp=${ROOMTEMP:-$root/.venv/bin/roomtemp}
python=${PYTHON:-$root/.venv/bin/python}
prometheus=$(command -v prometheus) || { echo "stack: install prometheus (apt-get install prometheus)" >&2; exit 1; }
alertmanager=$(command -v prometheus-alertmanager || command -v alertmanager) \
    || { echo "stack: install prometheus-alertmanager" >&2; exit 1; }

pids=()
stop() {
    trap - EXIT INT TERM
    echo "stack: stopping" >&2
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait
}
trap stop EXIT INT TERM

wait_ready() {  # URL NAME [TEXT]: poll until it answers 200 (with TEXT in the body)
    "$python" - "$ready_seconds" "$@" <<'PY'
import sys, time, urllib.request
seconds, url, name, text = (sys.argv[1:] + [""])[:4]
deadline = time.monotonic() + float(seconds)
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200 and text in answer.read().decode():
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(f"stack: {name} not ready at {url} after {seconds} s (STACK_READY_SECONDS)")
    time.sleep(0.2)
print(f"stack: {name} ready ({url.split('/')[2]})", file=sys.stderr)
PY
}

cat > "$dir/prometheus.yml" <<YAML
# written by deploy/stack/run.sh: deploy/prometheus/prometheus.yml with loopback targets
global:
  scrape_interval: 15s
  evaluation_interval: ${evaluation_interval}
storage:
  tsdb:
    out_of_order_time_window: 31d
rule_files:
  - ${root}/deploy/prometheus/rules/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:${alertmanager_port}"]
scrape_configs:
  - job_name: roomtemp-api
    static_configs:
      - targets: ["127.0.0.1:${api_port}"]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: room_temperature_celsius
        action: drop
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${prometheus_port}"]
  - job_name: alertmanager
    static_configs:
      - targets: ["127.0.0.1:${alertmanager_port}"]
YAML

"$prometheus" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus" \
    --storage.tsdb.retention.time=400d --web.enable-remote-write-receiver --web.enable-admin-api \
    --web.listen-address="127.0.0.1:${prometheus_port}" >"$dir/prometheus.log" 2>&1 &
pids+=($!)
"$alertmanager" --config.file="$root/deploy/alertmanager/alertmanager.yml" \
    --storage.path="$dir/alertmanager" --cluster.listen-address= \
    --web.listen-address="127.0.0.1:${alertmanager_port}" >"$dir/alertmanager.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:${prometheus_port}/-/ready" Prometheus
wait_ready "http://127.0.0.1:${alertmanager_port}/-/ready" Alertmanager
# an alert fired before Prometheus has found its Alertmanager is only re-sent a minute later
wait_ready "http://127.0.0.1:${prometheus_port}/api/v1/alertmanagers" "alert delivery" \
    "127.0.0.1:${alertmanager_port}"

ROOMTEMP_STORAGE="prometheus://127.0.0.1:${prometheus_port}" ROOMTEMP_SPOOL_DIR="$dir/spool" \
    ROOMTEMP_ALERTMANAGER_URL="http://127.0.0.1:${alertmanager_port}" \
    ROOMTEMP_ALERT_OUTBOX="$dir/alerts-outbox.sqlite3" ROOMTEMP_ALERT_INTERVAL="$alert_interval" \
    "$roomtemp" serve --host 127.0.0.1 --port "$api_port" >"$dir/api.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:${api_port}/readyz" "roomtemp API (Swagger UI: /docs)"

history=()
[[ -n "$backfill" ]] && history=(--backfill "$backfill" --live)
"$roomtemp" simulate --url "http://127.0.0.1:${api_port}" --rooms "$rooms" \
    --interval "$feed_interval" "${history[@]}" >"$dir/simulate.log" 2>&1 &
pids+=($!)
echo "stack: up; logs in $dir; Ctrl-C stops everything" >&2

# one process ending ends the stack, so a crash is not hidden behind the others
wait -n "${pids[@]}" || true
echo "stack: a process ended; see the logs in $dir" >&2
