/**
 * One database's connection for `RedisStore`: a `RedisLink` (a node-redis
 * client, offline queue disabled, reopened when it fails or falls silent)
 * behind our own FIFO of unresolved requests, so that no request is lost or
 * reordered across a reconnect.
 *
 * Requests go out in waves: every queued request is pipelined in one write,
 * and the next wave leaves only when the previous one has settled. A request
 * whose commands failed because the connection dropped, or got no reply
 * within `commandTimeoutMs` (the link then drops the socket), stays queued
 * and is sent again, in submission order, once a client is ready again.
 * Delivery is therefore at-least-once: a request whose reply was lost may
 * run twice (every write portsyncd makes is idempotent).
 * @module
 */

import { ErrorReply } from "@redis/client";
import { StoreBacklogError, StoreError } from "./types.ts";
import {
  type CommandSender,
  errorText,
  RedisLink,
  type StoreLogger,
} from "./redis_link.ts";

export { errorText } from "./redis_link.ts";
export type { StoreLogger, StoreLogLevel } from "./redis_link.ts";

/** The outcome of one command: its reply, or the server's error reply. */
export type Outcome = { ok: true; value: unknown } | {
  ok: false;
  error: Error;
};

/** How `RedisConnection` reaches its database and how it behaves. */
export interface RedisConnectionOptions {
  /** Database name, for messages. */
  name: string;
  /** Redis database number (SELECT). */
  id: number;
  /** Unix socket path, preferred when set. */
  socketPath: string | null;
  /** TCP host, used without a socket path. */
  host: string;
  /** TCP port. */
  port: number;
  /** Bound on queued write commands; beyond it writes reject. */
  maxPending: number;
  /** Reconnect backoff: first delay and ceiling, in ms (jittered). */
  backoff: { initialMs: number; maxMs: number };
  /** Keep retrying the first connect instead of failing. */
  retryInitialConnect: boolean;
  /** A connect or a wave with no reply for this long drops the socket. */
  commandTimeoutMs: number;
  /** Called after a reconnect, once the queue was re-sent. */
  onReconnect: () => void;
  /** Log sink. */
  onLog: StoreLogger;
}

interface Pending {
  commands: string[][];
  writes: number;
  resolve(outcomes: Outcome[]): void;
  reject(error: Error): void;
}

/** Commands that only read: they wait in the queue but do not count. */
const READS = new Set(["HGETALL", "HGET", "EXISTS", "SCAN"]);

/** Most commands pipelined in one wave (a larger request still goes whole). */
const MAX_WAVE_COMMANDS = 10_000;

/** A database connection with a reconnect-safe request queue. */
export class RedisConnection {
  /** `unix:/path` or `tcp:host:port`. */
  readonly endpoint: string;
  readonly #options: RedisConnectionOptions;
  readonly #link: RedisLink;
  readonly #queue: Pending[] = [];
  readonly #scripts = new Map<string, string>();
  readonly #loaded = new Set<string>();
  #pendingCommands = 0;
  #pendingWrites = 0;
  #pumpScheduled = false;
  #pumping = false;
  #closing = false;
  #drained: (() => void) | null = null;

