/**
 * `RedisStore`: the `Store` interface over node-redis, one connection per
 * database, writes kept in order and re-sent across reconnects
 * (at-least-once; see `redis_connection.ts`).
 * @module
 */

import type { DbConfig, RedisInstance } from "../config/db_config.ts";
import { RedisConnection, type StoreLogger } from "./redis_connection.ts";
import { KeyspaceSubscriber } from "./key_watch.ts";
import { RedisDatabase } from "./redis_database.ts";
import { type Database, type Store, StoreError } from "./types.ts";

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
  /** Subscriber connections by instance, opened by the first watch. */
  readonly #subscribers = new Map<string, KeyspaceSubscriber>();

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
      const subscriber = store.#subscriber(info.instance, options);
      databases.set(
        name,
        new RedisDatabase(
          { name, id: info.id, separator: info.separator },
          { connection, subscriber },
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

  /** Waits (bounded) for queued commands, then closes every connection. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#subscribers.values()].map((subscriber) => subscriber.close()),
    );
    await Promise.all(
      [...this.#databases.values()].map((db) =>
        db.connection.close(this.#closeTimeoutMs)
      ),
    );
  }

  /** The instance's one subscriber connection (shared by its databases). */
  #subscriber(
    instance: RedisInstance,
    options: RedisStoreOptions,
  ): KeyspaceSubscriber {
    let subscriber = this.#subscribers.get(instance.name);
    if (subscriber === undefined) {
      subscriber = new KeyspaceSubscriber(instance, {
        timeoutMs: options.commandTimeoutMs ?? 5000,
      });
      this.#subscribers.set(instance.name, subscriber);
    }
    return subscriber;
  }

  #notifyReconnect(name: string): void {
    for (const listener of this.#listeners) listener(name);
  }
}
