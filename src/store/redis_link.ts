/**
 * `RedisLink`: one database's node-redis client, opened, watched and opened
 * again. Every connect attempt and every wave of requests has a deadline
 * (`commandTimeoutMs`): a Redis that accepts connections but never answers
 * (stopped, hung) makes the link drop the socket and open a new one with
 * backoff, instead of waiting forever. `RedisConnection` keeps the request
 * queue on top of it.
 *
 * Why not node-redis's own options: `socket.connectTimeout` only bounds the
 * socket connect (a stopped Redis still accepts, from the kernel's listen
 * backlog), so it is set but cannot catch a silent handshake;
 * `socket.socketTimeout` is an idle timer that also drops a healthy idle
 * connection (unless `pingInterval` keeps it busy) and is reset by every
 * write; a command's `timeout` arms one `AbortSignal` timer per command and
 * leaves the silent socket in place. node-redis's reconnect loop sleeps in a
 * timer nobody can cancel, which would outlive `close` or an abort. So each
 * attempt is a fresh client with `reconnectStrategy` returning false, and
 * the link runs the loop, the deadlines and the backoff itself: one timer
 * per attempt, and one watchdog timer per link re-armed at most once per
 * timeout period however many waves go out.
 * @module
 */

import { createClient } from "@redis/client";
import { StoreError } from "./types.ts";

type RedisClient = ReturnType<typeof createClient>;

/** What the link hands out of a ready client: sending commands. */
export interface CommandSender {
  /** Sends one command; resolves with its reply, rejects with its error. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** Log levels used by the store. */
export type StoreLogLevel = "debug" | "info" | "warn";

/** Receives the store's log lines. */
export type StoreLogger = (level: StoreLogLevel, message: string) => void;

/** How `RedisLink` reaches its database and how it behaves. */
export interface RedisLinkOptions {
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
  /** Reconnect backoff: first delay and ceiling, in ms (jittered). */
  backoff: { initialMs: number; maxMs: number };
  /** Keep retrying the first connect instead of failing. */
  retryInitialConnect: boolean;
  /** Deadline of a connect attempt and of a wave's replies, in ms. */
  commandTimeoutMs: number;
  /** Log sink. */
  onLog: StoreLogger;
  /** Called when a client is ready; `first` for the initial connect. */
  onUp(first: boolean): void;
  /** Called when the link is down and will not come back (stopping). */
  onGone(): void;
}

interface Failure {
  text: string;
  cause?: unknown;
}

/** One try at opening a client. */
interface Attempt {
  readonly client: RedisClient;
  /** node-redis said `connect`: the socket is up, the handshake under way. */
  socketOpen: boolean;
  /** Given up on by the link: its errors are not reported. */
  abandoned: boolean;
  finish(failure: Failure | null): void;
}

/** A node-redis client that is reopened when it fails or falls silent. */
export class RedisLink {
  /** `unix:/path` or `tcp:host:port`. */
  readonly endpoint: string;
  /** `redis NAME at ENDPOINT`, the start of every message. */
  readonly label: string;
  readonly #options: RedisLinkOptions;
  /** What a timeout reports: `no reply in N ms`. */
  readonly #silence: string;
  #client: RedisClient | null = null;
  #attempt: Attempt | null = null;
  #connecting = false;
  #everReady = false;
  #stopping = false;
  #stopReason: string | null = null;
  #since = 0;
  #watchdog: ReturnType<typeof setTimeout> | undefined = undefined;
  #wake: (() => void) | null = null;
  #lastError = "";
  #lastWaitLog = -Infinity;

  /** Prepares the link; `open` connects. */
  constructor(options: RedisLinkOptions) {
    this.#options = options;
    this.endpoint = options.socketPath !== null
      ? `unix:${options.socketPath}`
      : `tcp:${options.host}:${options.port}`;
    this.label = `redis ${options.name} at ${this.endpoint}`;
    this.#silence = `no reply in ${options.commandTimeoutMs} ms`;
  }

  /** The ready client, or null while (re)connecting or closed. */
  get client(): CommandSender | null {
    return this.#client?.isReady ? this.#client : null;
  }

  /** Whether a client is ready or being opened. */
  get active(): boolean {
    return this.#client !== null || this.#connecting;
  }

