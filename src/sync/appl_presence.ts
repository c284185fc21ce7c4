/**
 * Which ports have an APPL_DB `PORT_TABLE:<port>` entry, without a round
 * trip per batch. SONiC's daemon asks Redis (EXISTS) before every STATE_DB
 * write; here the answers are cached while a keyspace watch of
 * `PORT_TABLE:*` is live, and any event on a port's key forgets that port's
 * answer (the next lookup asks again). When the watch is down or
 * unavailable (notifications off, memory store), every lookup asks Redis,
 * exactly as before. A reconcile always asks afresh.
 *
 * An answer is cached only when no event arrived while its EXISTS was in
 * flight: an event that overtakes the reply can otherwise leave a stale
 * answer behind.
 * @module
 */

import type { KeyWatchHandlers } from "../store/key_watch.ts";
import type { Database } from "../store/types.ts";
import type { Logger } from "../log/mod.ts";

/** Answers kept at most; beyond it the cache starts again (ports churn). */
const MAX_CACHED = 65_536;

/** Options of {@linkcode ApplPresence.lookup}. */
export interface LookupOptions {
  /** Ask Redis for every port and refresh the cache (reconcile). */
  fresh?: boolean;
}

/** APPL_DB port presence, cached while a keyspace watch is live. */
export class ApplPresence {
  /** Called with a port whose APPL_DB key was touched. */
  onChange: ((port: string) => void) | null = null;
  readonly #db: Database;
  readonly #prefix: string;
  readonly #cache = new Map<string, boolean>();
  #live = false;
  /** Bumped by every event and every change of liveness. */
  #epoch = 0;
  #asked = 0;

  /** Presence of `table` entries (e.g. `PORT_TABLE`) in APPL_DB. */
  constructor(appl: Database, table: string) {
    this.#db = appl;
    this.#prefix = table + appl.separator;
  }

  /** The key pattern to watch, e.g. `PORT_TABLE:*`. */
  get pattern(): string {
    return `${this.#prefix}*`;
  }

  /** True while answers come from the cache. */
  get live(): boolean {
    return this.#live;
  }

  /** Ports asked of Redis so far (EXISTS sent). */
  get asked(): number {
    return this.#asked;
  }

  /** The handlers to give a key watch of {@linkcode ApplPresence.pattern}. */
  readonly handlers: KeyWatchHandlers = {
    onEvent: (key) => {
      if (!key.startsWith(this.#prefix)) return;
      const port = key.slice(this.#prefix.length);
      this.#epoch++;
      this.#cache.delete(port);
      this.onChange?.(port);
    },
    onLive: (live) => {
      this.#epoch++;
      this.#cache.clear();
      this.#live = live;
    },
  };

  /**
   * Follows the table's keys through the database's keyspace watch, where
   * it has one; says in one line when it cannot (then every lookup asks
   * Redis).
   */
  async follow(log: Logger): Promise<void> {
    if (this.#db.watch === undefined) return;
    const pattern = this.pattern;
    const watch = await this.#db.watch({ pattern, handlers: this.handlers });
    if (watch.unavailable === null) {
      log.info(`APPL_DB ${pattern} followed through keyspace events`);
      return;
    }
    log.notice(
      `APPL_DB ${pattern} not followed: ${watch.unavailable}; APPL_DB is asked before every write (one more round trip)`,
    );
  }

  /** The ports of `ports` that are in APPL_DB. */
  async lookup(
    ports: Iterable<string>,
    options: LookupOptions = {},
  ): Promise<Set<string>> {
    const present = new Set<string>();
    const unknown: string[] = [];
    const useCache = this.#live && options.fresh !== true;
    for (const port of ports) {
      const known = useCache ? this.#cache.get(port) : undefined;
      if (known === undefined) unknown.push(port);
      else if (known) present.add(port);
    }
    if (unknown.length === 0) return present;
    const epoch = this.#epoch;
    this.#asked += unknown.length;
    const replies = await this.#db.batch(
      unknown.map((port) => ({ op: "exists", key: this.#prefix + port })),
    );
    const keep = this.#live && epoch === this.#epoch;
    if (keep && this.#cache.size + unknown.length > MAX_CACHED) {
      this.#cache.clear();
    }
    unknown.forEach((port, index) => {
      const found = replies[index] === true;
      if (found) present.add(port);
      if (keep) this.#cache.set(port, found);
    });
    return present;
  }
}
