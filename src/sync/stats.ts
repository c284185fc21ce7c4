/**
 * Counters of the sync loop, counted where things happen. The metrics and
 * health components read them; nothing here does I/O.
 * @module
 */

/** Monotonic counters since start. */
export interface SyncCounters {
  /** Link messages received (dump replies included). */
  linkMessages: number;
  /** Link messages ignored by the filters (not a port, team, DELLINK with master). */
  ignoredMessages: number;
  /** Drained batches processed. */
  batches: number;
  /** HSETs written to STATE_DB. */
  stateWrites: number;
  /** DELs written to STATE_DB. */
  stateDeletes: number;
  /** NEWLINKs of ports not (yet) in APPL_DB, so not written. */
  notInAppl: number;
  /** Netlink overflows (ENOBUFS) reported by the kernel. */
  overflows: number;
  /** Full dumps reconciled with STATE_DB (start-up, overflow, reconnect). */
  reconciles: number;
  /** Store reconnects seen. */
  reconnects: number;
  /** NLMSG_ERROR replies to our requests. */
  netlinkErrors: number;
  /** STATE_DB port hashes rewritten because another client changed them. */
  repairs: number;
}

/** Fresh counters, all zero. */
export function newCounters(): SyncCounters {
  return {
    linkMessages: 0,
    ignoredMessages: 0,
    batches: 0,
    stateWrites: 0,
    stateDeletes: 0,
    notInAppl: 0,
    overflows: 0,
    reconciles: 0,
    reconnects: 0,
    netlinkErrors: 0,
    repairs: 0,
  };
}
