/**
 * The port sync engine: turns drained batches of link notices into STATE_DB
 * writes (one round trip per batch), publishes the port configuration at
 * start-up, reconciles STATE_DB with a full dump after an overflow or a
 * reconnect, and publishes PortInitDone once every configured port is up in
 * the kernel and in APPL_DB. Decisions come from the pure `decide.ts`.
 * @module
 */

import type { LinkEvent, NetlinkNotice } from "../netlink/types.ts";
import type { Database, Store } from "../store/types.ts";
import { ProducerStateTable } from "../store/producer_state_table.ts";
import type { Logger } from "../log/mod.ts";
import {
  coalesce,
  fieldsMatch,
  followRenames,
  planReconcile,
  planWrites,
  stateFields,
  type StateWrite,
} from "./decide.ts";
import { PORT_TABLE, publishPortConfig, readPortConfig } from "./startup.ts";
import { checkWarmStart, type WarmStart } from "../warm_restart/check.ts";
import { newCounters, type SyncCounters } from "./stats.ts";
import { DumpView, linkDifferences } from "./dump_view.ts";
import { StatePortTable } from "./state_table.ts";
import { Observers, type SyncObserver } from "./observer.ts";
import { ApplPresence } from "./appl_presence.ts";

/** What the engine needs from the kernel side: dump requests. */
export interface DumpRequester {
  /** Requests a full link dump; returns its sequence number. */
  requestDump(): number;
}

/** Options of {@linkcode PortSync}. */
export interface PortSyncOptions {
  /** Where dumps are requested (the link socket). */
  links: DumpRequester;
  /** Logger. */
  log: Logger;
  /** Most writes per round trip. */
  maxBatch?: number;
  /** Counters to count into (fresh ones by default). */
  counters?: SyncCounters;
}

/** The outcome of {@linkcode PortSync.start}. */
export interface StartInfo extends WarmStart {
  /** Ports configured in CONFIG_DB. */
  configured: number;
}

/** Keeps APPL_DB and STATE_DB true to the kernel's ports. */
export class PortSync {
  /** Counters, updated as things happen. */
  readonly counters: SyncCounters;
  /** Who is told what happens (see `observer.ts`). */
  readonly observers: Observers;
  readonly #presence: ApplPresence;
  readonly #config: Database;
  readonly #state: Database;
  readonly #table: StatePortTable;
  readonly #producer: ProducerStateTable;
  readonly #links: DumpRequester;
  readonly #log: Logger;
  /** The kernel's port links as last heard. */
  #kernel = new Map<string, LinkEvent>();
  /** ifindex → port name of the kernel's ports, to follow renames. */
  #names = new Map<number, string>();
  /** The running dump, or null. */
  #dump: DumpView | null = null;
  /** Ports with a link that are not in APPL_DB yet. */
  readonly #awaitingAppl = new Set<string>();
  /** Configured ports not yet seen; null once PortInitDone is out (or warm). */
  #pendingInit: Set<string> | null = null;
  /** Why another dump was asked for while one ran (made when it ends). */
  #dumpAgain: string | null = null;

