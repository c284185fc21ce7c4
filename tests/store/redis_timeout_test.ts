/**
 * RedisStore against a Redis that accepts connections but never answers (a
 * SIGSTOPped `redis-server`): start-up fails with one line or says what it
 * waits for, an abort ends a pending connect at once, writes made during the
 * outage are all answered in order once the server thaws, and `close` is
 * bounded. Deno's sanitizers check that nothing (socket, timer) is left.
 * @module
 */

import assert from "node:assert/strict";
import {
  RedisStore,
  type RedisStoreOptions,
  type StoreLogLevel,
} from "../../src/store/redis_store.ts";
import { type Database, StoreError } from "../../src/store/types.ts";
import { waitFor } from "../helpers/daemon.ts";
import {
  queuedClientSockets,
  REDIS_AVAILABLE,
  type RedisServer,
  withRedis,
} from "../helpers/redis_server.ts";

const ignore = !REDIS_AVAILABLE;
/** Off by default in Deno 2: a timer or op left behind fails the test. */
const sanitizers = { sanitizeOps: true, sanitizeResources: true };
const FAST = { initialMs: 5, maxMs: 50 };
const TIMEOUT_MS = 300;
/** Far longer than any deadline under test: reaching it means a hang. */
const HANG_MS = 10_000;

interface Line {
  level: StoreLogLevel;
  message: string;
}

function connect(
  server: RedisServer,
  logs: Line[],
  options: RedisStoreOptions = {},
): Promise<RedisStore> {
  return RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB"],
    backoff: FAST,
    commandTimeoutMs: TIMEOUT_MS,
    onLog: (level, message) => logs.push({ level, message }),
    ...options,
  });
}

/** A store connected by `withStore`, with what it logged and reconnected. */
interface Connected {
  /** The store's APPL_DB. */
  db: Database;
  logs: Line[];
  /** The names `onReconnect` reported, in order. */
  reconnects: string[];
}

/**
 * A test with the sanitizers on, against a fresh server that is stopped
 * (even paused) afterwards.
 */
function timeoutTest(
  name: string,
  fn: (server: RedisServer, t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore,
    ...sanitizers,
    fn: (t) => withRedis((server) => fn(server, t)),
  });
}

/**
 * Runs `fn` with a store connected to `server`, its log lines and
 * reconnects recorded; the store is closed afterwards.
 */
async function withStore(
  server: RedisServer,
  fn: (connected: Connected) => Promise<void>,
): Promise<void> {
  const logs: Line[] = [];
  const store = await connect(server, logs);
  const reconnects: string[] = [];
  store.onReconnect((name) => reconnects.push(name));
  try {
    await fn({ db: store.db("APPL_DB"), logs, reconnects });
  } finally {
    await store.close();
  }
}

/** Whether `logs` holds `message` at `level`. */
function logged(logs: Line[], level: StoreLogLevel, message: string): boolean {
  return logs.some((line) => line.level === level && line.message === message);
}

/** The one warning a command timeout logs. */
function timedOutLine(server: RedisServer): string {
  return `redis APPL_DB at unix:${server.socketPath}: no reply in ${TIMEOUT_MS} ms; reconnecting`;
}

/** The messages of the warnings in `logs`. */
function warnings(logs: Line[]): string[] {
  return logs.filter((line) => line.level === "warn").map((line) =>
    line.message
  );
}

