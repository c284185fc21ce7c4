/**
 * The engine against what other clients and the kernel do behind its back:
 * renamed links, hashes deleted or changed by others, keys that are not
 * hashes, bad CONFIG_DB entries, and writes the server refuses. Memory
 * store and scripted notices; the same faults against a real Redis and
 * real links are in `tests/chaos/`.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import type { LinkEvent, NetlinkNotice } from "../../src/netlink/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import {
  type Database,
  type Fields,
  type OpResult,
  type Store,
  type StoreOp,
  StoreReplyError,
} from "../../src/store/types.ts";
import {
  followRenames,
  planReconcile,
  stateFields,
} from "../../src/sync/decide.ts";
import { DumpView } from "../../src/sync/dump_view.ts";
import { type LinkSource, SyncLoop } from "../../src/sync/loop.ts";
import { PortSync } from "../../src/sync/port_sync.ts";
import { waitFor } from "../helpers/daemon.ts";
import { link } from "./links.ts";

const SET_SCRIPT = {
  name: "make_set",
  lua: "return redis.call('SADD', KEYS[1], ARGV[1])",
  emulate: (
    data: { sadd(key: string, members: string[]): number },
    keys: string[],
    args: string[],
  ) => data.sadd(keys[0], args),
};

/** A store whose STATE_DB refuses every HSET with OOM while `refusing`. */
class RefusingStore implements Store {
  readonly kind = "memory" as const;
  refusing = false;
  refused = 0;
  readonly inner: MemoryStore;

  constructor(inner: MemoryStore) {
    this.inner = inner;
  }

  db(name: string): Database {
    const db = this.inner.db(name);
    if (name !== "STATE_DB") return db;
    const batchSettled = async (ops: StoreOp[]) => {
      if (!this.refusing) return await db.batchSettled(ops);
      const allowed = ops.filter((op) => op.op !== "hset");
      const results = await db.batchSettled(allowed);
      return ops.map((op) => {
        if (op.op !== "hset") return results.shift()!;
        this.refused++;
        return new StoreReplyError(`memory STATE_DB: HSET ${op.key}: OOM`, {
          code: "OOM",
          key: op.key,
        });
      });
    };
    return {
      name: db.name,
      id: db.id,
      separator: db.separator,
      hgetall: (key) => db.hgetall(key),
      hget: (key, field) => db.hget(key, field),
      exists: (key) => db.exists(key),
      scan: (pattern) => db.scan(pattern),
      hset: (key, fields) => db.hset(key, fields),
      del: (key) => db.del(key),
      publish: (channel, message) => db.publish(channel, message),
      eval: (script, keys, args) => db.eval(script, keys, args),
      batchSettled,
      batch: async (ops: StoreOp[]) => {
        const results = await batchSettled(ops);
        const refused = results.find((r) => r instanceof StoreReplyError);
        if (refused !== undefined) throw refused;
        return results as OpResult[];
      },
    };
  }

  onReconnect(): () => void {
    return () => {};
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function engine<S extends Store = MemoryStore>(
  store: S = memoryStore() as unknown as S,
) {
  const logs: string[] = [];
  const log = createLogger("debug", { sink: (line) => logs.push(line) });
  const dumps: number[] = [];
  const links = { requestDump: () => dumps.push(100 + dumps.length) + 99 };
  const sync = new PortSync(store, { links, log });
  return { store, sync, logs, dumps };
}

function memoryStore(): MemoryStore {
  return new MemoryStore(parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }));
}

async function inAppl(store: Store, ports: string[]): Promise<void> {
  for (const port of ports) {
    await store.db("APPL_DB").hset(`PORT_TABLE:${port}`, { lanes: "0" });
  }
}

function messages(events: LinkEvent[], seq = 0): NetlinkNotice[] {
  return events.map((event) => ({ kind: "link", event, seq }));
}

function state(store: Store, port: string): Promise<Record<string, string>> {
  return store.db("STATE_DB").hgetall(`PORT_TABLE|${port}`);
}

