/**
 * Test doubles for the Alertmanager sender's unit tests: a fake clock whose
 * timers run only when the test advances it, a scripted `fetch` that records
 * every POST, a log that keeps its lines, and alert/transition builders.
 * @module
 */

import {
  AlertmanagerSender,
  type AlertmanagerSenderOptions,
  type AlertmanagerTimers,
  type PostableAlert,
} from "../../src/alerting/alertmanager.ts";
import type {
  Alert,
  AlertState,
  AlertTransition,
} from "../../src/alerting/types.ts";
import { createLogger, type Logger } from "../../src/log/mod.ts";

/** 2026-03-01T12:00:00Z, the fake clock's start. */
export const T0 = Date.parse("2026-03-01T12:00:00.000Z");

interface FakeTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/** A clock and timers that move only when {@linkcode FakeClock.advance} says. */
export class FakeClock {
  /** Now, epoch ms. */
  time = T0;
  readonly #timers = new Map<number, FakeTimer>();
  #seq = 0;

  /** The clock function for the sender's `now` option. */
  readonly now = (): number => this.time;

  /** The timers for the sender's `timers` option. */
  readonly timers: AlertmanagerTimers = {
    setTimeout: (callback, ms) => {
      const id = ++this.#seq;
      this.#timers.set(id, { at: this.time + ms, seq: id, callback });
      return id;
    },
    clearTimeout: (id) => {
      this.#timers.delete(id as number);
    },
  };

  /** Delays (from now) of the timers armed, soonest first. */
  pending(): number[] {
    return [...this.#timers.values()].map((timer) => timer.at - this.time)
      .sort((a, b) => a - b);
  }

  /**
   * Moves the clock `ms` ahead, running each timer due on the way at its
   * time, in order, and awaiting `settle` after each (the sender's `idle`,
   * so the request a timer starts is answered before the next timer runs).
   */
  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const target = this.time + ms;
    while (true) {
      let next: FakeTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at > target) continue;
        if (
          next === undefined || timer.at < next.at ||
          (timer.at === next.at && timer.seq < next.seq)
        ) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.time = next.at;
      next.callback();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** One POST the fake Alertmanager received. */
export interface RecordedPost {
  /** Clock time when it was sent. */
  at: number;
  /** Request URL. */
  url: string;
  /** HTTP method. */
  method: string;
  /** Content-Type header. */
  contentType: string | null;
  /** The alerts it carried. */
  alerts: PostableAlert[];
}

/** How the fake answers one request: a status, a thrown error, or hang until aborted. */
export type FakeAnswer = number | Error | "hang";

/** A scripted Alertmanager behind an injected `fetch`. */
export class FakeAlertmanager {
  /** Every request, in order. */
  readonly posts: RecordedPost[] = [];
  /** Answers for the next requests, used first to last. */
  readonly script: FakeAnswer[] = [];
  /** The answer once the script is used up. */
  otherwise: FakeAnswer = 200;
  /** How each hanging request ended: its signal's reason's name. */
  readonly aborted: string[] = [];
  /** Body of non-2xx answers. */
  errorBody = "bad alert: start time must be before end time";

  /** Creates the fake reading the clock `now` for each request's time. */
  constructor(readonly now: () => number) {}

  /** The `fetch` to inject. */
  readonly fetch: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body)) as PostableAlert[];
    this.posts.push({
      at: this.now(),
      url: String(input),
      method: init?.method ?? "GET",
      contentType: new Headers(init?.headers).get("content-type"),
      alerts: body,
    });
    const answer = this.script.length > 0
      ? this.script.shift()!
      : this.otherwise;
    if (answer instanceof Error) throw answer;
    if (answer === "hang") {
      const signal = init?.signal;
      return await new Promise<Response>((_resolve, reject) => {
        signal?.addEventListener("abort", () => {
          this.aborted.push(String(signal.reason?.name));
          reject(signal.reason);
        });
      });
    }
    const text = answer >= 200 && answer < 300 ? "" : this.errorBody;
    return new Response(text, { status: answer });
  };

  /** The alerts of the last POST, or an empty list. */
  last(): PostableAlert[] {
    return this.posts.at(-1)?.alerts ?? [];
  }
}

/** A logger keeping its lines (`LEVEL message k=v`) in `lines`. */
export function memoryLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    log: createLogger("debug", { sink: (line) => lines.push(line) }),
    lines,
  };
}

/** An alert of rule `ruleId` (on `port` when given), firing since T0. */
export function makeAlert(
  ruleId: string,
  overrides: Partial<Alert> = {},
): Alert {
  const port = overrides.port ?? null;
  return {
    key: port === null ? ruleId : `${ruleId}|${port}`,
    ruleId,
    port,
    state: "firing",
    severity: "warning",
    value: 1,
    activeSince: T0,
    stateSince: T0,
    message: port === null ? `${ruleId} holds` : `Port ${port} is down`,
    ...overrides,
  };
}

/** A transition of `alert` from `from` to `to` at `at`. */
export function move(
  alert: Alert,
  states: { from: AlertState | null; to: AlertState | null },
  at: number,
): AlertTransition {
  return {
    alert: { ...alert, state: states.to ?? alert.state, stateSince: at },
    from: states.from,
    to: states.to,
    at,
  };
}

/** A sender, its fake clock and fake Alertmanager, its log, and `step`. */
export interface SenderRig {
  /** The fake clock. */
  clock: FakeClock;
  /** The fake Alertmanager (answers 200 unless scripted). */
  server: FakeAlertmanager;
  /** The sender's log lines. */
  lines: string[];
  /** The sender under test (close it in a `finally`). */
  sender: AlertmanagerSender;
  /** Advances the clock `ms`, letting each request started be answered. */
  step(ms: number): Promise<void>;
}

/**
 * A sender on a fake clock and a fake Alertmanager: instance `switch1`,
 * re-send every 60 s, batch 100 ms, backoff 1 s to 8 s, jitter random 0.5;
 * `options` override any of these.
 */
export function setupSender(
  options: Partial<AlertmanagerSenderOptions> = {},
): SenderRig {
  const clock = new FakeClock();
  const server = new FakeAlertmanager(clock.now);
  const { log, lines } = memoryLog();
  const sender = new AlertmanagerSender({
    url: "http://alertmanager.test:9093",
    instance: "switch1",
    log,
    resendMs: 60_000,
    batchMs: 100,
    backoff: { initialMs: 1_000, maxMs: 8_000 },
    fetch: server.fetch,
    now: clock.now,
    timers: clock.timers,
    random: () => 0.5,
    ...options,
  });
  const step = (ms: number) => clock.advance(ms, () => sender.idle());
  return { clock, server, lines, sender, step };
}
