/**
 * The `Store` contract, written once and run against every backend
 * (`store_contract_test.ts`).
 * @module
 */

import assert from "node:assert/strict";
import { type DbConfig, parseDbConfig } from "../../src/config/db_config.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { RedisStore } from "../../src/store/redis_store.ts";
import {
  type ScriptData,
  type ScriptReply,
  type Store,
  StoreError,
  StoreReplyError,
  type StoreScript,
} from "../../src/store/types.ts";
import {
  type ChannelCounter,
  countMemoryMessages,
  countRedisMessages,
} from "../helpers/consumer.ts";
import {
  REDIS_AVAILABLE,
  type RedisServer,
  sonicDbConfigJson,
  startRedis,
} from "../helpers/redis_server.ts";

/** One opened backend for one test. */
export interface Fixture {
  /** The store under test; APPL_DB_ALIAS shares APPL_DB's id 0. */
  store: Store;
  /** The server, for Redis fixtures. */
  server: RedisServer | null;
  /** Counts messages on a channel. */
  counter(channel: string): Promise<ChannelCounter>;
  /** Closes the store and stops the server. */
  close(): Promise<void>;
}

/** A way to open a fresh backend. */
export interface Backend {
  /** `memory` or `redis`. */
  name: string;
  /** Skip when the backend cannot run here. */
  ignore: boolean;
  /** Opens a fresh, empty backend. */
  open(): Promise<Fixture>;
}

/** The config every fixture uses: SONiC's databases plus an alias of id 0. */
export function contractConfig(socketPath: string): DbConfig {
  const json = sonicDbConfigJson(socketPath);
  const databases = json.DATABASES as Record<string, unknown>;
  databases.APPL_DB_ALIAS = { id: 0, separator: ":", instance: "redis" };
  return parseDbConfig(json, { source: "contract" });
}

/** The in-memory backend. */
export const memoryBackend: Backend = {
  name: "memory",
  ignore: false,
  open(): Promise<Fixture> {
    const store = new MemoryStore(contractConfig("/nonexistent.sock"));
    return Promise.resolve({
      store,
      server: null,
      counter: (channel) =>
        Promise.resolve(countMemoryMessages(store, channel)),
      close: () => store.close(),
    });
  },
};

