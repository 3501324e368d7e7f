"""The alert definitions of rules.py as Prometheus alert rules: the same conditions in PromQL.

At a whole minute τ a rule fires exactly when the evaluator, with its clock at τ, says the alert
fires (both see the minutes before τ); between whole minutes the evaluator may be up to a minute
ahead, since it also sees the minute in progress. The rules use the readings' own timestamps, not
`for:`, so readings that arrive late or are backfilled count as the evaluator counts them.

With t = the minute mean series (minute [e-60s, e) evaluated at e, via `offset 1ms` and a range
that holds exactly one minute on the engine's kind of range selector) and HOT meaning t > max
(the band's edge now, compared outside the subqueries), a room is too hot at τ when, over its
minutes with readings:
  (i)   the newest one ended at most stale-after before τ, and is HOT;
  (ii)  every one after A = τ - for + 1m is HOT;
  (iii) the newest one at or before A is HOT;
  (iv)  every whole minute u in [A, τ - 1m] has one in [u - stale-after + 1m, u] (no longer gap).
Then the run holding the newest minute began at or before τ - for. Too cold is the same with
(t < min); silent compares a sensor's newest reading with stale-after and the lookback, or, for a
sensor with an expected interval (`roomtemp_sensor_expected_interval_seconds`, written with its
settings), its age (`time() -` the newest sample's own timestamp, found by a 1m subquery of
`timestamp()`) with three times that interval.

    python -m roomtemp.alerts.promql > deploy/prometheus/rules/rooms.rules.yml
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from roomtemp.alerts.rules import ALERT_NAMES, MINUTE_MS, SEVERITY, AlertRules, Kind
from roomtemp.domain import Comfort
from roomtemp.storage.prometheus.promql import (
    COMFORT_MAX_METRIC,
    COMFORT_MIN_METRIC,
    EXPECTED_INTERVAL_METRIC,
    READINGS_METRIC,
    ROOM_INFO_METRIC,
    Window,
)
from roomtemp.timeparse import parse_duration

META_LOOKBACK = "1h"
"""How far back the room metadata series are looked for (the API re-asserts them every 5 m)."""


def _ms(ms: int) -> str:
    return f"{ms}ms"


def _points_within(ms: int) -> str:
    """A subquery range holding the whole minutes e with τ - e <= ms (τ a whole minute), on any
    engine: half a minute past the last one, so that no range boundary falls on a point."""
    return _ms(ms // MINUTE_MS * MINUTE_MS + MINUTE_MS // 2)


class RuleText:
    """The PromQL of each alert, for one set of rules and one kind of range selector."""

    def __init__(self, rules: AlertRules, window: Window) -> None:
        self.rules = rules
        self.window = window

    def minute_mean(self) -> str:
        selected = f"{READINGS_METRIC}[{_ms(self.window.range_for_length(MINUTE_MS))}] offset 1ms"
        return (
            f"sum by (room) (sum_over_time({selected}))"
            f" / sum by (room) (count_over_time({selected}))"
        )

    def edge(self, kind: Kind, newest: str) -> str:
        """The band edge now: every past minute is held to the band as it is now, as the evaluator
        holds them (so the band is compared outside the subqueries, never inside them)."""
        metric, default, worst = (
            (COMFORT_MAX_METRIC, self.rules.default_comfort.max_celsius, "max")
            if kind is Kind.too_hot
            else (COMFORT_MIN_METRIC, self.rules.default_comfort.min_celsius, "min")
        )
        own = f"{worst} by (room) (last_over_time({metric}[{META_LOOKBACK}]))"
        if default is None:
            return own
        return f"({own} or on (room) (0 * {newest} + {default!r}))"

    def room_alert(self, kind: Kind) -> str:
        mean, stale, lasting = (
            f"({self.minute_mean()})",
            self.rules.stale_after_ms,
            self.rules.for_ms,
        )
        out, within = (">", "<=") if kind is Kind.too_hot else ("<", ">=")
        newest = f"last_over_time({mean}[{_points_within(stale)}:1m])"
        edge = self.edge(kind, newest)
        expression = f"{newest} {out} on (room) {edge}"
        if lasting >= 2 * MINUTE_MS:
            since_a = f"[{_points_within(lasting - 2 * MINUTE_MS)}:1m]"
            around = f"[{_points_within(stale - MINUTE_MS)}:1m]"
            at_a = f"last_over_time({mean}{around} offset {_ms(lasting - MINUTE_MS)})"
            connected = f"count_over_time((count_over_time({mean}{around})){since_a} offset 1m)"
            extreme = f"{'min' if kind is Kind.too_hot else 'max'}_over_time({mean}{since_a})"
            expression += (
                f"\n  and on (room) ({at_a} {out} on (room) {edge})"
                f"\n  and on (room) ({connected} == {(lasting - MINUTE_MS) // MINUTE_MS})"
                f"\n  unless on (room) ({extreme} {within} on (room) {edge})"
            )
        return _with_room_labels(expression)

    def silent(self) -> str:
        def newest_within(ms: int) -> str:
            # a closed range [τ-d, τ] holds an age of exactly d; a left-open one needs 1 ms more
            reach = ms if self.window.closed else ms + 1
            return f"last_over_time({READINGS_METRIC}[{_ms(reach)}])"

        lookback = newest_within(self.rules.lookback_ms)
        interval = f"last_over_time({EXPECTED_INTERVAL_METRIC}[{META_LOOKBACK}])"
        newest_ms = f"max_over_time(timestamp({READINGS_METRIC})[{_ms(self.rules.lookback_ms)}:1m])"
        expression = (
            f"(\n  {lookback}\n  unless {newest_within(self.rules.silent_after_ms(None))}"
            f"\n  unless on (room, sensor) {interval}\n)"
            f"\nor (\n  (time() - {newest_ms}) > on (room, sensor) 3 * {interval}"
            f"\n  and on (room, sensor) {lookback}\n)"
        )
        return _with_room_labels(expression)


def _with_room_labels(expression: str) -> str:
    """The alert with its room's building and floor, as roomtemp labels its own notifications
    (so that Alertmanager takes both for one alert). Every room roomtemp stores has these
    metadata series (written with its first reading, re-asserted every few minutes)."""
    info = f"0 * topk by (room) (1, last_over_time({ROOM_INFO_METRIC}[{META_LOOKBACK}]))"
    return f"(\n  {expression}\n)\n+ on (room) group_left (building, floor) ({info})"


ANNOTATIONS = {
    Kind.too_hot: (
        "{{ $labels.room }} is too hot",
        '{{ $labels.room }} is at {{ $value | printf "%.1f" }} °C (mean of the newest minute) '
        "and has been above its comfort band for at least ROOMTEMP_ALERT_FOR.",
    ),
    Kind.too_cold: (
        "{{ $labels.room }} is too cold",
        '{{ $labels.room }} is at {{ $value | printf "%.1f" }} °C (mean of the newest minute) '
        "and has been below its comfort band for at least ROOMTEMP_ALERT_FOR.",
    ),
    Kind.silent: (
        "sensor {{ $labels.sensor }} in {{ $labels.room }} is silent",
        'No reading from sensor "{{ $labels.sensor }}" of room {{ $labels.room }} for longer '
        'than the stale-after time; its last reading was {{ $value | printf "%.1f" }} °C.',
    ),
}


def rule_file(rules: AlertRules, window: Window, command: str) -> str:
    """The rule file of the room alerts, as YAML."""
    text = RuleText(rules, window)
    expressions = {
        Kind.too_hot: text.room_alert(Kind.too_hot),
        Kind.too_cold: text.room_alert(Kind.too_cold),
        Kind.silent: text.silent(),
    }
    lines = [
        "# Generated from roomtemp.alerts.rules by roomtemp.alerts.promql; do not edit. Made with:",
        f"#   {command}",
        "# The same alerts as roomtemp's own evaluator (GET /api/v1/alerts): at every whole minute",
        "# they fire for exactly the rooms and sensors it says fire (tests/alerts/test_promql.py).",
        "groups:",
        "  - name: roomtemp-rooms",
        "    rules:",
    ]
    for kind, expression in expressions.items():
        summary, description = ANNOTATIONS[kind]
        lines += [
            f"      - alert: {ALERT_NAMES[kind]}",
            "        expr: |",
            *(f"          {line}" for line in expression.splitlines()),
            "        labels:",
            f"          severity: {SEVERITY}",
            "        annotations:",
            f"          summary: '{summary}'",
            f"          description: '{description}'",
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Print the rule file for the given settings (the defaults: the file in deploy/)."""
    parser = argparse.ArgumentParser(prog="python -m roomtemp.alerts.promql")
    parser.add_argument("--stale-after", default="15m", help="ROOMTEMP_STALE_AFTER")
    parser.add_argument("--for", dest="lasting", default="10m", help="ROOMTEMP_ALERT_FOR")
    parser.add_argument("--lookback", default="7d", help="ROOMTEMP_ALERT_LOOKBACK")
    parser.add_argument("--default-min", type=float, help="ROOMTEMP_DEFAULT_COMFORT_MIN")
    parser.add_argument("--default-max", type=float, help="ROOMTEMP_DEFAULT_COMFORT_MAX")
    parser.add_argument(
        "--left-open",
        action="store_true",
        help="for Prometheus 3 and VictoriaMetrics, whose range selectors leave out their start",
    )
    args = parser.parse_args(argv)
    rules = AlertRules(
        stale_after_ms=parse_duration(args.stale_after),
        for_ms=parse_duration(args.lasting),
        lookback_ms=parse_duration(args.lookback),
        default_comfort=Comfort(args.default_min, args.default_max),
    )
    given = " ".join(argv if argv is not None else sys.argv[1:])
    command = f"python -m roomtemp.alerts.promql {given}".rstrip()
    sys.stdout.write(rule_file(rules, Window(closed=not args.left_open), command))


if __name__ == "__main__":
    main()
