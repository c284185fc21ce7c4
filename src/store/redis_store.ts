/**
 * `RedisStore`: the `Store` interface over node-redis, one connection per
 * database, writes kept in order and re-sent across reconnects
 * (at-least-once; see `redis_connection.ts`).
 * @module
 */

import { createHash } from "node:crypto";
import type { DbConfig } from "../config/db_config.ts";
import {
  errorText,
  RedisConnection,
  type StoreLogger,
} from "./redis_connection.ts";
import {
  type KeyWatch,
  watchKeys,
  type WatchKeysOptions,
} from "./key_watch.ts";
import {
  type Database,
  type Fields,
  opKey,
  type OpResult,
  type ScriptReply,
  type Store,
  StoreError,
  type StoreOp,
  StoreReplyError,
  type StoreScript,
} from "./types.ts";

export type { StoreLogger, StoreLogLevel } from "./redis_connection.ts";

/** Options of `RedisStore.connect`. */
export interface RedisStoreOptions {
  /** Databases to connect (default: every database in the config). */
  databases?: string[];
  /**
   * Bound on write commands queued and unanswered per database (HSET, DEL,
   * PUBLISH, EVALSHA; a batch counts each), default 100000. Beyond it new
   * writes reject with `StoreBacklogError`; reads still queue.
   */
  maxPendingWrites?: number;
  /** Reconnect backoff in ms (jittered), default 50 → 2000. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Keep retrying the first connect instead of failing (default false);
   * logs at `info`, at most once per `commandTimeoutMs`, what it waits for.
   */
  retryInitialConnect?: boolean;
  /**
   * Deadline of every Redis round trip, in ms (default 5000): a connect
   * handshake or a wave of requests with no reply for this long drops the
   * socket. At start-up `connect` then fails (`connect failed: no reply in
   * N ms`); later the store logs `no reply in N ms; reconnecting` at `warn`
   * (once per outage), reconnects with the backoff, re-sends the unanswered
   * requests in order and tells the `onReconnect` listeners.
   */
  commandTimeoutMs?: number;
  /**
   * Aborting it makes a pending `connect` reject at once with a
   * `StoreError` (`... connect aborted`) and close what it opened. It has
   * no effect once `connect` has settled (use `close`).
   */
  signal?: AbortSignal;
  /** How long `close` waits for queued commands, default 2000 ms. */
  closeTimeoutMs?: number;
  /** Log sink (default: silent). */
  onLog?: StoreLogger;
}

const SCAN_COUNT = "1000";

/**
 * A `Store` backed by Redis. Each database gets its own client (SELECT id),
 * over the instance's unix socket when it has one, else TCP.
 *
 * @example
 * ```ts
 * import type { DbConfig } from "../config/db_config.ts";
 * declare const config: DbConfig;
 * const store = await RedisStore.connect(config, { databases: ["APPL_DB", "STATE_DB"] });
 * try {
 *   await store.db("STATE_DB").hset("PORT_TABLE|Ethernet0", { state: "ok" });
 * } finally {
 *   await store.close();
 * }
 * ```
 */
export class RedisStore implements Store {
  /** Always `redis`. */
  readonly kind = "redis" as const;
  readonly #source: string;
  readonly #databases: Map<string, RedisDatabase>;
  readonly #listeners = new Set<(database: string) => void>();
  readonly #closeTimeoutMs: number;
  readonly #watches = new Set<KeyWatch>();
  #config: DbConfig | null = null;

  private constructor(
    source: string,
    databases: Map<string, RedisDatabase>,
    closeTimeoutMs: number,
  ) {
    this.#source = source;
    this.#databases = databases;
    this.#closeTimeoutMs = closeTimeoutMs;
  }

