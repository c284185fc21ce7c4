import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";
import { startSystemd } from "../../src/systemd/service.ts";
import type { SyncObserver } from "../../src/sync/observer.ts";
import type { StatusFacts } from "../../src/systemd/protocol.ts";
import { waitFor } from "../helpers/daemon.ts";
import { listenNotify, type NotifyListener } from "./listener.ts";

const FACTS: StatusFacts = {
  portsUp: 1,
  portsTotal: 2,
  eventsPerSecond: 0,
  health: "healthy",
  firingAlerts: null,
};

/** An engine stand-in that only records its observers. */
function fakeSync(): {
  observers: SyncObserver[];
  observe(o: SyncObserver): () => void;
} {
  const observers: SyncObserver[] = [];
  return {
    observers,
    observe(observer) {
      observers.push(observer);
      return () => observers.splice(observers.indexOf(observer), 1);
    },
  };
}

async function withListener(
  body: (listener: NotifyListener) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "psd-systemd-" });
  const listener = listenNotify(`${dir}/notify`);
  try {
    await body(listener);
  } finally {
    await listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const reconcile = { kind: "dump", ports: 2, writes: 0 } as const;

Deno.test("startSystemd: READY only once both start-up and the first reconcile are done, then STOPPING on abort", async () => {
  await withListener(async (listener) => {
    const sync = fakeSync();
    const stop = new AbortController();
    const service = startSystemd({
      sync,
      signal: stop.signal,
      facts: () => FACTS,
      pendingWrites: () => 0,
      log: createLogger("error"),
    }, { env: { NOTIFY_SOCKET: listener.name } });
    try {
      service.ready(); // start-up done, no reconcile yet
      sync.observers.forEach((o) => o.reconciled?.(reconcile));
      sync.observers.forEach((o) => o.reconciled?.(reconcile));
      stop.abort();
      await listener.waitFor(/^STOPPING=1/);
      assert.deepEqual(listener.messages.map((m) => m.text), [
        "READY=1\nSTATUS=ports 1/2 up, 0 events/s, healthy",
        "STOPPING=1\nSTATUS=shutting down",
      ]);
      assert.equal(sync.observers.length, 0, "observer left behind");
    } finally {
      service.close();
    }
  });
});

Deno.test("startSystemd: no READY when shutdown began before the reconcile", async () => {
  await withListener(async (listener) => {
    const sync = fakeSync();
    const stop = new AbortController();
    const service = startSystemd({
      sync,
      signal: stop.signal,
      facts: () => FACTS,
      pendingWrites: () => 0,
      log: createLogger("error"),
    }, { env: { NOTIFY_SOCKET: listener.name } });
    try {
      service.ready();
      stop.abort();
      sync.observers.forEach((o) => o.reconciled?.(reconcile));
      await listener.waitFor(/^STOPPING=1/);
      assert.deepEqual(listener.messages.map((m) => m.text), [
        "STOPPING=1\nSTATUS=shutting down",
      ]);
    } finally {
      service.close();
    }
  });
});

Deno.test("startSystemd: heartbeats on its timer, stops on close", async () => {
  await withListener(async (listener) => {
    const service = startSystemd({
      sync: fakeSync(),
      signal: new AbortController().signal,
      facts: () => FACTS,
      pendingWrites: () => 0,
      log: createLogger("error"),
    }, {
      env: { NOTIFY_SOCKET: listener.name, WATCHDOG_USEC: "20000" },
      pid: 7,
    });
    try {
      await waitFor(
        "three heartbeats",
        () =>
          listener.messages.filter((m) => m.text === "WATCHDOG=1").length >= 3,
      );
    } finally {
      service.close();
    }
  });
});