/** `promise`'s outcome (its rejection as a value); fails if it hangs. */
async function outcome(
  promise: Promise<unknown>,
  what: string,
): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: still pending after ${HANG_MS} ms`)),
      HANG_MS,
    );
  });
  try {
    return await Promise.race([promise.catch((error) => error), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the server (thawed) has no client left but `redis-cli`. */
async function noClientsLeft(server: RedisServer): Promise<void> {
  await waitFor("no client left", async () => {
    const clients = await server.cli("CLIENT", "LIST");
    return clients.split("\n").length === 1;
  });
}

function loud(logs: Line[]): Line[] {
  return logs.filter((line) => line.level !== "debug");
}

timeoutTest(
  "redis timeout: connect to a server that never answers fails in one line",
  async (server) => {
    server.pause();
    const logs: Line[] = [];
    const error = await outcome(connect(server, logs), "connect");
    assert.ok(error instanceof StoreError, String(error));
    assert.equal(
      error.message,
      `redis APPL_DB at unix:${server.socketPath}: connect failed: no reply in ${TIMEOUT_MS} ms`,
    );
    assert.deepEqual(loud(logs), []);
  },
);

timeoutTest(
  "redis timeout: retryInitialConnect says what it waits for, then connects",
  async (server) => {
    server.pause();
    const logs: Line[] = [];
    const pending = connect(server, logs, { retryInitialConnect: true });
    const waiting =
      `redis APPL_DB at unix:${server.socketPath}: waiting for the server: no reply in ${TIMEOUT_MS} ms`;
    await waitFor("the waiting line", () => logged(logs, "info", waiting));
    await waitFor(
      "a second attempt",
      async () => await server.acceptQueue() >= 2,
    );
    server.resume();
    const store = await pending;
    try {
      await store.db("APPL_DB").hset("k", { a: "1" });
      assert.equal(await server.cli("-n", "0", "HGET", "k", "a"), "1");
      assert.deepEqual(
        loud(logs).filter((line) => line.message !== waiting),
        [],
      );
    } finally {
      await store.close();
    }
  },
);

/** Connects two databases with a long timeout and aborts after `when`. */
async function abortedConnect(
  server: RedisServer,
  when: (logs: Line[]) => Promise<void>,
  options: RedisStoreOptions = {},
): Promise<void> {
  const logs: Line[] = [];
  const controller = new AbortController();
  const pending = connect(server, logs, {
    databases: ["APPL_DB", "STATE_DB"],
    commandTimeoutMs: 60_000,
    signal: controller.signal,
    ...options,
  });
  await when(logs);
  controller.abort();
  const error = await outcome(pending, "the aborted connect");
  assert.ok(error instanceof StoreError, String(error));
  assert.match(
    error.message,
    /^redis (APPL|STATE)_DB at unix:\S+: connect aborted$/,
  );
  assert.ok(error.message.includes(server.socketPath));
  await waitFor(
    "the sockets closed",
    async () => await queuedClientSockets() === 0,
  );
}

timeoutTest(
  "redis timeout: an abort ends a pending connect at once",
  async (server, t) => {
    server.pause();
    // Each step's sanitizers run while the server is still stopped, so a
    // socket or timer the abort left behind fails that step.
    await t.step({
      ...sanitizers,
      name: "before its sockets are up",
      fn: async () => {
        await abortedConnect(server, () => Promise.resolve());
      },
    });
    await t.step({
      ...sanitizers,
      name: "while it waits for the handshake",
      fn: async () => {
        const queued = await server.acceptQueue();
        await abortedConnect(server, async () => {
          await waitFor(
            "both sockets queued at the server",
            async () => await server.acceptQueue() >= queued + 2,
          );
        });
      },
    });
    await t.step({
      ...sanitizers,
      name: "while it waits out its backoff",
      fn: async () => {
        await abortedConnect(server, async (logs) => {
          await waitFor(
            "both waiting lines",
            () => logs.filter((line) => line.level === "info").length >= 2,
          );
        }, {
          retryInitialConnect: true,
          commandTimeoutMs: 100,
          backoff: { initialMs: 60_000, maxMs: 60_000 },
        });
      },
    });
    server.resume();
    await noClientsLeft(server);
  },
);

timeoutTest(
  "redis timeout: an aborted signal never connects",
  async (server) => {
    const connections = async (): Promise<number> => {
      const info = await server.cli("INFO", "stats");
      return Number(/total_connections_received:(\d+)/.exec(info)?.[1]);
    };
    const before = await connections();
    const controller = new AbortController();
    controller.abort();
    const error = await outcome(
      connect(server, [], { signal: controller.signal }),
      "connect",
    );
    assert.ok(error instanceof StoreError, String(error));
    assert.match(error.message, /: connect aborted$/);
    // Only the second `redis-cli` connected.
    assert.equal(await connections(), before + 1);
  },
);

timeoutTest(
  "redis timeout: writes during a stop are answered in order after it",
  (server) =>
    withStore(server, async ({ db, logs, reconnects }) => {
      await db.hset("before", { a: "1" });
      server.pause();
      const answered: number[] = [];
      const writes: Promise<unknown>[] = [];
      const issue = (from: number, to: number): void => {
        for (let i = from; i < to; i++) {
          writes.push(
            db.batch([
              { op: "hset", key: "seen", fields: { [String(i)]: "1" } },
              { op: "hset", key: "last", fields: { value: String(i) } },
            ]).then(() => answered.push(i)),
          );
        }
      };
      issue(0, 500);
      const timedOut = timedOutLine(server);
      await waitFor("the timeout line", () => logged(logs, "warn", timedOut));
      issue(500, 1000);
      await waitFor(
        "three reconnect attempts",
        async () => await server.acceptQueue() >= 3,
      );
      assert.deepEqual(answered, []);
      assert.deepEqual(reconnects, []);
      server.resume();
      await Promise.all(writes);
      assert.deepEqual(
        answered,
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.equal(await server.cli("-n", "0", "HLEN", "seen"), "1000");
      assert.equal(
        await server.cli("-n", "0", "HGET", "last", "value"),
        "999",
      );
      assert.deepEqual(reconnects, ["APPL_DB"]);
      assert.deepEqual(warnings(logs), [timedOut]);
      assert.ok(
        logs.some((line) =>
          line.level === "info" &&
          /: reconnected, re-sending/.test(line.message)
        ),
        JSON.stringify(logs),
      );
    }),
);

timeoutTest(
  "redis timeout: a long CLIENT PAUSE WRITE warns once, loses nothing",
  (server) =>
    withStore(server, async ({ db, logs, reconnects }) => {
      await db.hset("k", { v: "0" });
      // Handshakes are answered, writes wait: several timeouts in a row.
      await server.cli("CLIENT", "PAUSE", String(TIMEOUT_MS * 5), "WRITE");
      const writes = Array.from(
        { length: 100 },
        (_, i) => db.hset("k", { v: String(i + 1) }),
      );
      await Promise.all(writes);
      assert.equal(await server.cli("-n", "0", "HGET", "k", "v"), "100");
      assert.ok(reconnects.length >= 2, `reconnects: ${reconnects.length}`);
      assert.deepEqual(warnings(logs), [timedOutLine(server)]);
    }),
);

timeoutTest(
  "redis timeout: close on a stopped server is bounded, rejects the rest",
  async (server) => {
    // The close bound ends the wait; then the reply deadline does.
    const bounds = [[200, 60_000], [60_000, 200]];
    for (const [closeTimeoutMs, commandTimeoutMs] of bounds) {
      const store = await connect(server, [], {
        closeTimeoutMs,
        commandTimeoutMs,
      });
      const db = store.db("APPL_DB");
      await db.hset("k", { a: "1" });
      server.pause();
      const write = db.hset("k", { b: "1" });
      const read = db.hgetall("k");
      await outcome(store.close(), "close");
      for (const lost of [write, read]) {
        const error = await outcome(lost, "a request left at close");
        assert.ok(error instanceof StoreError, String(error));
        assert.equal(
          error.message,
          `redis APPL_DB at unix:${server.socketPath}: closed before the server answered`,
        );
      }
      assert.deepEqual(store.pending(), { APPL_DB: 0 });
      server.resume();
      await noClientsLeft(server);
    }
  },
);
