/**
 * `MemoryStore`: the `Store` interface over in-process data with Redis
 * semantics, for `--store memory`, tests and benchmarks. Every operation
 * takes effect when it is called (so order is call order) and returns a
 * settled promise.
 * @module
 */

import type { DbConfig } from "../config/db_config.ts";
import {
  type Keyspace,
  MemoryData,
  type MessageListener,
} from "./memory_data.ts";
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

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * Data to share with other views (e.g. `other.data`); a fresh, empty
   * `MemoryData` by default.
   */
  data?: MemoryData;
}

/** What `dump` returns: each key with its hash fields or set members. */
export type MemoryDump = Record<string, Fields | string[]>;

/**
 * An in-memory `Store`: one keyspace per database id (two names with the
 * same id share keys, as in Redis), hashes and sets, glob `scan`, `publish`
 * to in-process subscribers and `eval` through `StoreScript.emulate`.
 *
 * @example
 * ```ts
 * import type { DbConfig } from "../config/db_config.ts";
 * declare const config: DbConfig;
 * const store = new MemoryStore(config);
 * await store.db("STATE_DB").hset("PORT_TABLE|Ethernet0", { state: "ok" });
 * store.dump("STATE_DB"); // { "PORT_TABLE|Ethernet0": { state: "ok" } }
 * ```
 */
export class MemoryStore implements Store {
  /** Always `memory`. */
  readonly kind = "memory" as const;
  /** The shared data; pass it to another `MemoryStore` to share it. */
  readonly data: MemoryData;
  readonly #config: DbConfig;
  readonly #databases = new Map<string, MemoryDatabase>();
  readonly #state = { closed: false };

  /** Creates a store for every database of `config`. */
  constructor(config: DbConfig, options: MemoryStoreOptions = {}) {
    this.#config = config;
    this.data = options.data ?? new MemoryData();
  }

  /**
   * Same as the constructor.
   *
   * @example
   * ```ts
   * import type { DbConfig } from "../config/db_config.ts";
   * declare const config: DbConfig;
   * declare const store: MemoryStore;
   * const view = MemoryStore.fromConfig(config, { data: store.data });
   * ```
   */
  static fromConfig(
    config: DbConfig,
    options: MemoryStoreOptions = {},
  ): MemoryStore {
    return new MemoryStore(config, options);
  }

  /** The database with this name; throws `StoreError` for an unknown name. */
  db(name: string): Database {
    let database = this.#databases.get(name);
    if (database === undefined) {
      const info = this.#config.databases.get(name);
      if (info === undefined) {
        throw new StoreError(
          `memory store: unknown database "${name}" (not in ${this.#config.source})`,
        );
      }
      database = new MemoryDatabase({
        name,
        id: info.id,
        separator: info.separator,
        keyspace: this.data.keyspace(info.id),
        state: this.#state,
      });
      this.#databases.set(name, database);
    }
    return database;
  }

  /**
   * Listens on a pub/sub channel. As in Redis, channels are not per
   * database: `db` is only checked to exist. Returns an unsubscribe function.
   *
   * @example
   * ```ts
   * declare const store: MemoryStore;
   * const stop = store.subscribe("APPL_DB", "PORT_TABLE_CHANNEL@0", (m) => console.log(m));
   * ```
   */
  subscribe(
    db: string,
    channel: string,
    listener: MessageListener,
  ): () => void {
    this.db(db);
    return this.data.subscribe(channel, listener);
  }

  /**
   * A synchronous copy of one database: keys sorted, hashes as objects, sets
   * as sorted arrays.
   *
   * @example
   * ```ts
   * declare const store: MemoryStore;
   * store.dump("APPL_DB")["PORT_TABLE_KEY_SET"]; // ["Ethernet0"]
   * ```
   */
  dump(dbName: string): MemoryDump {
    const keyspace = (this.db(dbName) as MemoryDatabase).keyspace;
    const result: MemoryDump = {};
    for (const key of [...keyspace.entries.keys()].sort()) {
      const value = keyspace.entries.get(key)!;
      result[key] = value instanceof Map
        ? Object.fromEntries(value)
        : [...value].sort();
    }
    return result;
  }

