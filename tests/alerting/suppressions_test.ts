import assert from "node:assert/strict";
import { parseSuppressions } from "../../src/alerting/suppressions.ts";

Deno.test("suppressions: a rule, a rule and a port, until a time or for ever; bad entries are one line each", () => {
  const { suppressions, problems } = parseSuppressions(
    new Map<string, Record<string, string>>([
      ["any_down", {}],
      ["port_down|Ethernet0", { until: "2026-12-01T00:00:00Z" }],
      ["port_down|Ethernet4", { until: "" }],
      ["flaps", { until: "tomorrow" }],
      ["|Ethernet0", {}],
      ["a|b|c", {}],
      ["late", { until: "2026-02-30T00:00:00Z" }],
    ]),
  );
  assert.deepEqual(suppressions, [
    { ruleId: "any_down", port: null, until: null },
    {
      ruleId: "port_down",
      port: "Ethernet0",
      until: Date.parse("2026-12-01T00:00:00Z"),
    },
    { ruleId: "port_down", port: "Ethernet4", until: null },
  ]);
  assert.deepEqual(problems, [
    'PORTSYNCD_ALERT_SUPPRESS|flaps: until: "tomorrow" is not an ISO 8601 date-time',
    "PORTSYNCD_ALERT_SUPPRESS||Ethernet0: the key must be <rule id> or <rule id>|<port>",
    "PORTSYNCD_ALERT_SUPPRESS|a|b|c: the key must be <rule id> or <rule id>|<port>",
    'PORTSYNCD_ALERT_SUPPRESS|late: until: "2026-02-30T00:00:00Z" is not an ISO 8601 date-time',
  ]);
});
