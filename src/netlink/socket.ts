/**
 * The rtnetlink link socket: NETLINK_ROUTE, subscribed to RTNLGRP_LINK,
 * non-blocking, read through a worker-thread `poll` so the event loop never
 * blocks. Needs `--allow-ffi` (and `--allow-read` is not needed: namespace
 * files are opened through libc).
 * @module
 */

import {
  AF_NETLINK,
  bind,
  CLONE_NEWNET,
  close,
  ERRNO,
  getsockname,
  getsockoptInt,
  getsockoptU32s,
  MSG_DONTWAIT,
  MSG_TRUNC,
  openPath,
  poll,
  sendto,
  setns,
  setsockoptInt,
  SK_MEMINFO_DROPS,
  SO_MEMINFO,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  socket,
  SOL_SOCKET,
  SyscallError,
  tryRecv,
} from "../../ffi/mod.ts";
import { BurstGate } from "./burst.ts";
import { encodeGetLinkDump } from "./link.ts";
import {
  type FileIdentity,
  netnsPath,
  openNetns,
  OWN_NETNS_PATH,
} from "./netns.ts";
import { decodeNotices, type DecodeStats } from "./notice.ts";
import type { NetlinkNotice } from "./types.ts";

export { netnsPath } from "./netns.ts";

/** `NETLINK_ROUTE`, the rtnetlink protocol. */
export const NETLINK_ROUTE = 0;
/** `RTMGRP_LINK`: the nl_groups bit of RTNLGRP_LINK. */
export const RTMGRP_LINK = 1;
/** Receive buffer asked for when {@linkcode LinkSocketOptions} gives none. */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;
/** Longest single wait of the worker-thread poll; bounds abort/close latency. */
export const POLL_INTERVAL_MS = 100;
/** Size of the receive buffer for one datagram (dumps use up to 32 KiB). */
const DATAGRAM_BYTES = 64 * 1024;
/** At most this many datagrams per `receive()`, so a storm cannot starve the loop. */
const MAX_DATAGRAMS_PER_RECEIVE = 4096;
/** Options of {@linkcode LinkSocket.open}. */
export interface LinkSocketOptions {
  /**
   * Kernel receive buffer to ask for, in bytes (default 8 MiB). Set with
   * SO_RCVBUFFORCE when permitted, else SO_RCVBUF (capped by
   * `net.core.rmem_max`). The kernel doubles the value for bookkeeping.
   */
  receiveBufferBytes?: number;
  /**
   * Network namespace to open the socket in: a name under `/run/netns` or a
   * path (anything containing `/`). The process stays in its own namespace.
   * A path that is not a network namespace raises `NotNetnsError`.
   */
  netns?: string;
  /**
   * In a burst (see `burst.ts`: 5,000 datagrams/s or more, 2 or more per
   * read), a receive that had to wait sleeps this many microseconds before
   * draining so the batch gathers more messages: fewer writes per message
   * under storms, at most this much added latency then. Default 0 (off).
   */
  coalesceUs?: number;
}

/** Options of {@linkcode LinkSocket.receive}. */
export interface ReceiveOptions {
  /** Aborting makes a pending receive resolve with `[]` (within ~100 ms). */
  signal?: AbortSignal;
}

/** One raw result of {@linkcode LinkSocket.receiveDatagrams}. */
export type Datagram =
  | { kind: "data"; bytes: Uint8Array }
  | { kind: "overflow" };

/**
 * A NETLINK_ROUTE socket bound to the link multicast group.
 *
 * @example
 * ```ts
 * import { LinkSocket } from "./socket.ts";
 * const socket = LinkSocket.open();
 * const seq = socket.requestDump();
 * for (const notice of await socket.receive()) console.log(notice);
 * socket.close();
 * ```
 */
export class LinkSocket {
  #fd: number;
  #portId: number;
  #netns: FileIdentity;
  #seq: number;
  #closed = false;
  #receiving = false;
  #receives = 0;
  /**
   * Set while the kernel may drop messages silently: from an ENOBUFS until
   * the queue is next empty (the socket stays "congested" in between, and
   * only the first drop is reported). Holds the drop counter at the ENOBUFS
   * and the receive that saw it.
   */
  #congestion: { drops: number; receive: number } | null = null;
  #overflows = 0;
  #stats: DecodeStats = { decodeErrors: 0, dumpInterrupted: 0 };
  #buffer = new Uint8Array(DATAGRAM_BYTES);
  readonly #burst: BurstGate;