Deno.test("renames: a renamed link puts a DELLINK of the old name before it", () => {
  const names = new Map<number, string>();
  const first = [link("Ethernet0", { ifindex: 7 })];
  assert.equal(followRenames(first, names), first, "no rename: same array");
  const renamed = link("Ethernet99", { ifindex: 7 });
  const events = followRenames([renamed], names);
  assert.deepEqual(
    events.map((event) => [event.type, event.name]),
    [["dellink", "Ethernet0"], ["newlink", "Ethernet99"]],
  );
  assert.equal(names.get(7), "Ethernet99");
  const away = followRenames([link("mgmt7", { ifindex: 7 })], names);
  assert.deepEqual(away.map((e) => [e.type, e.name]), [
    ["dellink", "Ethernet99"],
    ["newlink", "mgmt7"],
  ]);
  assert.equal(names.has(7), false, "only port names are kept");
});

Deno.test("renames: a rename during a dump leaves only the new name", () => {
  const view = new DumpView(5);
  view.note(link("Ethernet0", { ifindex: 7 }), 5);
  view.note(link("Ethernet99", { ifindex: 7 }), 0);
  assert.deepEqual([...view.links.keys()], ["Ethernet99"]);
});

Deno.test("renames: the engine deletes the old name's STATE_DB hash", async () => {
  const { store, sync } = engine();
  await inAppl(store, ["Ethernet0", "Ethernet96"]);
  await sync.handle(messages([link("Ethernet0", { ifindex: 7 })]));
  assert.equal((await state(store, "Ethernet0")).state, "ok");
  await sync.handle(messages([link("Ethernet96", { ifindex: 7 })]));
  assert.deepEqual(await state(store, "Ethernet0"), {});
  assert.equal((await state(store, "Ethernet96")).state, "ok");
});

Deno.test("reconcile: a hash without portsyncd's state field is another daemon's and stays", () => {
  const writes = planReconcile({
    links: new Map(),
    inAppl: new Set(),
    state: new Map<string, Fields>([
      ["Ethernet0", { supported_speeds: "10000,25000" }],
      ["Ethernet4", { ...stateFields(link("Ethernet4")), speed: "1" }],
    ]),
  });
  assert.deepEqual(writes, [{ kind: "del", port: "Ethernet4" }]);
});

Deno.test("verify: hashes deleted, changed or flushed by others are rewritten; others' fields stay", async () => {
  const { store, sync } = engine();
  const db = store.db("STATE_DB");
  await inAppl(store, ["Ethernet0", "Ethernet4", "Ethernet8"]);
  await sync.handle(
    messages([link("Ethernet0"), link("Ethernet4"), link("Ethernet8")]),
  );
  await db.hset("PORT_TABLE|Ethernet8", { speed: "100000" });
  await sync.verify();
  assert.equal(sync.counters.repairs, 0, "nothing to repair yet");
  await db.del("PORT_TABLE|Ethernet0");
  await db.hset("PORT_TABLE|Ethernet4", { admin_status: "down", mtu: "1" });
  await sync.verify();
  assert.deepEqual(
    await state(store, "Ethernet0"),
    stateFields(link("Ethernet0")),
  );
  assert.deepEqual(
    await state(store, "Ethernet4"),
    stateFields(link("Ethernet4")),
  );
  assert.equal((await state(store, "Ethernet8")).speed, "100000");
  assert.equal(sync.counters.repairs, 2);
  for (const port of ["Ethernet0", "Ethernet4", "Ethernet8"]) {
    await db.del(`PORT_TABLE|${port}`); // FLUSHDB
  }
  await sync.verify();
  assert.equal(sync.counters.repairs, 5);
  assert.equal((await state(store, "Ethernet8")).state, "ok");
});

