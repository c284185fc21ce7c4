/**
 * STATE_DB `PORT_TABLE|<port>` as port sync sees it: the key format, chunked
 * writes, the cache of what was last written, and keys that are not hashes
 * (another client's mistake: logged once, left alone, the rest synced).
 * @module
 */

import type { Logger } from "../log/mod.ts";
import {
  type Database,
  type Fields,
  type StoreOp,
  StoreReplyError,
} from "../store/types.ts";
import { PORT_PREFIX, type StateWrite } from "./decide.ts";
import { PORT_TABLE } from "./startup.ts";
import type { SyncCounters } from "./stats.ts";

/** Options of {@linkcode StatePortTable}. */
export interface StatePortTableOptions {
  /** Logger. */
  log: Logger;
  /** Counters to count writes into. */
  counters: SyncCounters;
  /** Most writes per round trip. */
  maxBatch: number;
}

/** STATE_DB's port table, written in chunks, with a cache of the last writes. */
export class StatePortTable {
  /** Owned fields as last written to (or read from) STATE_DB, by port. */
  readonly written = new Map<string, Fields>();
  /** Ports whose key holds something other than a hash. */
  readonly #notHash = new Set<string>();
  readonly #db: Database;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #counters: SyncCounters;
  readonly #maxBatch: number;

  /** Wraps STATE_DB. */
  constructor(state: Database, options: StatePortTableOptions) {
    this.#db = state;
    this.#prefix = PORT_TABLE + state.separator;
    this.#log = options.log;
    this.#counters = options.counters;
    this.#maxBatch = options.maxBatch;
  }

  /** Ports whose STATE_DB key is not a hash (as last seen). */
  get notHash(): ReadonlySet<string> {
    return this.#notHash;
  }

  /** Reads every `PORT_TABLE|Ethernet*` hash (SCAN, then one pipeline). */
  async readAll(): Promise<Map<string, Fields>> {
    const keys = await this.#db.scan(`${this.#prefix}${PORT_PREFIX}*`);
    return await this.read(keys.map((key) => key.slice(this.#prefix.length)));
  }

  /**
   * Reads the hashes of `ports` in one round trip; absent hashes are `{}`,
   * keys that are not hashes are left out (and logged once).
   */
  async read(ports: string[]): Promise<Map<string, Fields>> {
    const results = await this.#db.batchSettled(
      ports.map((port) => ({ op: "hgetall", key: this.#key(port) }) as const),
    );
    const hashes = new Map<string, Fields>();
    results.forEach((result, index) => {
      const port = ports[index];
      if (this.#refused(port, result)) return;
      this.#hashAgain(port);
      hashes.set(port, result as Fields);
    });
    return hashes;
  }

  /**
   * Writes in chunks of `maxBatch`, one round trip each, and caches what was
   * written. A key that is not a hash is logged once and skipped (never
   * deleted); any other
   * refusal (OOM, BUSY, ...) throws once the chunk's other writes are cached.
   */
  async write(planned: StateWrite[]): Promise<void> {
    // Never DEL a key that holds another client's non-hash value.
    const writes = this.#notHash.size === 0 ? planned : planned.filter(
      (write) => write.kind !== "del" || !this.#notHash.has(write.port),
    );
    for (let start = 0; start < writes.length; start += this.#maxBatch) {
      const chunk = writes.slice(start, start + this.#maxBatch);
      const ops: StoreOp[] = chunk.map((write) => {
        const key = this.#key(write.port);
        return write.kind === "del"
          ? { op: "del", key }
          : { op: "hset", key, fields: write.fields };
      });
      const results = await this.#db.batchSettled(ops);
      let failure: StoreReplyError | null = null;
      chunk.forEach((write, index) => {
        const result = results[index];
        if (this.#refused(write.port, result)) return;
        if (result instanceof StoreReplyError) {
          this.written.delete(write.port);
          failure ??= result;
          return;
        }
        if (write.kind === "del") {
          this.#notHash.delete(write.port);
          this.written.delete(write.port);
          this.#counters.stateDeletes++;
        } else {
          this.#hashAgain(write.port);
          this.written.set(write.port, write.fields);
          this.#counters.stateWrites++;
        }
      });
      if (failure !== null) throw failure;
    }
  }

  #key(port: string): string {
    return this.#prefix + port;
  }

  /** True (logged the first time) when the reply says the key is not a hash. */
  #refused(port: string, result: unknown): boolean {
    if (!(result instanceof StoreReplyError) || result.code !== "WRONGTYPE") {
      return false;
    }
    this.written.delete(port);
    if (!this.#notHash.has(port)) {
      this.#notHash.add(port);
      this.#log.warn(
        "STATE_DB key is not a hash; portsyncd leaves it alone",
        { key: this.#key(port) },
      );
    }
    return true;
  }

  #hashAgain(port: string): void {
    if (this.#notHash.delete(port)) {
      this.#log.info("STATE_DB key is a hash again", { key: this.#key(port) });
    }
  }
}
