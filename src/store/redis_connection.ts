/**
 * One database's connection for `RedisStore`: a node-redis client (offline
 * queue disabled) behind our own FIFO of unresolved requests, so that no
 * request is lost or reordered across a reconnect.
 *
 * Requests go out in waves: every queued request is pipelined in one write,
 * and the next wave leaves only when the previous one has settled. A request
 * whose commands failed because the connection dropped stays queued and is
 * sent again, in submission order, once the client is ready again. Delivery
 * is therefore at-least-once: a request whose reply was lost may run twice
 * (every write portsyncd makes is idempotent).
 * @module
 */

import { createClient, ErrorReply } from "redis";
import { StoreBacklogError, StoreError } from "./types.ts";

/** The outcome of one command: its reply, or the server's error reply. */
export type Outcome = { ok: true; value: unknown } | {
  ok: false;
  error: Error;
};

/** Log levels used by the store. */
export type StoreLogLevel = "debug" | "info" | "warn";

/** Receives the store's log lines. */
export type StoreLogger = (level: StoreLogLevel, message: string) => void;

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
  readonly #client: ReturnType<typeof createClient>;
  readonly #queue: Pending[] = [];
  readonly #scripts = new Map<string, string>();
  readonly #loaded = new Set<string>();
  #pendingCommands = 0;
  #pendingWrites = 0;
  #pumpScheduled = false;
  #pumping = false;
  #everReady = false;
  #closing = false;
  #lastError = "";
  #drained: (() => void) | null = null;

  /** Creates the client; call `connect` next. */
  constructor(options: RedisConnectionOptions) {
    this.#options = options;
    this.endpoint = options.socketPath !== null
      ? `unix:${options.socketPath}`
      : `tcp:${options.host}:${options.port}`;
    const socket = options.socketPath !== null
      ? { path: options.socketPath }
      : { host: options.host, port: options.port };
    this.#client = createClient({
      database: options.id,
      disableOfflineQueue: true,
      socket: {
        ...socket,
        reconnectStrategy: (retries: number) => this.#nextDelay(retries),
      },
    });
    this.#client.on("error", (error: Error) => this.#onError(error));
    this.#client.on("ready", () => this.#onReady());
  }

  /** Connects; rejects with a one-line `StoreError` on failure. */
  async connect(): Promise<void> {
    try {
      await this.#client.connect();
    } catch (error) {
      throw new StoreError(
        `${this.#describe()}: connect failed: ${errorText(error)}`,
        { cause: error },
      );
    }
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
        new StoreError(`${this.#describe()}: store is closed`),
      );
    }
    const { maxPending } = this.#options;
    const writes = commands.filter((args) => !READS.has(args[0])).length;
    if (writes > 0 && this.#pendingWrites + writes > maxPending) {
      return Promise.reject(
        new StoreBacklogError(
          `${this.#describe()}: ${this.#pendingWrites} writes pending, over the bound of ${maxPending} (maxPendingWrites)`,
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
   * Waits up to `timeoutMs` for the queue to drain, rejects what is left,
   * then closes the client.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    if (this.#queue.length > 0) await this.#waitDrained(timeoutMs);
    const left = this.#queue.splice(0);
    this.#pendingCommands = 0;
    this.#pendingWrites = 0;
    for (const entry of left) {
      entry.reject(
        new StoreError(
          `${this.#describe()}: closed before the server answered`,
        ),
      );
    }
    if (!this.#client.isOpen) return;
    if (this.#client.isReady && left.length === 0) {
      await this.#client.close();
    } else {
      this.#client.destroy();
    }
  }

  #describe(): string {
    return `redis ${this.#options.name} at ${this.endpoint}`;
  }

  #nextDelay(retries: number): number | false {
    if (this.#closing) return false;
    if (!this.#everReady && !this.#options.retryInitialConnect) return false;
    const { initialMs, maxMs } = this.#options.backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(retries, 30));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  #onError(error: Error): void {
    const text = errorText(error);
    if (text === this.#lastError) return;
    this.#lastError = text;
    const level = this.#everReady ? "warn" : "debug";
    this.#options.onLog(level, `${this.#describe()}: ${text}`);
  }

  #onReady(): void {
    this.#lastError = "";
    if (!this.#everReady) {
      this.#everReady = true;
      return;
    }
    this.#options.onLog(
      "info",
      `${this.#describe()}: reconnected, re-sending ${this.#pendingCommands} commands`,
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
      while (this.#queue.length > 0 && this.#client.isReady) {
        const epoch = this.#client.socketEpoch;
        const wave = this.#takeWave();
        const outcomes = await Promise.all(
          wave.map((entry) => this.#send(entry)),
        );
        const progressed = await this.#settle(wave, outcomes);
        const sameSocket = this.#client.socketEpoch === epoch;
        if (!progressed && sameSocket && this.#client.isReady) {
          // Failed without a disconnect (e.g. a timeout): do not spin.
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

  #send(entry: Pending): Promise<PromiseSettledResult<unknown>[]> {
    return Promise.allSettled(
      entry.commands.map((args) => this.#client.sendCommand(args)),
    );
  }

  /**
   * Settles the wave's entries in order up to the first one that must be
   * sent again (connection lost, or NOSCRIPT: then the scripts are loaded
   * and that entry and all after it are re-sent). Returns whether any
   * entry was settled or repaired.
   */
  async #settle(
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
        repaired = await this.#loadScripts(missing);
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

  async #loadScripts(shas: string[]): Promise<boolean> {
    const unique = [...new Set(shas)];
    const reload = unique.some((sha) => this.#loaded.has(sha));
    this.#options.onLog(
      reload ? "info" : "debug",
      `${this.#describe()}: ${
        reload ? "NOSCRIPT, reloading" : "loading"
      } ${unique.length} script(s)`,
    );
    const loads = unique.map((sha) =>
      this.#client.sendCommand(["SCRIPT", "LOAD", this.#scripts.get(sha)!])
    );
    const results = await Promise.allSettled(loads);
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

/** The most useful one-line text of an error (its code when it has one). */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return errorText(error.errors[0]);
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT") return "ENOENT (no such socket)";
    if (typeof code === "string" && code !== "") return code;
    return error.message.split("\n")[0];
  }
  return String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