Deno.test("not a hash: a STATE_DB port key of another type is logged once, left alone, the rest synced", async () => {
  const { store, sync, logs, dumps } = engine();
  const db = store.db("STATE_DB");
  await inAppl(store, ["Ethernet0", "Ethernet4"]);
  await db.eval(SET_SCRIPT, ["PORT_TABLE|Ethernet0"], ["x"]);
  sync.requestResync("test");
  await sync.handle([
    ...messages([link("Ethernet0"), link("Ethernet4")], dumps[0]),
    { kind: "dump_done", seq: dumps[0] },
  ]);
  assert.equal((await state(store, "Ethernet4")).state, "ok");
  await sync.handle(messages([link("Ethernet0", { mtu: 1500 })]));
  await sync.handle(messages([link("Ethernet0", { type: "dellink" })]));
  await sync.handle(messages([link("Ethernet0", { mtu: 1400 })]));
  const warnings = logs.filter((line) => line.includes("not a hash"));
  assert.deepEqual(warnings, [
    "WARN STATE_DB key is not a hash; portsyncd leaves it alone key=PORT_TABLE|Ethernet0",
  ]);
  assert.equal(
    store.dump("STATE_DB")["PORT_TABLE|Ethernet0"] instanceof Array,
    true,
    "never deleted",
  );
  await db.del("PORT_TABLE|Ethernet0");
  await sync.verify();
  assert.equal((await state(store, "Ethernet0")).mtu, "1400");
});

Deno.test("CONFIG_DB: empty-named and non-hash PORT entries are skipped with one line naming each", async () => {
  const { store, sync, logs } = engine();
  const config = store.db("CONFIG_DB");
  await config.hset("PORT|Ethernet0", { lanes: "0" });
  await config.hset("PORT|", { lanes: "9" });
  await config.eval(SET_SCRIPT, ["PORT|Ethernet4"], ["x"]);
  const info = await sync.start();
  assert.equal(info.configured, 1);
  const skipped = logs.filter((line) => line.includes("entry skipped"));
  assert.deepEqual(skipped, [
    'WARN CONFIG_DB port entry skipped key=PORT| reason="empty port name"',
    'WARN CONFIG_DB port entry skipped key=PORT|Ethernet4 reason="not a hash"',
  ]);
  const appl = store.dump("APPL_DB");
  assert.deepEqual(appl["_PORT_TABLE:PortConfigDone"], { count: "1" });
});

/** Hands out pushed batches, one per receive. */
class Pushed implements LinkSource {
  #batches: NetlinkNotice[][] = [];
  #wake: (() => void) | null = null;
  requestDump(): number {
    return 1;
  }
  push(batch: NetlinkNotice[]): void {
    this.#batches.push(batch);
    this.#wake?.();
  }
  async receive(options: { signal?: AbortSignal } = {}) {
    while (this.#batches.length === 0 && !options.signal?.aborted) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        options.signal?.addEventListener("abort", () => resolve());
      });
    }
    return this.#batches.shift() ?? [];
  }
}

Deno.test("loop: a refused write is repaired with backoff once the store accepts again", async () => {
  const store = new RefusingStore(memoryStore());
  const { sync, logs } = engine(store);
  await inAppl(store, ["Ethernet0", "Ethernet4"]);
  const source = new Pushed();
  const loop = new SyncLoop(sync, {
    links: source,
    log: createLogger("info", { sink: (line) => logs.push(line) }),
    retry: { initialMs: 5, maxMs: 40 },
    verifyIntervalMs: 0,
  });
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  try {
    store.refusing = true;
    source.push(messages([link("Ethernet0"), link("Ethernet4")]));
    await waitFor("several refused repairs", () => store.refused >= 6);
    assert.equal(loop.repairing, true);
    assert.deepEqual(await state(store, "Ethernet0"), {});
    store.refusing = false;
    await waitFor("the repair", () => !loop.repairing);
    assert.equal((await state(store, "Ethernet0")).state, "ok");
    assert.equal((await state(store, "Ethernet4")).state, "ok");
    const failures = logs.filter((line) => line.startsWith("ERROR"));
    assert.equal(failures.length, 1, "one error line, then warnings");
    assert.match(failures[0], /store write failed; STATE_DB will be repaired/);
    assert.ok(logs.some((line) => line.includes("STATE_DB repaired")));
  } finally {
    controller.abort();
    await running;
  }
});