/** A real redis-server per test. */
export const redisBackend: Backend = {
  name: "redis",
  ignore: !REDIS_AVAILABLE,
  async open(): Promise<Fixture> {
    const server = await startRedis();
    const counters: ChannelCounter[] = [];
    try {
      const store = await RedisStore.connect(contractConfig(server.socketPath));
      return {
        store,
        server,
        async counter(channel) {
          const counter = await countRedisMessages(server.socketPath, channel);
          counters.push(counter);
          return counter;
        },
        async close() {
          for (const counter of counters) await counter.close();
          await store.close();
          await server.stop();
        },
      };
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};

/** A script with an effect on every kind of data it can touch. */
export const SWAP_SCRIPT: StoreScript = {
  name: "test_swap",
  lua: `
local old = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local added = redis.call('SADD', KEYS[3], ARGV[1])
return {#old, added, ARGV[2]}
`,
  emulate(data: ScriptData, keys: string[], args: string[]): ScriptReply {
    const old = data.hgetall(keys[0]);
    data.del([keys[0]]);
    data.hset(keys[1], { [args[0]]: args[1] });
    const added = data.sadd(keys[2], [args[0]]);
    return [Object.keys(old).length * 2, added, args[1]];
  },
};

/** One named check, run against a freshly opened fixture. */
export type Check = (fixture: Fixture) => Promise<void>;

const checks: Record<string, Check> = {
  async "hset merges fields; hgetall, hget and exists read them"({ store }) {
    const db = store.db("STATE_DB");
    assert.deepEqual(await db.hgetall("PORT_TABLE|Ethernet0"), {});
    assert.equal(await db.exists("PORT_TABLE|Ethernet0"), false);
    await db.hset("PORT_TABLE|Ethernet0", { state: "ok", mtu: "9100" });
    await db.hset("PORT_TABLE|Ethernet0", { mtu: "1500", speed: "100000" });
    assert.deepEqual(await db.hgetall("PORT_TABLE|Ethernet0"), {
      state: "ok",
      mtu: "1500",
      speed: "100000",
    });
    assert.equal(await db.hget("PORT_TABLE|Ethernet0", "mtu"), "1500");
    assert.equal(await db.hget("PORT_TABLE|Ethernet0", "nope"), null);
    assert.equal(await db.hget("PORT_TABLE|Ethernet9", "mtu"), null);
    assert.equal(await db.exists("PORT_TABLE|Ethernet0"), true);
  },

  async "del removes the whole key; an empty hset is a no-op"({ store }) {
    const db = store.db("STATE_DB");
    await db.hset("k", { a: "1" });
    await db.del("k");
    await db.del("k");
    assert.equal(await db.exists("k"), false);
    await db.hset("k", {});
    assert.equal(await db.exists("k"), false);
  },

  async "scan follows Redis glob rules"({ store }) {
    const db = store.db("CONFIG_DB");
    const keys = [
      "PORT|Ethernet0",
      "PORT|Ethernet4",
      "PORT|Ethernet12",
      "PORTCHANNEL|PortChannel1",
      "a*b",
      "axb",
      "h[llo",
      "hallo",
      "hello",
    ];
    for (const key of keys) await db.hset(key, { f: "v" });
    const scan = async (pattern: string) => (await db.scan(pattern)).sort();
    assert.deepEqual(await scan("PORT|*"), [
      "PORT|Ethernet0",
      "PORT|Ethernet12",
      "PORT|Ethernet4",
    ]);
    assert.deepEqual(await scan("PORT|Ethernet?"), [
      "PORT|Ethernet0",
      "PORT|Ethernet4",
    ]);
    assert.deepEqual(await scan("PORT|Ethernet[0-3]*"), [
      "PORT|Ethernet0",
      "PORT|Ethernet12",
    ]);
    assert.deepEqual(await scan("h[^e]llo"), ["h[llo", "hallo"]);
    assert.deepEqual(await scan("h\\[llo"), ["h[llo"]);
    assert.deepEqual(await scan("a\\*b"), ["a*b"]);
    assert.deepEqual(await scan("nothing*"), []);
    assert.equal((await scan("*")).length, keys.length);
  },

  async "scan returns every key of a large keyspace once"({ store }) {
    const db = store.db("APPL_DB");
    const ops = Array.from({ length: 3000 }, (_, i) => ({
      op: "hset" as const,
      key: `K:${i}`,
      fields: { i: String(i) },
    }));
    await db.batch(ops);
    const keys = await db.scan("K:*");
    assert.equal(keys.length, 3000);
    assert.equal(new Set(keys).size, 3000);
  },

  async "batch keeps order and gives one result per op"({ store }) {
    const db = store.db("APPL_DB");
    const results = await db.batch([
      { op: "hset", key: "b", fields: { x: "1", y: "2" } },
      { op: "hgetall", key: "b" },
      { op: "hset", key: "b", fields: { x: "3" } },
      { op: "exists", key: "b" },
      { op: "del", key: "b" },
      { op: "exists", key: "b" },
      { op: "hgetall", key: "b" },
      { op: "del", key: "b" },
      { op: "publish", channel: "nobody", message: "hi" },
      {
        op: "eval",
        script: SWAP_SCRIPT,
        keys: ["s1", "s2", "s3"],
        args: ["f", "v"],
      },
      { op: "hset", key: "c", fields: {} },
    ]);
    assert.deepEqual(results, [
      2,
      { x: "1", y: "2" },
      0,
      true,
      1,
      false,
      {},
      0,
      0,
      [0, 1, "v"],
      0,
    ]);
    assert.deepEqual(await db.batch([]), []);
  },

  async "a failing op rejects the batch, the others still run"({ store }) {
    const db = store.db("APPL_DB");
    await db.eval(SWAP_SCRIPT, ["x", "h", "set"], ["m", "v"]);
    await assert.rejects(
      db.batch([
        { op: "hset", key: "before", fields: { a: "1" } },
        { op: "hset", key: "set", fields: { a: "1" } },
        { op: "hset", key: "after", fields: { a: "1" } },
      ]),
      (error: unknown) =>
        error instanceof StoreError && /WRONGTYPE/.test(error.message) &&
        error.message.includes("APPL_DB"),
    );
    assert.equal(await db.exists("before"), true);
    assert.equal(await db.exists("after"), true);
    await assert.rejects(db.hgetall("set"), StoreError);
  },

  async "batchSettled gives a refused op's error in its slot"({ store }) {
    const db = store.db("STATE_DB");
    await db.eval(SWAP_SCRIPT, ["x", "h", "set"], ["m", "v"]);
    await db.hset("hash", { a: "1" });
    const results = await db.batchSettled([
      { op: "hgetall", key: "hash" },
      { op: "hgetall", key: "set" },
      { op: "hset", key: "after", fields: { b: "2" } },
    ]);
    assert.deepEqual(results[0], { a: "1" });
    const refused = results[1];
    assert.ok(refused instanceof StoreReplyError, String(refused));
    assert.equal(refused.code, "WRONGTYPE");
    assert.equal(refused.key, "set");
    assert.match(refused.message, /STATE_DB.*HGETALL set: WRONGTYPE/);
    assert.deepEqual(await db.hgetall("after"), { b: "2" });
  },

  async "publish reaches subscribers in order"(fixture) {
    const db = fixture.store.db("APPL_DB");
    const counter = await fixture.counter("CH@0");
    await db.publish("CH@0", "one");
    await db.batch([
      { op: "publish", channel: "CH@0", message: "two" },
      { op: "publish", channel: "other", message: "x" },
      { op: "publish", channel: "CH@0", message: "three" },
    ]);
    await counter.sync(db);
    assert.deepEqual(counter.messages, ["one", "two", "three"]);
  },

  async "eval runs a script atomically on several keys"({ store }) {
    const db = store.db("APPL_DB");
    await db.hset("old", { a: "1", b: "2" });
    const reply = await db.eval(SWAP_SCRIPT, ["old", "new", "members"], [
      "f",
      "v",
    ]);
    assert.deepEqual(reply, [4, 1, "v"]);
    assert.equal(await db.exists("old"), false);
    assert.deepEqual(await db.hgetall("new"), { f: "v" });
    assert.deepEqual(
      await db.eval(SWAP_SCRIPT, ["old", "new", "members"], ["f", "w"]),
      [0, 0, "w"],
    );
  },

  async "databases are separate; names with the same id share keys"({ store }) {
    await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { a: "1" });
    assert.equal(
      await store.db("STATE_DB").exists("PORT_TABLE:Ethernet0"),
      false,
    );
    assert.equal(
      await store.db("ASIC_DB").exists("PORT_TABLE:Ethernet0"),
      false,
    );
    assert.deepEqual(
      await store.db("APPL_DB_ALIAS").hgetall("PORT_TABLE:Ethernet0"),
      { a: "1" },
    );
    const db = store.db("CONFIG_DB");
    assert.equal(db.name, "CONFIG_DB");
    assert.equal(db.id, 4);
    assert.equal(db.separator, "|");
  },

  "an unknown database throws a StoreError naming it"({ store }) {
    assert.throws(() => store.db("NO_SUCH_DB"), /NO_SUCH_DB/);
    assert.throws(() => store.db("NO_SUCH_DB"), StoreError);
    return Promise.resolve();
  },

  async "a closed store rejects new operations"({ store }) {
    const db = store.db("APPL_DB");
    await db.hset("k", { a: "1" });
    await store.close();
    await assert.rejects(db.hgetall("k"), StoreError);
  },
};

/** Options of {@linkcode defineChecks}. */
export interface DefineChecksOptions {
  /** Test-name prefix, e.g. `store contract`; the backend name follows. */
  suite: string;
  /** The backend each check runs against. */
  backend: Backend;
}

/**
 * Registers each of `checks` as a `Deno.test` named
 * `<suite> [<backend>]: <check name>`, each on a fresh fixture that is closed
 * afterwards.
 *
 * @example
 * ```ts
 * defineChecks({
 *   async "starts empty"({ store }) {
 *     assert.equal(await store.db("APPL_DB").exists("k"), false);
 *   },
 * }, { suite: "example", backend: memoryBackend });
 * ```
 */
export function defineChecks(
  checks: Record<string, Check>,
  options: DefineChecksOptions,
): void {
  const { suite, backend } = options;
  for (const [name, check] of Object.entries(checks)) {
    Deno.test({
      name: `${suite} [${backend.name}]: ${name}`,
      ignore: backend.ignore,
      async fn() {
        const fixture = await backend.open();
        try {
          await check(fixture);
        } finally {
          await fixture.close();
        }
      },
    });
  }
}

/**
 * Registers every contract check as a `Deno.test` for `backend`.
 *
 * @example
 * ```ts
 * defineContractTests(memoryBackend);
 * ```
 */
export function defineContractTests(backend: Backend): void {
  defineChecks(checks, { suite: "store contract", backend });
}