  /** Prepares the connection; call `connect` next. */
  constructor(options: RedisConnectionOptions) {
    this.#options = options;
    this.#link = new RedisLink({
      ...options,
      onUp: (first) => this.#onUp(first),
      onGone: () => this.#drained?.(),
    });
    this.endpoint = this.#link.endpoint;
  }

  /**
   * Connects; rejects with a one-line `StoreError` on failure (`connect
   * failed: no reply in N ms` from a server that accepts but never
   * answers), or `connect aborted` as soon as `signal` aborts.
   */
  connect(signal?: AbortSignal): Promise<void> {
    return this.#link.open(signal);
  }

  /** Remembers a script's source so NOSCRIPT can be repaired. */
  registerScript(sha: string, lua: string): void {
    this.#scripts.set(sha, lua);
  }

  /**
   * Queues commands to be pipelined together; resolves with one outcome
   * each once all have a reply from the server. Rejects with
   * `StoreBacklogError` when the write commands would exceed the bound
   * (reads are never refused).
   */
  request(commands: string[][]): Promise<Outcome[]> {
    if (this.#closing) {
      return Promise.reject(
        new StoreError(`${this.#link.label}: store is closed`),
      );
    }
    const { maxPending } = this.#options;
    const writes = commands.filter((args) => !READS.has(args[0])).length;
    if (writes > 0 && this.#pendingWrites + writes > maxPending) {
      return Promise.reject(
        new StoreBacklogError(
          `${this.#link.label}: ${this.#pendingWrites} writes pending, over the bound of ${maxPending} (maxPendingWrites)`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ commands, writes, resolve, reject });
      this.#pendingCommands += commands.length;
      this.#pendingWrites += writes;
      this.#schedulePump();
    });
  }

  /** Commands queued and not yet answered. */
  get pending(): number {
    return this.#pendingCommands;
  }

  /**
   * Waits up to `timeoutMs` for the queue to drain (no new reconnect is
   * tried meanwhile; the wait ends early when the link is gone), rejects
   * what is left, then destroys the client: no QUIT, nothing waits on a
   * silent server, no timer is left behind.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#link.stopRetrying();
    if (this.#queue.length > 0 && this.#link.active) {
      await this.#waitDrained(timeoutMs);
    }
    const left = this.#queue.splice(0);
    this.#pendingCommands = 0;
    this.#pendingWrites = 0;
    for (const entry of left) {
      entry.reject(
        new StoreError(
          `${this.#link.label}: closed before the server answered`,
        ),
      );
    }
    this.#link.destroy("store is closed");
  }

  #onUp(first: boolean): void {
    if (first) return;
    this.#options.onLog(
      "info",
      `${this.#link.label}: reconnected, re-sending ${this.#pendingCommands} commands`,
    );
    this.#schedulePump();
    this.#options.onReconnect();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      let client: CommandSender | null;
      while (this.#queue.length > 0 && (client = this.#link.client) !== null) {
        const wave = this.#takeWave();
        const sent = client;
        const outcomes = await this.#link.watch(
          Promise.all(wave.map((entry) => this.#send(sent, entry))),
        );
        const progressed = await this.#settle(client, wave, outcomes);
        if (!progressed && this.#link.client === client) {
          // Failed without a disconnect: do not spin.
          await delay(this.#options.backoff.initialMs);
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#queue.length === 0) this.#drained?.();
  }

  #takeWave(): Pending[] {
    const wave: Pending[] = [];
    let commands = 0;
    for (const entry of this.#queue) {
      if (
        wave.length > 0 && commands + entry.commands.length > MAX_WAVE_COMMANDS
      ) {
        break;
      }
      wave.push(entry);
      commands += entry.commands.length;
    }
    return wave;
  }

  #send(
    client: CommandSender,
    entry: Pending,
  ): Promise<PromiseSettledResult<unknown>[]> {
    return Promise.allSettled(
      entry.commands.map((args) => client.sendCommand(args)),
    );
  }

  /**
   * Settles the wave's entries in order up to the first one that must be
   * sent again (connection lost, or NOSCRIPT: then the scripts are loaded
   * and that entry and all after it are re-sent). Returns whether any
   * entry was settled or repaired.
   */
  async #settle(
    client: CommandSender,
    wave: Pending[],
    results: PromiseSettledResult<unknown>[][],
  ): Promise<boolean> {
    let done = 0;
    let repaired = false;
    for (let i = 0; i < wave.length; i++) {
      const replies = results[i];
      if (
        replies.some((r) => r.status === "rejected" && !isErrorReply(r.reason))
      ) {
        break;
      }
      const missing = this.#missingScripts(wave[i], replies);
      if (missing.length > 0) {
        repaired = await this.#loadScripts(client, missing);
        break;
      }
      done++;
    }
    const settled = this.#queue.splice(0, done);
    for (let i = 0; i < settled.length; i++) {
      this.#pendingCommands -= settled[i].commands.length;
      this.#pendingWrites -= settled[i].writes;
      settled[i].resolve(results[i].map(toOutcome));
    }
    return done > 0 || repaired;
  }

  #missingScripts(
    entry: Pending,
    replies: PromiseSettledResult<unknown>[],
  ): string[] {
    const missing: string[] = [];
    replies.forEach((reply, index) => {
      const args = entry.commands[index];
      if (
        reply.status === "rejected" && args[0] === "EVALSHA" &&
        errorText(reply.reason).startsWith("NOSCRIPT") &&
        this.#scripts.has(args[1])
      ) {
        missing.push(args[1]);
      }
    });
    return missing;
  }

  async #loadScripts(client: CommandSender, shas: string[]): Promise<boolean> {
    const unique = [...new Set(shas)];
    const reload = unique.some((sha) => this.#loaded.has(sha));
    this.#options.onLog(
      reload ? "info" : "debug",
      `${this.#link.label}: ${
        reload ? "NOSCRIPT, reloading" : "loading"
      } ${unique.length} script(s)`,
    );
    const loads = unique.map((sha) =>
      client.sendCommand(["SCRIPT", "LOAD", this.#scripts.get(sha)!])
    );
    const results = await this.#link.watch(Promise.allSettled(loads));
    unique.forEach((sha) => this.#loaded.add(sha));
    return results.every((result) => result.status === "fulfilled");
  }

  #waitDrained(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#drained = null;
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#drained = finish;
    });
  }
}

function toOutcome(result: PromiseSettledResult<unknown>): Outcome {
  return result.status === "fulfilled"
    ? { ok: true, value: result.value }
    : { ok: false, error: result.reason as Error };
}

function isErrorReply(error: unknown): boolean {
  return error instanceof ErrorReply;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
