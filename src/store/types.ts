/**
 * The one interface portsyncd writes through. Two implementations stand
 * behind it: `RedisStore` (node-redis over a unix socket or TCP) and
 * `MemoryStore` (in-process, same semantics) for `--store memory`, tests and
 * benchmarks.
 * @module
 */

import type { KeyWatch, WatchKeysOptions } from "./key_watch.ts";

/** Field/value pairs of one Redis hash. */
export type Fields = Record<string, string>;

/**
 * A Lua script the store can run atomically. Redis runs `lua` (with EVALSHA,
 * reloading on NOSCRIPT); the memory store runs `emulate`, which must have the
 * same effect on the same data.
 */
export interface StoreScript {
  /** Short name used in errors and logs. */
  readonly name: string;
  /** The Lua source, as sent to Redis. */
  readonly lua: string;
  /** The same script for the memory store. */
  emulate(data: ScriptData, keys: string[], args: string[]): ScriptReply;
}

/** What a script may return (a subset of RESP replies). */
export type ScriptReply = null | number | string | ScriptReply[];

/** The synchronous data operations an emulated script may use. */
export interface ScriptData {
  /** SADD; returns the number of members added. */
  sadd(key: string, members: string[]): number;
  /** SISMEMBER. */
  sismember(key: string, member: string): boolean;
  /** SPOP with a count: removes and returns up to `count` members. */
  spop(key: string, count: number): string[];
  /** SREM; returns the number of members removed. */
  srem(key: string, members: string[]): number;
  /** HGETALL; an absent key gives `{}`. */
  hgetall(key: string): Fields;
  /** HSET of several fields. */
  hset(key: string, fields: Fields): void;
  /** DEL; returns how many keys existed. */
  del(keys: string[]): number;
  /** PUBLISH; returns the number of receivers. */
  publish(channel: string, message: string): number;
}

/** One operation in a batch. Reads and writes may be mixed; order is kept. */
export type StoreOp =
  | { op: "hset"; key: string; fields: Fields }
  | { op: "del"; key: string }
  | { op: "publish"; channel: string; message: string }
  | { op: "eval"; script: StoreScript; keys: string[]; args: string[] }
  | { op: "hgetall"; key: string }
  | { op: "exists"; key: string };

/**
 * The reply of each batch operation, in order: `hset`/`del`/`publish` give a
 * number, `eval` the script's reply, `hgetall` a `Fields` (empty when absent),
 * `exists` a boolean.
 */
export type OpResult = number | boolean | Fields | ScriptReply;

/** One logical database (APPL_DB, CONFIG_DB, STATE_DB, ...). */
export interface Database {
  /** Name from database_config.json, e.g. `STATE_DB`. */
  readonly name: string;
  /** Redis database number. */
  readonly id: number;
  /** Key separator between table and key: `:` or `|`. */
  readonly separator: ":" | "|";
  /** HGETALL; an absent key gives `{}`. */
  hgetall(key: string): Promise<Fields>;
  /** HGET; an absent key or field gives null. */
  hget(key: string, field: string): Promise<string | null>;
  /** EXISTS for one key. */
  exists(key: string): Promise<boolean>;
  /** All keys matching a glob pattern (SCAN, never KEYS). */
  scan(pattern: string): Promise<string[]>;
  /** HSET: sets the given fields, leaves the others. */
  hset(key: string, fields: Fields): Promise<void>;
  /** DEL of one key. */
  del(key: string): Promise<void>;
  /** PUBLISH on this database's connection. */
  publish(channel: string, message: string): Promise<void>;
  /** Runs a script atomically. */
  eval(
    script: StoreScript,
    keys: string[],
    args: string[],
  ): Promise<ScriptReply>;
  /**
   * Runs many operations in one round trip, in order. Every operation runs;
   * when the server refused any, rejects with the first refusal as a
   * {@linkcode StoreReplyError}.
   */
  batch(ops: StoreOp[]): Promise<OpResult[]>;
  /**
   * Like `batch`, but a refused operation (e.g. WRONGTYPE on a key that is
   * not a hash) gives its {@linkcode StoreReplyError} in its slot instead of
   * rejecting the whole batch. Still rejects when the store itself fails
   * (closed, backlog full).
   */
  batchSettled(ops: StoreOp[]): Promise<(OpResult | StoreReplyError)[]>;
  /**
   * Watches this database's keys matching a pattern through keyspace
   * notifications (Redis only; absent where the store cannot). Watches
   * close with the store. See `key_watch.ts`.
   */
  watch?(options: WatchKeysOptions): Promise<KeyWatch>;
}

/** A set of databases reached through one backend. */
export interface Store {
  /** `redis` or `memory`. */
  readonly kind: "redis" | "memory";
  /** The database with this name; throws `StoreError` for an unknown name. */
  db(name: string): Database;
  /**
   * Registers a listener called after the backend reconnected (Redis only),
   * so callers can reconcile what may have changed meanwhile. It is called
   * once per database connection that came back, with that database's name
   * (listeners declared as `() => void` keep working). Returns a function
   * that removes the listener.
   */
  onReconnect(listener: (database: string) => void): () => void;
  /** Flushes pending writes, then closes every connection. */
  close(): Promise<void>;
}

/** Any failure of the store; the message names the database and what failed. */
export class StoreError extends Error {
  /** Creates a store error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/**
 * The server refused a command with an error reply (`WRONGTYPE`, `OOM`,
 * `BUSY`, `ERR`, ...): the connection is fine, that command did not run.
 */
export class StoreReplyError extends StoreError {
  /** The reply's first word, e.g. `WRONGTYPE`, `OOM`, `BUSY`. */
  readonly code: string;
  /** The key the refused operation named, or null (publish). */
  readonly key: string | null;

  /** Creates a reply error. */
  constructor(
    message: string,
    options: { code: string; key: string | null; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = "StoreReplyError";
    this.code = options.code;
    this.key = options.key;
  }
}

/** The key an operation names, or null for a publish. */
export function opKey(op: StoreOp): string | null {
  if (op.op === "publish") return null;
  if (op.op === "eval") return op.keys[0] ?? null;
  return op.key;
}

/** Raised when writes queued during a disconnect exceed the bound. */
export class StoreBacklogError extends StoreError {
  /** Creates a backlog error. */
  constructor(message: string) {
    super(message);
    this.name = "StoreBacklogError";
  }
}
