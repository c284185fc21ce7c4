/**
 * The APPL_DB alert table follows the engine's transitions: firing and
 * suppressed alerts are rows, resolved and dropped ones are deleted, a
 * failed write is retried, and a reconcile deletes strays.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { Database } from "../../src/store/types.ts";
import { AlertPublisher } from "../../src/alerting/publisher.ts";
import type {
  Alert,
  AlertState,
  AlertTransition,
} from "../../src/alerting/types.ts";
import { waitFor } from "../helpers/daemon.ts";

function alert(state: AlertState, port: string | null): Alert {
  return {
    key: port === null ? "any_down" : `port_down|${port}`,
    ruleId: port === null ? "any_down" : "port_down",
    port,
    state,
    severity: "warning",
    value: 1,
    activeSince: Date.parse("2026-11-25T10:00:00Z"),
    stateSince: Date.parse("2026-11-25T10:00:05Z"),
    message: `Port ${port} is down`,
  };
}

function transition(
  from: AlertState | null,
  to: AlertState | null,
  port: string | null = "Ethernet0",
): AlertTransition {
  return { alert: alert(to ?? from!, port), from, to, at: 0 };
}

function memoryStore(): MemoryStore {
  return new MemoryStore(parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }));
}

Deno.test("publisher: firing and suppressed alerts are rows; resolved and dropped ones go; strays are reconciled away", async () => {
  const store = memoryStore();
  const appl = store.db("APPL_DB");
  await appl.hset("PORTSYNCD_ALERT_TABLE:stale", { state: "firing" });
  const publisher = new AlertPublisher(appl, { log: createLogger("error") });
  publisher.listener(transition(null, "pending"));
  publisher.listener(transition("pending", "firing"));
  publisher.listener(transition(null, "firing", null));
  await publisher.flush();
  const rows = () => store.dump("APPL_DB") as Record<string, object>;
  assert.deepEqual(Object.keys(rows()).sort(), [
    "PORTSYNCD_ALERT_TABLE:any_down",
    "PORTSYNCD_ALERT_TABLE:port_down|Ethernet0",
  ]);
  assert.deepEqual(rows()["PORTSYNCD_ALERT_TABLE:port_down|Ethernet0"], {
    state: "firing",
    severity: "warning",
    value: "1",
    since: "2026-11-25T10:00:00.000Z",
    message: "Port Ethernet0 is down",
  });
  publisher.listener(transition("firing", "suppressed"));
  publisher.listener(transition("firing", "resolved", null));
  await publisher.flush();
  assert.deepEqual(Object.keys(rows()), [
    "PORTSYNCD_ALERT_TABLE:port_down|Ethernet0",
  ]);
  assert.deepEqual(
    rows()["PORTSYNCD_ALERT_TABLE:port_down|Ethernet0"],
    { ...alertRow(), state: "suppressed" },
  );
  await appl.del("PORTSYNCD_ALERT_TABLE:port_down|Ethernet0");
  await appl.hset("PORTSYNCD_ALERT_TABLE:other", { state: "firing" });
  publisher.reconcile();
  await publisher.flush();
  assert.deepEqual(Object.keys(rows()), [
    "PORTSYNCD_ALERT_TABLE:port_down|Ethernet0",
  ]);
  publisher.close();
});

function alertRow() {
  return {
    state: "firing",
    severity: "warning",
    value: "1",
    since: "2026-11-25T10:00:00.000Z",
    message: "Port Ethernet0 is down",
  };
}

Deno.test("publisher: a failed write is logged once and retried until it lands", async () => {
  const store = memoryStore();
  const appl = store.db("APPL_DB");
  let refuse = true;
  const flaky: Database = {
    ...appl,
    name: appl.name,
    id: appl.id,
    separator: appl.separator,
    scan: (pattern) => appl.scan(pattern),
    batch: (ops) => refuse ? Promise.reject(new Error("OOM")) : appl.batch(ops),
  };
  const logs: string[] = [];
  const publisher = new AlertPublisher(flaky, {
    log: createLogger("info", { sink: (line) => logs.push(line) }),
    retryMs: 5,
  });
  publisher.listener(transition(null, "firing"));
  await publisher.flush();
  await publisher.flush();
  assert.deepEqual(store.dump("APPL_DB"), {});
  refuse = false;
  await waitFor(
    "the retried write",
    () => Object.keys(store.dump("APPL_DB")).length === 1,
  );
  publisher.close();
  assert.deepEqual(logs, [
    "WARN alerts not published to APPL_DB; retrying error=OOM",
    "INFO alerts published to APPL_DB again",
  ]);
});