  /**
   * The initial connect. Rejects with one `StoreError` line: `connect
   * failed: <why>` (a silent server: `no reply in <timeout> ms`), or
   * `connect aborted` when `signal` aborts first. With
   * `retryInitialConnect` it retries until it succeeds or is aborted.
   */
  async open(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new StoreError(`${this.label}: connect aborted`);
    const abort = (): void => this.destroy("connect aborted");
    signal?.addEventListener("abort", abort, { once: true });
    try {
      const failure = await this.#run(true);
      if (failure === null) return;
      if (this.#stopReason !== null) {
        throw new StoreError(`${this.label}: ${this.#stopReason}`);
      }
      throw new StoreError(`${this.label}: connect failed: ${failure.text}`, {
        cause: failure.cause,
      });
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }

  /**
   * Watches a wave's replies: if `replies` has not settled within the
   * timeout, the client is destroyed (its commands reject) and reopened.
   * Waves must not overlap.
   */
  async watch<T>(replies: Promise<T>): Promise<T> {
    const client = this.#client;
    this.#since = performance.now();
    this.#watchdog ??= setTimeout(this.#check, this.#options.commandTimeoutMs);
    try {
      return await replies;
    } finally {
      this.#since = 0;
      // Answered on the same socket: whatever went wrong before is over.
      if (this.#client === client && client?.isReady) this.#lastError = "";
    }
  }

  /** No new attempts from now on; a ready client or an attempt carries on. */
  stopRetrying(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  /** Stops for good: abandons any attempt, destroys the client, no timer left. */
  destroy(reason: string): void {
    this.#stopping = true;
    this.#stopReason ??= reason;
    this.#wake?.();
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    if (this.#attempt !== null) this.#abandon(this.#attempt, { text: reason });
    if (this.#client !== null) discard(this.#client);
    this.#client = null;
  }

  /** Opens a client, retrying with backoff unless told not to. */
  async #run(initial: boolean): Promise<Failure | null> {
    this.#connecting = true;
    let failure: Failure | null = { text: this.#stopReason ?? "stopped" };
    for (let retries = 0; !this.#stopping; retries++) {
      failure = await this.#attemptOnce();
      if (failure === null || this.#stopping) break;
      if (initial && !this.#options.retryInitialConnect) break;
      this.#noteRetry(initial, failure.text);
      await this.#pause(this.#nextDelay(retries));
    }
    this.#connecting = false;
    if (failure === null) {
      // A server that answers handshakes but not requests (e.g. CLIENT
      // PAUSE WRITE) times out again: say so once, until a wave gets through.
      if (this.#lastError !== this.#silence) this.#lastError = "";
      this.#everReady = true;
      this.#options.onUp(initial);
    } else if (this.#stopping) {
      this.#options.onGone();
    }
    return failure;
  }

  #attemptOnce(): Promise<Failure | null> {
    const timeoutMs = this.#options.commandTimeoutMs;
    return new Promise((resolve) => {
      const client = this.#createClient();
      const attempt: Attempt = {
        client,
        socketOpen: false,
        abandoned: false,
        finish: (failure) => {
          if (this.#attempt !== attempt) return;
          this.#attempt = null;
          clearTimeout(timer);
          if (failure === null) this.#client = client;
          resolve(failure);
        },
      };
      this.#attempt = attempt;
      client.on("error", (error: Error) => {
        if (!attempt.abandoned) this.#onError(error);
      });
      client.on("connect", () => {
        attempt.socketOpen = true;
        // Abandoned before its socket was up: destroying it now leaves its
        // connect() pending forever, holding no socket and no timer.
        if (attempt.abandoned) discard(client);
      });
      const timer = setTimeout(
        () => this.#abandon(attempt, { text: this.#silence }),
        timeoutMs,
      );
      client.connect().then(() => {
        if (attempt.abandoned) {
          discard(client); // given up on; too late now
        } else if (client.isReady) {
          attempt.finish(null);
        } else {
          discard(client);
          attempt.finish({ text: "socket closed during the handshake" });
        }
      }, (error: unknown) => {
        // node-redis closed the client (its reconnectStrategy said no).
        attempt.finish({ text: errorText(error), cause: error });
      });
    });
  }

  #abandon(attempt: Attempt, failure: Failure): void {
    attempt.abandoned = true;
    // Before `connect` the socket is not node-redis's yet: the `connect`
    // listener destroys it once it is.
    if (attempt.socketOpen) discard(attempt.client);
    attempt.finish(failure);
  }

  #createClient(): RedisClient {
    const { socketPath, host, port, id, commandTimeoutMs } = this.#options;
    const place = socketPath !== null ? { path: socketPath } : { host, port };
    const client: RedisClient = createClient({
      database: id,
      disableOfflineQueue: true,
      maintNotifications: "disabled",
      socket: {
        ...place,
        connectTimeout: commandTimeoutMs,
        // The link reconnects; node-redis only reports a lost socket here.
        reconnectStrategy: () => {
          queueMicrotask(() => this.#lost(client));
          return false;
        },
      },
    });
    return client;
  }

  /** A ready client's socket failed: reopen (node-redis flushed its queue). */
  #lost(client: RedisClient): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#down();
  }

  #check = (): void => {
    this.#watchdog = undefined;
    if (this.#since === 0 || this.#client === null) return;
    const timeoutMs = this.#options.commandTimeoutMs;
    const left = this.#since + timeoutMs - performance.now();
    if (left > 0) {
      this.#watchdog = setTimeout(this.#check, left);
      return;
    }
    const client = this.#client;
    this.#client = null;
    const next = this.#stopping ? "" : "; reconnecting";
    this.#report("warn", this.#silence, next);
    discard(client);
    this.#down();
  };

  #down(): void {
    if (this.#stopping) this.#options.onGone();
    else void this.#run(false);
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wake = wake;
    });
  }

  #nextDelay(retries: number): number {
    const { initialMs, maxMs } = this.#options.backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(retries, 30));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** A failed attempt before a retry: reconnects warn (once per cause). */
  #noteRetry(initial: boolean, text: string): void {
    if (!initial) {
      this.#report("warn", text);
      return;
    }
    const now = performance.now();
    if (now - this.#lastWaitLog < this.#options.commandTimeoutMs) return;
    this.#lastWaitLog = now;
    this.#options.onLog(
      "info",
      `${this.label}: waiting for the server: ${text}`,
    );
  }

  #onError(error: Error): void {
    this.#report(this.#everReady ? "warn" : "debug", errorText(error));
  }

  /** Logs `text` unless it repeats the previous problem (a retry storm). */
  #report(level: StoreLogLevel, text: string, suffix = ""): void {
    if (text === this.#lastError) return;
    this.#lastError = text;
    this.#options.onLog(level, `${this.label}: ${text}${suffix}`);
  }
}

/** Destroys a client if it is still open (rejecting its commands). */
function discard(client: RedisClient): void {
  if (client.isOpen) client.destroy();
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
    if (error.message === "Connection timeout") return "connect timed out";
    return error.message.split("\n")[0];
  }
  return String(error);
}