  /** Never called: the memory store does not disconnect. */
  onReconnect(_listener: (database: string) => void): () => void {
    return () => {};
  }

  /** Closes this view; later operations reject. The data stays. */
  close(): Promise<void> {
    this.#state.closed = true;
    return Promise.resolve();
  }
}

interface MemoryDatabaseInit {
  name: string;
  id: number;
  separator: ":" | "|";
  keyspace: Keyspace;
  state: { closed: boolean };
}

/** One database of a `MemoryStore`. */
class MemoryDatabase implements Database {
  readonly name: string;
  readonly id: number;
  readonly separator: ":" | "|";
  readonly keyspace: Keyspace;
  readonly #state: { closed: boolean };

  constructor(init: MemoryDatabaseInit) {
    this.name = init.name;
    this.id = init.id;
    this.separator = init.separator;
    this.keyspace = init.keyspace;
    this.#state = init.state;
  }

  hgetall(key: string): Promise<Fields> {
    return this.#run(() => this.keyspace.hgetall(key));
  }

  hget(key: string, field: string): Promise<string | null> {
    return this.#run(() => this.keyspace.hget(key, field));
  }

  exists(key: string): Promise<boolean> {
    return this.#run(() => this.keyspace.exists(key));
  }

  scan(pattern: string): Promise<string[]> {
    return this.#run(() => this.keyspace.keys(pattern));
  }

  hset(key: string, fields: Fields): Promise<void> {
    return this.#run(() => {
      this.keyspace.hset(key, fields);
    });
  }

  del(key: string): Promise<void> {
    return this.#run(() => {
      this.keyspace.del([key]);
    });
  }

  publish(channel: string, message: string): Promise<void> {
    return this.#run(() => {
      this.keyspace.publish(channel, message);
    });
  }

  eval(
    script: StoreScript,
    keys: string[],
    args: string[],
  ): Promise<ScriptReply> {
    return this.#run(() => script.emulate(this.keyspace, keys, args));
  }

  /** Runs every operation in order; like a Redis pipeline, a failing
   * operation does not stop the others, and the batch rejects with the
   * first error. */
  async batch(ops: StoreOp[]): Promise<OpResult[]> {
    const results = await this.batchSettled(ops);
    const refused = results.find((result) => result instanceof StoreReplyError);
    if (refused !== undefined) throw refused;
    return results as OpResult[];
  }

  /** Runs every operation in order; a refused one gives its error in its slot. */
  batchSettled(ops: StoreOp[]): Promise<(OpResult | StoreReplyError)[]> {
    return this.#run(() =>
      ops.map((op) => {
        try {
          return this.#apply(op);
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          const key = opKey(op);
          const what = `${op.op.toUpperCase()}${key === null ? "" : ` ${key}`}`;
          return new StoreReplyError(`memory ${this.name}: ${what}: ${text}`, {
            code: text.split(" ")[0],
            key,
            cause: error,
          });
        }
      })
    );
  }

  #apply(op: StoreOp): OpResult {
    switch (op.op) {
      case "hset":
        return this.keyspace.hset(op.key, op.fields);
      case "del":
        return this.keyspace.del([op.key]);
      case "publish":
        return this.keyspace.publish(op.channel, op.message);
      case "eval":
        return op.script.emulate(this.keyspace, op.keys, op.args);
      case "hgetall":
        return this.keyspace.hgetall(op.key);
      case "exists":
        return this.keyspace.exists(op.key);
    }
  }

  #run<T>(action: () => T): Promise<T> {
    if (this.#state.closed) {
      return Promise.reject(
        new StoreError(`memory ${this.name}: store is closed`),
      );
    }
    try {
      return Promise.resolve(action());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return Promise.reject(
        new StoreError(`memory ${this.name}: ${message}`, { cause: error }),
      );
    }
  }
}
