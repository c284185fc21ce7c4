/**
 * The /metrics endpoint on a free port: the scrape passes `promtool check
 * metrics`, other paths and methods are refused, bad listen values and a
 * port in use are one clear line.
 * @module
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";
import {
  MetricsListenError,
  parseListen,
  serveMetrics,
  startMetrics,
} from "../../src/metrics/mod.ts";
import type { SyncObserver } from "../../src/sync/observer.ts";
import { newCounters } from "../../src/sync/stats.ts";
import { link } from "../sync/links.ts";
import { commandExists, freePort, promtoolCheck } from "./free_port.ts";

const PROMTOOL = commandExists("promtool");

/** A stand-in engine: keeps the observer startMetrics registers. */
function fakeSync() {
  const observers: SyncObserver[] = [];
  return {
    observers,
    counters: newCounters(),
    observe(observer: SyncObserver) {
      observers.push(observer);
      return () => observers.splice(observers.indexOf(observer), 1);
    },
  };
}

function quietLog(lines: string[] = []) {
  return createLogger("info", { sink: (line) => lines.push(line) });
}

/** startMetrics on a free port with a few ports and batches observed. */
function started() {
  const sync = fakeSync();
  const listen = `127.0.0.1:${freePort()}`;
  const lines: string[] = [];
  const metrics = startMetrics(sync, {
    listen,
    log: quietLog(lines),
    queueDepth: () => 3,
    warmRestart: {
      counters: {
        warm_restarts: 1,
        cold_starts: 1,
        eoiu_detected: 2,
        eoiu_timeouts: 0,
        state_recoveries: 2,
        corruptions_detected: 0,
        initial_sync_ms_last: 120,
        initial_sync_ms_min: 120,
        initial_sync_ms_max: 340,
      },
      healthScore: () => 0.85,
    },
  });
  const observer = sync.observers[0];
  const now = performance.now();
  for (let i = 0; i < 1000; i++) {
    const port = `Ethernet${i * 4}`;
    observer.portChanged!(port, link(port, { oper: i % 3 ? "up" : "down" }));
  }
  observer.batchHandled!({
    messages: 1000,
    receivedAt: now - 2,
    ackedAt: now,
    writes: 1000,
  });
  observer.overflow!();
  return { sync, metrics, url: `http://${listen}/metrics`, lines, listen };
}

Deno.test({
  name: "server: GET /metrics is the exposition text promtool accepts",
  ignore: !PROMTOOL,
  async fn() {
    const { metrics, url, lines, listen } = started();
    try {
      assert.equal(metrics.server?.address, listen);
      assert.deepEqual(lines, [
        `INFO metrics endpoint listening url=http://${listen}/metrics`,
      ]);
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get("content-type"),
        "text/plain; version=0.0.4; charset=utf-8",
      );
      const text = await response.text();
      assert.match(text, /^portsyncd_events_total 1000$/m);
      assert.match(text, /^portsyncd_netlink_overflows_total 1$/m);
      assert.match(text, /^portsyncd_ports_oper_down 334$/m);
      assert.match(text, /^portsyncd_port_oper_up\{port="Ethernet3996"\} 0$/m);
      assert.match(text, /^portsyncd_queue_depth 3$/m);
      assert.match(text, /^portsyncd_health_score 0.85$/m);
      assert.match(text, /^portsyncd_initial_sync_max_seconds 0.34$/m);
      const check = await promtoolCheck(text);
      assert.deepEqual(check, { code: 0, output: "" });
    } finally {
      await metrics.close();
    }
  },
});

Deno.test("server: other paths are 404, other methods 405, HEAD has no body", async () => {
  const { metrics, url } = started();
  try {
    const base = url.replace("/metrics", "");
    for (const path of ["/", "/metrics/", "/metric", "/favicon.ico"]) {
      const response = await fetch(base + path);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
    for (const method of ["POST", "PUT", "DELETE"]) {
      const response = await fetch(url, { method, body: "x" });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "GET, HEAD");
      await response.body?.cancel();
    }
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const query = await fetch(`${url}?name[]=portsyncd_events_total`);
    assert.equal(query.status, 200, "a query string is ignored");
    await query.body?.cancel();
  } finally {
    await metrics.close();
  }
});

Deno.test("server: close() stops listening and observing", async () => {
  const { sync, metrics, listen } = started();
  await metrics.close();
  assert.equal(sync.observers.length, 0);
  const port = Number(listen.split(":")[1]);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("server: a port in use is the one line the daemon prints", () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (holder.addr as Deno.NetAddr).port;
  const sync = fakeSync();
  try {
    assert.throws(
      () =>
        startMetrics(sync, { listen: `127.0.0.1:${port}`, log: quietLog() }),
      (error: Error) => {
        assert.ok(error instanceof MetricsListenError);
        assert.equal(
          error.message,
          `metrics listen 127.0.0.1:${port}: address in use`,
        );
        return true;
      },
    );
    assert.equal(sync.observers.length, 0, "nothing left observing");
  } finally {
    holder.close();
  }
});

Deno.test("server: an address that is not local or does not resolve is one line", () => {
  const registry = startMetrics(fakeSync(), { listen: "", log: quietLog() })
    .registry;
  assert.throws(
    () => serveMetrics(registry, { listen: "192.0.2.1:9464", log: quietLog() }),
    /^MetricsListenError: metrics listen 192.0.2.1:9464: address not available on this host$/,
  );
  assert.throws(
    () =>
      serveMetrics(registry, {
        listen: "no-such-host.invalid:9464",
        log: quietLog(),
      }),
    /^MetricsListenError: metrics listen no-such-host.invalid:9464: cannot resolve host$/,
  );
});

Deno.test("server: listen values are HOST:PORT or [ADDR]:PORT; bad ones are rejected", () => {
  assert.deepEqual(parseListen("127.0.0.1:9464"), {
    hostname: "127.0.0.1",
    port: 9464,
  });
  assert.deepEqual(parseListen("[::1]:9464"), { hostname: "::1", port: 9464 });
  assert.deepEqual(parseListen("localhost:1"), {
    hostname: "localhost",
    port: 1,
  });
  assert.equal(parseListen(""), null);
  for (
    const bad of [
      "9464",
      "127.0.0.1",
      "127.0.0.1:0",
      "host:65536",
      "::1:9464",
      "a b:1",
      "[::1]",
    ]
  ) {
    assert.throws(
      () => parseListen(bad),
      new RegExp(
        `^MetricsListenError: metrics listen "${
          bad.replace(/[[\]]/g, "\\$&")
        }" is not HOST:PORT`,
      ),
      bad,
    );
  }
  const metrics = startMetrics(fakeSync(), { listen: "", log: quietLog() });
  assert.equal(metrics.server, null, "empty: no endpoint");
  assert.throws(
    () =>
      serveMetrics(metrics.registry, { listen: "nonsense", log: quietLog() }),
    MetricsListenError,
  );
});

Deno.test({
  name: "server: IPv6 [::1]:PORT serves too",
  ignore: !ipv6Loopback(),
  async fn() {
    const port = freePort("::1");
    const metrics = startMetrics(fakeSync(), {
      listen: `[::1]:${port}`,
      log: quietLog(),
    });
    try {
      assert.equal(metrics.server?.address, `[::1]:${port}`);
      const response = await fetch(`http://[::1]:${port}/metrics`);
      assert.match(await response.text(), /^portsyncd_events_total 0$/m);
    } finally {
      await metrics.close();
    }
  },
});

function ipv6Loopback(): boolean {
  try {
    freePort("::1");
    return true;
  } catch {
    return false;
  }
}