  /** Creates the engine over a store with APPL_DB, CONFIG_DB and STATE_DB. */
  constructor(store: Store, options: PortSyncOptions) {
    const appl = store.db("APPL_DB");
    this.#config = store.db("CONFIG_DB");
    this.#state = store.db("STATE_DB");
    this.#producer = new ProducerStateTable(appl, PORT_TABLE);
    this.#presence = new ApplPresence(appl, PORT_TABLE);
    this.#presence.onChange = (port) => {
      if (this.#awaitingAppl.has(port)) {
        this.observers.emit("applChanged", port);
      }
    };
    this.#links = options.links;
    this.#log = options.log;
    this.counters = options.counters ?? newCounters();
    this.observers = new Observers(this.#log);
    this.#table = new StatePortTable(this.#state, {
      log: this.#log,
      counters: this.counters,
      maxBatch: options.maxBatch ?? 4096,
    });
  }

  /** Adds an observer of the engine; returns a function that removes it. */
  observe(observer: SyncObserver): () => void {
    return this.observers.add(observer);
  }

  /** The kernel's port links as the engine last heard them (read-only). */
  get links(): ReadonlyMap<string, LinkEvent> {
    return this.#kernel;
  }

  /** Ports with a link that wait for their APPL_DB entry. */
  get awaitingAppl(): number {
    return this.#awaitingAppl.size;
  }

  /** True once PortInitDone was published (never on a warm start). */
  get initDone(): boolean {
    return this.#pendingInit === null;
  }

  /** True while a requested dump has not completed. */
  get dumping(): boolean {
    return this.#dump !== null;
  }

  /**
   * Start-up after the link socket is open (subscribed): warm-start check,
   * dump request, then on a cold start the port configuration and
   * PortConfigDone to APPL_DB.
   */
  async start(): Promise<StartInfo> {
    await this.#presence.follow(this.#log);
    const warm = await checkWarmStart(this.#state);
    this.requestResync("start-up");
    const ports = await readPortConfig(this.#config, {
      onSkipped: (key, reason) =>
        this.#log.warn("CONFIG_DB port entry skipped", { key, reason }),
    });
    if (!warm.warm) {
      const skipped = await publishPortConfig(this.#producer, ports);
      for (const port of skipped) {
        this.#log.warn("CONFIG_DB port has no fields; not published", { port });
      }
      this.#pendingInit = new Set(ports.keys());
    }
    this.#log.info(warm.warm ? "warm start" : "cold start", {
      restore_count: warm.restoreCount,
      ports: ports.size,
    });
    this.observers.emit("started", { warm: warm.warm, configured: ports.size });
    await this.#maybePublishInitDone();
    return { ...warm, configured: ports.size };
  }

  /**
   * Requests a full dump, after which STATE_DB is reconciled with it. While
   * a dump runs, the request is remembered and made when it completes.
   */
  requestResync(reason: string): void {
    this.#table.written.clear();
    if (this.#dump !== null) {
      this.#dumpAgain = reason;
      return;
    }
    this.#dump = new DumpView(this.#links.requestDump());
    this.#log.info("requesting link dump", { reason, seq: this.#dump.seq });
    this.observers.emit("dumpRequested", reason);
  }

  /**
   * Applies one drained batch of notices, in arrival order. `receivedAt`
   * (`performance.now()` when the batch was read; default: now) is reported
   * to observers with the time the store acknowledged the batch's writes.
   */
  async handle(
    notices: NetlinkNotice[],
    options: { receivedAt?: number } = {},
  ): Promise<void> {
    const receivedAt = options.receivedAt ?? performance.now();
    const writesBefore = this.counters.stateWrites + this.counters.stateDeletes;
    const events: LinkEvent[] = [];
    let messages = 0;
    let dumpDone = false;
    let overflow = false;
    for (const notice of notices) {
      if (notice.kind === "link") {
        messages++;
        const dump = this.#dump;
        if (dump === null) {
          events.push(notice.event);
          continue;
        }
        dump.note(notice.event, notice.seq);
        // A dump's own replies are written by the reconcile at its end, in
        // one pass against what STATE_DB holds; live changes go out now.
        if (notice.seq !== dump.seq) events.push(notice.event);
      } else if (notice.kind === "dump_done") {
        if (notice.seq === this.#dump?.seq) dumpDone = true;
      } else if (notice.kind === "overflow") {
        overflow = true;
      } else {
        this.#netlinkError(notice);
      }
    }
    this.counters.batches++;
    this.counters.linkMessages += messages;
    if (events.length > 0) await this.#applyEvents(events);
    if (dumpDone) await this.#dumpCompleted();
    if (overflow) {
      this.counters.overflows++;
      this.#log.warn("netlink overflow: the kernel dropped link messages");
      this.observers.emit("overflow");
      this.requestResync("overflow");
    }
    await this.#maybePublishInitDone();
    if (this.observers.empty) return;
    this.observers.emit("batchHandled", {
      messages,
      receivedAt,
      ackedAt: performance.now(),
      writes: this.counters.stateWrites + this.counters.stateDeletes -
        writesBefore,
    });
  }

  /** Re-checks ports waiting for APPL_DB and writes those now present. */
  async recheckAppl(): Promise<void> {
    for (const port of this.#awaitingAppl) {
      if (!this.#kernel.has(port)) this.#awaitingAppl.delete(port);
    }
    const waiting = [...this.#awaitingAppl];
    if (waiting.length === 0) return;
    const changes = waiting.map((port) => ({
      port,
      deleted: false,
      link: this.#kernel.get(port)!,
    }));
    const inAppl = await this.#presence.lookup(waiting);
    const plan = planWrites(changes, { inAppl, written: this.#table.written });
    await this.#table.write(plan.writes);
    this.#afterPlan(plan.seen, plan.notInAppl, { quiet: true });
    await this.#maybePublishInitDone();
  }

  /**
   * Makes STATE_DB equal to the kernel's ports as last heard, reading every
   * port hash back (after a failed write, when the cache cannot be trusted).
   */
  async repair(): Promise<void> {
    await this.#reconcile("repair");
    await this.#maybePublishInitDone();
  }

  /**
   * The cheap periodic check: reads back the hashes portsyncd wrote (one
   * round trip) and rewrites those another client deleted or changed (a
   * DEL, an HSET of an owned field, a FLUSHDB).
   */
  async verify(): Promise<void> {
    const ports = [...this.#table.written.keys(), ...this.#table.notHash]
      .filter((port) => this.#kernel.has(port));
    if (ports.length === 0) return;
    const current = await this.#table.read(ports);
    const writes: StateWrite[] = [];
    for (const [port, fields] of current) {
      // A port read back here was written, or its key was not a hash and
      // now is (or is gone): either way it must hold the kernel's state.
      const wanted = stateFields(this.#kernel.get(port)!);
      if (!fieldsMatch(wanted, fields)) {
        writes.push({ kind: "hset", port, fields: wanted });
      }
    }
    if (writes.length === 0) return;
    this.counters.repairs += writes.length;
    this.observers.emit("stateRepaired", writes.length);
    this.#log.warn("STATE_DB changed behind portsyncd; rewritten", {
      ports: writes.map((write) => write.port).join(","),
    });
    await this.#table.write(writes);
  }

  async #applyEvents(received: LinkEvent[]): Promise<void> {
    const debug = this.#log.enabled("debug");
    const events = followRenames(received, this.#names);
    const changes = coalesce(events, {
      onIgnored: (event, reason) => {
        this.counters.ignoredMessages++;
        if (debug) {
          this.#log.debug("link ignored", { name: event.name, reason });
        }
      },
    });
    if (changes.size === 0) return;
    for (const change of changes.values()) {
      if (change.link === null) this.#kernel.delete(change.port);
      else this.#kernel.set(change.port, change.link);
      this.observers.emit("portChanged", change.port, change.link);
    }
    const inAppl = await this.#presence.lookup(changes.keys());
    const plan = planWrites(changes.values(), {
      inAppl,
      written: this.#table.written,
    });
    if (debug) {
      this.#log.debug("link batch", {
        messages: events.length,
        ports: changes.size,
        writes: plan.writes.length,
      });
    }
    await this.#table.write(plan.writes);
    for (const change of changes.values()) {
      if (change.link === null) this.#awaitingAppl.delete(change.port);
    }
    this.#afterPlan(plan.seen, plan.notInAppl, { quiet: false });
  }

  #afterPlan(
    seen: string[],
    notInAppl: string[],
    options: { quiet: boolean },
  ): void {
    for (const port of seen) {
      this.#pendingInit?.delete(port);
      this.#awaitingAppl.delete(port);
    }
    this.counters.notInAppl += notInAppl.length;
    for (const port of notInAppl) {
      if (!options.quiet && !this.#awaitingAppl.has(port)) {
        this.#log.info("port not in APPL_DB yet; STATE_DB not written", {
          port,
        });
      }
      this.#awaitingAppl.add(port);
    }
  }

  async #dumpCompleted(): Promise<void> {
    // What the dump (and the messages after its first reply) named is
    // exactly what the kernel has: ports missing from it were lost DELLINKs.
    const previous = this.#kernel;
    this.#kernel = this.#dump!.links;
    this.#dump = null;
    this.observers.emit("dumpCompleted", this.#kernel.size);
    for (const [port, link] of linkDifferences(previous, this.#kernel)) {
      this.observers.emit("portChanged", port, link);
    }
    this.#names = new Map(
      [...this.#kernel.values()].map((link) => [link.ifindex, link.name]),
    );
    for (const port of this.#awaitingAppl) {
      if (!this.#kernel.has(port)) this.#awaitingAppl.delete(port);
    }
    await this.#reconcile("dump");
    if (this.#dumpAgain !== null) {
      const reason = this.#dumpAgain;
      this.#dumpAgain = null;
      this.requestResync(reason);
    }
  }

  /** Reads STATE_DB's port hashes and writes what differs from the kernel. */
  async #reconcile(kind: "dump" | "repair"): Promise<void> {
    const written = this.#table.written;
    written.clear();
    const state = await this.#table.readAll();
    const inAppl = await this.#presence.lookup(this.#kernel.keys(), {
      fresh: true,
    });
    for (const [port, fields] of state) {
      if (fields.state !== undefined) written.set(port, fields);
    }
    for (const port of this.#kernel.keys()) {
      if (inAppl.has(port)) {
        this.#pendingInit?.delete(port);
        this.#awaitingAppl.delete(port);
      } else {
        this.#awaitingAppl.add(port);
      }
    }
    const writes = planReconcile({ links: this.#kernel, inAppl, state });
    await this.#table.write(writes);
    this.counters.reconciles++;
    const what = kind === "dump" ? "reconciled" : "repaired";
    this.#log.info(`${what} STATE_DB with the kernel`, {
      ports: this.#kernel.size,
      writes: writes.length,
    });
    this.observers.emit("reconciled", {
      kind,
      ports: this.#kernel.size,
      writes: writes.length,
    });
  }

  #netlinkError(notice: { seq: number; errno: number; name: string }): void {
    this.counters.netlinkErrors++;
    this.#log.warn("netlink error reply", {
      seq: notice.seq,
      errno: notice.name,
    });
    if (notice.seq === this.#dump?.seq) {
      this.#dump = null;
      this.requestResync(`dump failed with ${notice.name}`);
    }
  }

  async #maybePublishInitDone(): Promise<void> {
    if (this.#pendingInit === null || this.#pendingInit.size > 0) return;
    await this.#producer.set("PortInitDone", { lanes: "0" });
    this.#pendingInit = null;
    this.#log.info("every configured port seen; PortInitDone published");
    this.observers.emit("initDone");
  }
}
