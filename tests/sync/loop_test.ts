/**
 * The event loop with a scripted link source: wake-ups, order, shutdown and
 * store errors.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import type { NetlinkNotice } from "../../src/netlink/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { type LinkSource, SyncLoop } from "../../src/sync/loop.ts";
import { PortSync } from "../../src/sync/port_sync.ts";
import { waitFor } from "../helpers/daemon.ts";
import { link } from "./links.ts";

/** A link source fed by the test; `receive` waits for `push` or abort. */
class ScriptedSource implements LinkSource {
  dumps: number[] = [];
  #queue: NetlinkNotice[][] = [];
  #wake: (() => void) | null = null;

  push(batch: NetlinkNotice[]): void {
    this.#queue.push(batch);
    this.#wake?.();
  }

  requestDump(): number {
    this.dumps.push(this.dumps.length + 1);
    return this.dumps.length;
  }

  async receive(
    options: { signal?: AbortSignal } = {},
  ): Promise<NetlinkNotice[]> {
    while (this.#queue.length === 0) {
      if (options.signal?.aborted) return [];
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        options.signal?.addEventListener("abort", () => resolve(), {
          once: true,
        });
      });
      this.#wake = null;
    }
    return this.#queue.shift()!;
  }
}

function setup() {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  const source = new ScriptedSource();
  const logs: string[] = [];
  const log = createLogger("info", { sink: (line) => logs.push(line) });
  const sync = new PortSync(store, { links: source, log });
  const loop = new SyncLoop(sync, { links: source, log, applRecheckMs: 50 });
  return { store, source, logs, sync, loop };
}

function linkBatch(...names: string[]): NetlinkNotice[] {
  return names.map((name) => ({ kind: "link", event: link(name), seq: 0 }));
}

Deno.test("loop: a resync request wakes the loop while no message arrives", async () => {
  const { source, loop } = setup();
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  loop.requestResync("store reconnect");
  await waitFor("a dump request", () => source.dumps.length === 1);
  controller.abort();
  await running;
});

Deno.test("loop: batches are written in order and abort ends the run", async () => {
  const { store, source, sync, loop } = setup();
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  source.push([{
    kind: "link",
    event: link("Ethernet0", { mtu: 1500 }),
    seq: 0,
  }]);
  source.push([{
    kind: "link",
    event: link("Ethernet0", { mtu: 9000 }),
    seq: 0,
  }]);
  await waitFor("both batches", () => sync.counters.batches === 2);
  const state = store.dump("STATE_DB")["PORT_TABLE|Ethernet0"] as Record<
    string,
    string
  >;
  assert.equal(state.mtu, "9000");
  controller.abort();
  await running;
  assert.equal(sync.counters.stateWrites, 2);
});

Deno.test("loop: ports created in APPL_DB later are written by the re-check timer", async () => {
  const { store, source, loop } = setup();
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  source.push(linkBatch("Ethernet4"));
  await waitFor(
    "Ethernet4 to wait for APPL_DB",
    () => store.dump("STATE_DB")["PORT_TABLE|Ethernet4"] === undefined,
  );
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet4", { lanes: "4" });
  await waitFor(
    "the re-check to write Ethernet4",
    () => store.dump("STATE_DB")["PORT_TABLE|Ethernet4"] !== undefined,
  );
  controller.abort();
  await running;
});

Deno.test("loop: a store error is logged and the loop goes on", async () => {
  const { store, source, sync, logs, loop } = setup();
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  await store.close();
  source.push(linkBatch("Ethernet0"));
  source.push(linkBatch("Ethernet4"));
  await waitFor(
    "two failed batches",
    () =>
      logs.filter((line) => line.includes("store write failed")).length === 2,
  );
  assert.equal(sync.counters.batches, 2);
  controller.abort();
  await running;
});