  /**
   * Connects to every selected database; fails with one `StoreError` line
   * such as `redis APPL_DB at unix:/run/redis.sock: connect failed:
   * ECONNREFUSED` (or `connect failed: no reply in 5000 ms` from a Redis
   * that accepts but never answers) unless `retryInitialConnect` is set,
   * or `... connect aborted` when `options.signal` aborts. On failure every
   * connection already opened is closed.
   */
  static async connect(
    config: DbConfig,
    options: RedisStoreOptions = {},
  ): Promise<RedisStore> {
    const names = options.databases ?? [...config.databases.keys()];
    const databases = new Map<string, RedisDatabase>();
    const store: RedisStore = new RedisStore(
      config.source,
      databases,
      options.closeTimeoutMs ?? 2000,
    );
    store.#config = config;
    for (const name of names) {
      const info = config.databases.get(name);
      if (info === undefined) {
        throw new StoreError(
          `redis store: unknown database "${name}" (not in ${config.source})`,
        );
      }
      const connection = new RedisConnection({
        name,
        id: info.id,
        socketPath: info.instance.unixSocketPath,
        host: info.instance.hostname,
        port: info.instance.port,
        maxPending: options.maxPendingWrites ?? 100_000,
        backoff: options.backoff ?? { initialMs: 50, maxMs: 2000 },
        retryInitialConnect: options.retryInitialConnect ?? false,
        commandTimeoutMs: options.commandTimeoutMs ?? 5000,
        onReconnect: () => store.#notifyReconnect(name),
        onLog: options.onLog ?? (() => {}),
      });
      databases.set(
        name,
        new RedisDatabase(
          { name, id: info.id, separator: info.separator },
          connection,
        ),
      );
    }
    const connections = [...databases.values()].map((db) => db.connection);
    const connects = connections.map((c) => c.connect(options.signal));
    try {
      await Promise.all(connects);
    } catch (error) {
      // The first failure ends the others' attempts too.
      await Promise.all(connections.map((c) => c.close(0)));
      await Promise.allSettled(connects);
      throw error;
    }
    return store;
  }

  /** The database with this name; throws `StoreError` if not connected. */
  db(name: string): Database {
    const database = this.#databases.get(name);
    if (database === undefined) {
      throw new StoreError(
        `redis store: database "${name}" is not connected (not in ${this.#source} or not selected)`,
      );
    }
    return database;
  }

  /** Adds a listener called with a database's name after it reconnected. */
  onReconnect(listener: (database: string) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Commands queued and unanswered, per database (for metrics and tests). */
  pending(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const [name, db] of this.#databases) {
      result[name] = db.connection.pending;
    }
    return result;
  }

  /**
   * Watches a connected database's keys on a subscriber connection of its
   * own (see `key_watch.ts`); closed with the store.
   */
  async watchKeys(
    database: string,
    options: WatchKeysOptions,
  ): Promise<KeyWatch> {
    const info = this.#config?.databases.get(this.db(database).name)!;
    const watch = await watchKeys(info, options);
    this.#watches.add(watch);
    return watch;
  }

  /** Waits (bounded) for queued commands, then closes every connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#watches].map((watch) => watch.close()));
    this.#watches.clear();
    await Promise.all(
      [...this.#databases.values()].map((db) =>
        db.connection.close(this.#closeTimeoutMs)
      ),
    );
  }

  #notifyReconnect(name: string): void {
    for (const listener of this.#listeners) listener(name);
  }
}

const shaCache = new WeakMap<StoreScript, string>();

function scriptSha(script: StoreScript): string {
  let sha = shaCache.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script.lua).digest("hex");
    shaCache.set(script, sha);
  }
  return sha;
}

/** One database of a `RedisStore`. */
class RedisDatabase implements Database {
  readonly name: string;
  readonly id: number;
  readonly separator: ":" | "|";
  readonly connection: RedisConnection;

  constructor(
    info: { name: string; id: number; separator: ":" | "|" },
    connection: RedisConnection,
  ) {
    this.name = info.name;
    this.id = info.id;
    this.separator = info.separator;
    this.connection = connection;
  }

