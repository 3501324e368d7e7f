"""Alerts: which rooms are too hot, too cold or silent, since when, and telling someone.

rules.py       the definitions: kinds, names, thresholds, durations (shared with the PromQL rules)
runs.py        runs of out-of-band minutes in per-minute buckets (pure functions)
state.py       a room's current value and state from its sensors and its current run
evaluate.py    the evaluator: alerts, room states and episodes from the stored data
promql.py      the same definitions as Prometheus alert rules (deploy/prometheus/rules/)
outbox.py      the durable outbox of notifications (SQLite), which survives kill -9
senders.py     payloads and delivery: Alertmanager's API v2, webhooks in its format (version 4)
notifier.py    the background loop: evaluate, record what changed, deliver with backoff
metrics.py     roomtemp_alerts_firing and the notification counters
"""
