/**
 * Alert messages: placeholders filled in, unknown ones kept, values and
 * thresholds as messages show them.
 * @module
 */

import assert from "node:assert/strict";
import {
  formatValue,
  renderMessage,
  unknownPlaceholder,
} from "../../src/alerting/template.ts";
import { rule } from "./engine_rig.ts";

Deno.test("every placeholder, with spaces inside the braces, repeated and adjacent", () => {
  const r = rule({
    id: "down",
    description:
      "{{port}}{{ port }}: {{value}} > {{threshold}} ({{rule}}) {{value}}",
    threshold: 0.5,
  });
  assert.equal(
    renderMessage(r, { port: "Ethernet0", value: 2 }),
    "Ethernet0Ethernet0: 2 > 0.5 (down) 2",
  );
  assert.equal(
    renderMessage(r, { port: null, value: 1 / 3 }),
    ": 0.333333 > 0.5 (down) 0.333333",
  );
});

Deno.test("between shows min..max as the threshold; no placeholder is the text as it is; unknown ones stay", () => {
  assert.equal(
    renderMessage(
      rule({
        condition: "between",
        min: 1,
        max: 5,
        description: "{{threshold}}",
      }),
      {
        port: null,
        value: 0,
      },
    ),
    "1..5",
  );
  assert.equal(
    renderMessage(rule({ description: "plain" }), { port: "x", value: 1 }),
    "plain",
  );
  assert.equal(
    renderMessage(rule({ description: "" }), { port: "x", value: 1 }),
    "",
  );
  assert.equal(
    renderMessage(rule({ description: "a {{host}} b {{port}} {{" }), {
      port: "E0",
      value: 1,
    }),
    "a {{host}} b E0 {{",
  );
  assert.equal(
    renderMessage(rule({ description: "{{{port}}} {{a}b}} {{a{b}} }}" }), {
      port: "E0",
      value: 1,
    }),
    "{E0} {{a}b}} {{a{b}} }}",
    "the innermost braces, as the schema's check reads them",
  );
  assert.equal(unknownPlaceholder("{{port}} {{ Port }}"), "{{ Port }}");
  assert.equal(unknownPlaceholder("{{port}} { {value} }"), null);
});

Deno.test("values: integers as they are, others to 6 significant digits, NaN and ±Infinity by name", () => {
  assert.deepEqual(
    [3, -0, 1e21, 0.1 + 0.2, 123456.789, NaN, Infinity, -Infinity].map(
      formatValue,
    ),
    ["3", "0", "1e+21", "0.3", "123457", "NaN", "Infinity", "-Infinity"],
  );
});