  private constructor(
    fd: number,
    portId: number,
    options: { netns: FileIdentity; coalesceUs: number },
  ) {
    this.#fd = fd;
    this.#portId = portId;
    this.#netns = options.netns;
    this.#burst = new BurstGate(options.coalesceUs);
    this.#seq = Math.floor(Date.now() / 1000) >>> 0 || 1;
  }

  /**
   * Opens and binds the socket (in `options.netns` when given; the calling
   * thread is moved there only for the duration of the call and always moved
   * back, even on error). The namespace file is opened once: the one checked
   * (`NS_GET_NSTYPE`) is the one entered and the one
   * {@linkcode LinkSocket.netns} names.
   */
  static open(options: LinkSocketOptions = {}): LinkSocket {
    const netns = options.netns;
    if (netns === undefined) {
      const own = openNetns(OWN_NETNS_PATH);
      try {
        return LinkSocket.#create(options, own.identity);
      } finally {
        close(own.fd);
      }
    }
    const original = openPath(OWN_NETNS_PATH);
    try {
      const target = openNetns(netnsPath(netns));
      try {
        setns(target.fd, CLONE_NEWNET);
        try {
          return LinkSocket.#create(options, target.identity);
        } finally {
          setns(original, CLONE_NEWNET);
        }
      } finally {
        close(target.fd);
      }
    } finally {
      close(original);
    }
  }

