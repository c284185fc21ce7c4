/**
 * RedisStore across connection kills, server restarts and outages: no acked
 * write is lost, order is kept, the backlog is bounded.
 * @module
 */

import assert from "node:assert/strict";
import { RedisStore } from "../../src/store/redis_store.ts";
import {
  StoreBacklogError,
  StoreError,
  StoreReplyError,
} from "../../src/store/types.ts";
import {
  REDIS_AVAILABLE,
  type RedisServer,
  withRedis,
} from "../helpers/redis_server.ts";

const ignore = !REDIS_AVAILABLE;
const FAST = { initialMs: 5, maxMs: 50 };

interface ConnectOptions {
  maxPendingWrites?: number;
  retryInitialConnect?: boolean;
}

function connect(
  server: RedisServer,
  options: ConnectOptions = {},
): Promise<RedisStore> {
  return RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB"],
    backoff: FAST,
    ...options,
  });
}

/**
 * Runs `fn` with a store connected to a fresh Redis server; the store is
 * closed, then the server stopped, afterwards.
 */
function withStore(
  fn: (store: RedisStore, server: RedisServer) => Promise<void>,
  options: ConnectOptions = {},
): Promise<void> {
  return withRedis(async (server) => {
    const store = await connect(server, options);
    try {
      await fn(store, server);
    } finally {
      await store.close();
    }
  });
}

/** Writes counter `i` as field `i` of `seen` and `last` of `ctr:<i % 10>`. */
function write(store: RedisStore, i: number): Promise<void> {
  const db = store.db("APPL_DB");
  return Promise.all([
    db.hset("seen", { [String(i)]: "1" }),
    db.hset(`ctr:${i % 10}`, { last: String(i) }),
  ]).then(() => {});
}

Deno.test({
  name: "redis reconnect: CLIENT KILL mid-stream loses and reorders nothing",
  ignore,
  fn: () =>
    withStore(async (store, server) => {
      const reconnects: string[] = [];
      store.onReconnect((name) => reconnects.push(name));
      const total = 5000;
      for (let chunk = 0; chunk < total / 100; chunk++) {
        const writes = [];
        for (let i = chunk * 100; i < (chunk + 1) * 100; i++) {
          writes.push(write(store, i));
        }
        if (chunk % 10 === 5) {
          await server.cli("CLIENT", "KILL", "TYPE", "normal");
        }
        await Promise.all(writes);
      }
      const seen = await store.db("APPL_DB").hgetall("seen");
      assert.equal(Object.keys(seen).length, total);
      for (let k = 0; k < 10; k++) {
        const last = await store.db("APPL_DB").hget(`ctr:${k}`, "last");
        assert.equal(last, String(total - 10 + k));
      }
      assert.ok(reconnects.length >= 5, `reconnects: ${reconnects.length}`);
      assert.ok(reconnects.every((name) => name === "APPL_DB"));
    }),
});

Deno.test({
  name: "redis reconnect: a server restart mid-stream keeps every later ack",
  ignore,
  fn: () =>
    withStore(async (store, server) => {
      let phase: "before" | "restarting" | "after" = "before";
      const ackedAfter: number[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 5000; i++) {
        writes.push(
          write(store, i).then(() => {
            if (phase === "after") ackedAfter.push(i);
          }),
        );
        if (i === 2500) {
          phase = "restarting";
          await server.restart();
          phase = "after";
        } else if (i % 100 === 0) {
          await Promise.all(writes.slice(-100));
        }
      }
      await Promise.all(writes);
      const seen = await store.db("APPL_DB").hgetall("seen");
      assert.ok(
        ackedAfter.length >= 2400,
        `acked after: ${ackedAfter.length}`,
      );
      const missing = ackedAfter.filter((i) => seen[String(i)] !== "1");
      assert.deepEqual(missing, []);
      for (let k = 0; k < 10; k++) {
        const last = await store.db("APPL_DB").hget(`ctr:${k}`, "last");
        assert.equal(last, String(4990 + k));
      }
    }),
});

Deno.test({
  name: "redis reconnect: the backlog is bounded and flushed on return",
  ignore,
  async fn() {
    const bound = 50;
    await withStore(async (store, server) => {
      await server.halt();
      const db = store.db("APPL_DB");
      const queued = Array.from(
        { length: bound },
        (_, i) => db.hset("backlog", { [String(i)]: "1" }),
      );
      const error = await db.hset("backlog", { over: "1" }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof StoreBacklogError, String(error));
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /APPL_DB/);
      assert.match(error.message, new RegExp(`\\b${bound}\\b`));
      assert.ok(error.message.includes(`unix:${server.socketPath}`));
      assert.ok(!error.message.includes("\n"));
      assert.equal(store.pending().APPL_DB, bound);
      const read = db.hgetall("backlog");
      await server.start();
      await Promise.all(queued);
      const fields = await read;
      assert.equal(Object.keys(fields).length, bound);
      assert.equal(fields.over, undefined);
    }, { maxPendingWrites: bound });
  },
});

Deno.test({
  name: "redis connect: a missing server fails with one clear line",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      await server.halt();
      const error = await connect(server).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof StoreError, String(error));
      assert.match(
        error.message,
        /^redis APPL_DB at unix:\/\S+: connect failed: \S+/,
      );
      assert.ok(!error.message.includes("\n"));
    }),
});

Deno.test({
  name: "redis connect: retryInitialConnect waits for the server",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      await server.halt();
      const reconnects: string[] = [];
      const pending = connect(server, { retryInitialConnect: true });
      await server.start();
      const store = await pending;
      store.onReconnect((name) => reconnects.push(name));
      try {
        await store.db("APPL_DB").hset("k", { a: "1" });
        assert.equal(await server.cli("-n", "0", "HGET", "k", "a"), "1");
        assert.deepEqual(reconnects, []);
      } finally {
        await store.close();
      }
    }),
});

Deno.test({
  name: "redis close: drains queued writes, then gives up after the bound",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      const store = await connect(server);
      const db = store.db("APPL_DB");
      const writes = Array.from(
        { length: 1000 },
        (_, i) => db.hset("drain", { [String(i)]: "1" }),
      );
      await store.close();
      await Promise.all(writes);
      assert.equal(await server.cli("-n", "0", "HLEN", "drain"), "1000");

      const slow = await RedisStore.connect(server.dbConfig, {
        databases: ["APPL_DB"],
        backoff: FAST,
        closeTimeoutMs: 200,
      });
      await server.halt();
      const lost = slow.db("APPL_DB").hset("lost", { a: "1" });
      const started = Date.now();
      await slow.close();
      assert.ok(Date.now() - started < 2000);
      await assert.rejects(lost, StoreError);
    }),
});

Deno.test({
  name: "redis reconnect: WRONGTYPE rejects at once, without retry",
  ignore,
  fn: () =>
    withStore(async (store, server) => {
      await server.cli("-n", "0", "SADD", "aset", "m");
      await assert.rejects(
        store.db("APPL_DB").hset("aset", { a: "1" }),
        (error: unknown) =>
          error instanceof StoreReplyError && error.code === "WRONGTYPE" &&
          error.key === "aset" &&
          /^redis APPL_DB at unix:.*: HSET aset: WRONGTYPE/.test(error.message),
      );
      assert.equal(store.pending().APPL_DB, 0);
    }),
});