  async hgetall(key: string): Promise<Fields> {
    return toFields(await this.#one(["HGETALL", key]));
  }

  async hget(key: string, field: string): Promise<string | null> {
    const reply = await this.#one(["HGET", key, field]);
    return reply === null ? null : String(reply);
  }

  async exists(key: string): Promise<boolean> {
    return Number(await this.#one(["EXISTS", key])) > 0;
  }

  async scan(pattern: string): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const reply = await this.#one(
        ["SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT],
      ) as [string, string[]];
      cursor = String(reply[0]);
      for (const key of reply[1]) keys.add(String(key));
    } while (cursor !== "0");
    return [...keys];
  }

  async hset(key: string, fields: Fields): Promise<void> {
    const command = hsetCommand(key, fields);
    if (command !== null) await this.#one(command);
  }

  async del(key: string): Promise<void> {
    await this.#one(["DEL", key]);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#one(["PUBLISH", channel, message]);
  }

  async eval(
    script: StoreScript,
    keys: string[],
    args: string[],
  ): Promise<ScriptReply> {
    return await this.#one(
      this.#evalCommand(script, keys, args),
    ) as ScriptReply;
  }

  /** One pipeline; rejects with the first command error (the rest ran). */
  async batch(ops: StoreOp[]): Promise<OpResult[]> {
    const results = await this.batchSettled(ops);
    const refused = results.find((result) => result instanceof StoreReplyError);
    if (refused !== undefined) throw refused;
    return results as OpResult[];
  }

  /** One pipeline; a refused command gives its error in its slot. */
  async batchSettled(ops: StoreOp[]): Promise<(OpResult | StoreReplyError)[]> {
    const commands: string[][] = [];
    const slots: number[] = [];
    for (const op of ops) {
      const command = this.#command(op);
      slots.push(command === null ? -1 : commands.length);
      if (command !== null) commands.push(command);
    }
    const outcomes = commands.length === 0
      ? []
      : await this.connection.request(commands);
    return ops.map((op, index) => {
      const slot = slots[index];
      if (slot === -1) return 0;
      const outcome = outcomes[slot];
      if (!outcome.ok) {
        return this.#error(commands[slot], outcome.error, opKey(op));
      }
      return toResult(op, outcome.value);
    });
  }

  #command(op: StoreOp): string[] | null {
    switch (op.op) {
      case "hset":
        return hsetCommand(op.key, op.fields);
      case "del":
        return ["DEL", op.key];
      case "publish":
        return ["PUBLISH", op.channel, op.message];
      case "eval":
        return this.#evalCommand(op.script, op.keys, op.args);
      case "hgetall":
        return ["HGETALL", op.key];
      case "exists":
        return ["EXISTS", op.key];
    }
  }

  #evalCommand(script: StoreScript, keys: string[], args: string[]): string[] {
    const sha = scriptSha(script);
    this.connection.registerScript(sha, script.lua);
    return ["EVALSHA", sha, String(keys.length), ...keys, ...args];
  }

  async #one(command: string[]): Promise<unknown> {
    const outcomes = await this.connection.request([command]);
    const outcome = outcomes[0];
    if (!outcome.ok) {
      throw this.#error(command, outcome.error, command[1] ?? null);
    }
    return outcome.value;
  }

  #error(command: string[], error: Error, key: string | null): StoreReplyError {
    const text = errorText(error);
    return new StoreReplyError(
      `redis ${this.name} at ${this.connection.endpoint}: ${command[0]}${
        key === null ? "" : ` ${key}`
      }: ${text}`,
      { code: text.split(" ")[0], key, cause: error },
    );
  }
}

function hsetCommand(key: string, fields: Fields): string[] | null {
  const names = Object.keys(fields);
  if (names.length === 0) return null;
  const command = ["HSET", key];
  for (const name of names) command.push(name, String(fields[name]));
  return command;
}

function toFields(reply: unknown): Fields {
  const fields: Fields = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      fields[String(reply[i])] = String(reply[i + 1]);
    }
  }
  return fields;
}

function toResult(op: StoreOp, value: unknown): OpResult {
  switch (op.op) {
    case "hgetall":
      return toFields(value);
    case "exists":
      return Number(value) > 0;
    case "eval":
      return value as ScriptReply;
    default:
      return Number(value);
  }
}