  static #create(
    options: LinkSocketOptions,
    netns: FileIdentity,
  ): LinkSocket {
    const fd = socket({
      domain: AF_NETLINK,
      type: SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
      protocol: NETLINK_ROUTE,
    });
    try {
      setReceiveBuffer(
        fd,
        options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
      );
      bind(fd, sockaddrNetlink(0, RTMGRP_LINK));
      const address = new Uint8Array(12);
      getsockname(fd, address);
      const portId = new DataView(address.buffer).getUint32(4, true);
      return new LinkSocket(fd, portId, {
        netns,
        coalesceUs: options.coalesceUs ?? 0,
      });
    } catch (error) {
      close(fd);
      throw error;
    }
  }

  /** Effective kernel receive buffer in bytes, as getsockopt(SO_RCVBUF) reports it. */
  get receiveBufferBytes(): number {
    this.#assertOpen();
    return getsockoptInt(this.#fd, { level: SOL_SOCKET, name: SO_RCVBUF });
  }

  /** The network namespace the socket lives in (device and inode of its file). */
  get netns(): FileIdentity {
    return this.#netns;
  }

  /** The netlink port id the kernel assigned to this socket. */
  get portId(): number {
    return this.#portId;
  }

  /** Messages skipped because they did not decode. */
  get decodeErrors(): number {
    return this.#stats.decodeErrors;
  }

  /** Dump replies seen with NLM_F_DUMP_INTR (state changed mid-dump). */
  get dumpInterrupted(): number {
    return this.#stats.dumpInterrupted;
  }

  /** How many times the kernel reported ENOBUFS (messages dropped). */
  get overflows(): number {
    return this.#overflows;
  }

  /** True once {@linkcode LinkSocket.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends RTM_GETLINK with NLM_F_REQUEST | NLM_F_DUMP and returns its
   * sequence number. Replies arrive through `receive()` as `link` notices with
   * that seq, then `dump_done`. Only one dump runs at a time per socket: a
   * second request before `dump_done` is answered with an `error` EBUSY.
   */
  requestDump(): number {
    this.#assertOpen();
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    const seq = this.#seq;
    sendto(this.#fd, encodeGetLinkDump(seq), {
      flags: MSG_DONTWAIT,
      address: sockaddrNetlink(0, 0),
    });
    return seq;
  }

  /**
   * Waits (off the event loop) until at least one datagram is readable, then
   * drains the socket without blocking and returns the decoded notices in
   * arrival order. ENOBUFS becomes an `overflow` notice. Resolves `[]` when
   * the signal aborts or the socket is closed. One receive at a time.
   */
  async receive(options: ReceiveOptions = {}): Promise<NetlinkNotice[]> {
    const notices: NetlinkNotice[] = [];
    await this.#receiveLoop(options, (datagram) => {
      if (datagram === null) {
        notices.push({ kind: "overflow" });
        return;
      }
      const decoded = decodeNotices(datagram, {
        portId: this.#portId,
        stats: this.#stats,
      });
      for (const notice of decoded) notices.push(notice);
    });
    return notices;
  }

  /**
   * Like {@linkcode LinkSocket.receive} but returns the raw datagrams
   * (copied), for capture tools and tests of the framing layer.
   */
  async receiveDatagrams(options: ReceiveOptions = {}): Promise<Datagram[]> {
    const datagrams: Datagram[] = [];
    await this.#receiveLoop(options, (datagram) => {
      datagrams.push(
        datagram === null
          ? { kind: "overflow" }
          : { kind: "data", bytes: datagram.slice() },
      );
    });
    return datagrams;
  }

  /**
   * Closes the socket. Idempotent. When a receive is pending, the descriptor
   * is released as soon as its poll returns (so the number cannot be reused
   * under it) and that receive resolves with what it has (usually `[]`).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#receiving) close(this.#fd);
  }

  async #receiveLoop(
    options: ReceiveOptions,
    onDatagram: (datagram: Uint8Array | null) => void,
  ): Promise<void> {
    if (this.#closed) return;
    if (this.#receiving) throw new Error("LinkSocket: receive already pending");
    this.#receiving = true;
    this.#receives++;
    try {
      let waited = false;
      while (!this.#closed && !options.signal?.aborted) {
        if (waited) this.#burst.gather();
        const count = this.#drain(onDatagram);
        if (count > 0) {
          this.#burst.count(count);
          return;
        }
        await poll(this.#fd, { timeoutMs: POLL_INTERVAL_MS });
        waited = true;
      }
    } finally {
      this.#receiving = false;
      if (this.#closed) close(this.#fd);
    }
  }

  /** Reads until EAGAIN; returns how many datagrams/overflows it reported. */
  #drain(onDatagram: (datagram: Uint8Array | null) => void): number {
    let count = 0;
    while (count < MAX_DATAGRAMS_PER_RECEIVE) {
      const length = tryRecv(this.#fd, this.#buffer, {
        flags: MSG_DONTWAIT | MSG_TRUNC,
      });
      if (length === -ERRNO.EAGAIN) {
        if (this.#silentDrops()) {
          this.#overflows++;
          onDatagram(null);
          count++;
        }
        break;
      }
      if (length === -ERRNO.EINTR) continue;
      if (length === -ERRNO.ENOBUFS) {
        this.#overflows++;
        this.#congestion ??= { drops: this.#drops(), receive: this.#receives };
        onDatagram(null);
        count++;
        continue;
      }
      if (length < 0) throw new SyscallError("recv", -length);
      count++;
      if (length > this.#buffer.length) {
        this.#stats.decodeErrors++;
        continue;
      }
      onDatagram(this.#buffer.subarray(0, length));
    }
    return count;
  }

  /**
   * Called with the queue empty (congestion over): true when messages were
   * dropped after an ENOBUFS that an earlier receive reported. Those may be
   * newer than a dump requested in between, so they count as an overflow
   * of their own (the engine then dumps again). Drops reported by this same
   * receive precede any dump it leads to and need nothing more.
   */
  #silentDrops(): boolean {
    const congestion = this.#congestion;
    if (congestion === null) return false;
    this.#congestion = null;
    return congestion.receive !== this.#receives &&
      this.#drops() > congestion.drops;
  }

  #drops(): number {
    const info = getsockoptU32s(this.#fd, {
      level: SOL_SOCKET,
      name: SO_MEMINFO,
      count: SK_MEMINFO_DROPS + 1,
    });
    return info[SK_MEMINFO_DROPS] ?? 0;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("LinkSocket is closed");
  }
}

function setReceiveBuffer(fd: number, bytes: number): void {
  try {
    setsockoptInt(fd, { level: SOL_SOCKET, name: SO_RCVBUFFORCE }, bytes);
  } catch (error) {
    if (!(error instanceof SyscallError) || error.code !== "EPERM") {
      throw error;
    }
    setsockoptInt(fd, { level: SOL_SOCKET, name: SO_RCVBUF }, bytes);
  }
}

function sockaddrNetlink(pid: number, groups: number): Uint8Array<ArrayBuffer> {
  const address = new Uint8Array(12);
  const view = new DataView(address.buffer);
  view.setUint16(0, AF_NETLINK, true);
  view.setUint32(4, pid, true);
  view.setUint32(8, groups, true);
  return address;
}
