/**
 * Link changes made with netlink requests: RTM_SETLINK (MTU through
 * IFLA_MTU, admin state through ifi_flags/ifi_change) sent on a
 * NETLINK_ROUTE socket of our own, opened inside a named network namespace
 * through the project's libc bindings. One `sendto` per change, no `ip`
 * process: the kernel applies the change and multicasts its RTM_NEWLINK
 * before `sendto` returns, and queues the ACK we read right after.
 * @module
 */

import {
  AF_NETLINK,
  bind,
  CLONE_NEWNET,
  close,
  errnoName,
  MSG_DONTWAIT,
  openPath,
  recv,
  sendto,
  setns,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  socket,
  SyscallError,
} from "../../ffi/mod.ts";
import { AttributeEncoder } from "../../src/netlink/attributes.ts";
import {
  decodeErrorPayload,
  encodeMessage,
  iterateMessages,
  NLM_F_ACK,
  NLM_F_REQUEST,
  NLMSG_ERROR,
} from "../../src/netlink/message.ts";
import {
  IFF_UP,
  IFINFOMSG_LENGTH,
  IFLA_IFNAME,
  IFLA_MTU,
} from "../../src/netlink/link.ts";
import {
  netnsPath,
  openNetns,
  OWN_NETNS_PATH,
} from "../../src/netlink/netns.ts";

/** `RTM_SETLINK`: change an existing link's attributes. */
export const RTM_SETLINK = 19;
/** `NETLINK_ROUTE`, the rtnetlink protocol. */
const NETLINK_ROUTE = 0;

/** One change to one link, by name. */
export interface LinkChange {
  /** The link's name, e.g. `Ethernet0` (looked up by IFLA_IFNAME). */
  name: string;
  /** New MTU (IFLA_MTU). */
  mtu?: number;
  /** New admin state (IFF_UP in ifi_flags, with ifi_change = IFF_UP). */
  admin?: "up" | "down";
}

/**
 * Encodes the RTM_SETLINK request (NLM_F_REQUEST | NLM_F_ACK) for `change`:
 * a `struct ifinfomsg` with ifindex 0 (the kernel finds the link by
 * IFLA_IFNAME), then IFLA_IFNAME and, when given, IFLA_MTU.
 *
 * @example
 * ```ts
 * import { encodeSetLink } from "./link_request.ts";
 * const bytes = encodeSetLink({ name: "Ethernet0", mtu: 9100 }, 7);
 * bytes.length; // 16 + 16 + 16 + 8
 * ```
 */
export function encodeSetLink(
  change: LinkChange,
  seq: number,
): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(IFINFOMSG_LENGTH);
  const view = new DataView(header.buffer);
  // ifi_family AF_UNSPEC, ifi_type 0, ifi_index 0 (by name).
  if (change.admin !== undefined) {
    view.setUint32(8, change.admin === "up" ? IFF_UP : 0, true);
    view.setUint32(12, IFF_UP, true);
  }
  const attributes = new AttributeEncoder().string(IFLA_IFNAME, change.name);
  if (change.mtu !== undefined) attributes.u32(IFLA_MTU, change.mtu);
  const body = attributes.encode();
  const payload = new Uint8Array(IFINFOMSG_LENGTH + body.length);
  payload.set(header);
  payload.set(body, IFINFOMSG_LENGTH);
  return encodeMessage({
    type: RTM_SETLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq,
    payload,
  });
}

/** A refused link change: the kernel's errno for it. */
export class LinkRequestError extends Error {
  /** The errno name, e.g. `ENODEV`. */
  readonly code: string;

  /** Builds the one-line error for `change`. */
  constructor(change: LinkChange, errno: number) {
    const what = [
      change.mtu !== undefined ? `mtu ${change.mtu}` : "",
      change.admin ?? "",
    ].filter((part) => part !== "").join(" ");
    super(
      `RTM_SETLINK ${change.name} ${what}: the kernel refused it with ${
        errnoName(errno)
      }`,
    );
    this.name = "LinkRequestError";
    this.code = errnoName(errno);
  }
}

/**
 * A NETLINK_ROUTE request socket (bound to no multicast group) inside a
 * network namespace; `close()` it when done.
 *
 * @example
 * ```ts ignore
 * const requests = LinkRequestSocket.open({ netns: "psd-load-1" });
 * try {
 *   requests.change({ name: "Ethernet0", mtu: 9100 });
 * } finally {
 *   requests.close();
 * }
 * ```
 */
export class LinkRequestSocket {
  readonly #fd: number;
  readonly #buffer = new Uint8Array(8192);
  #seq = 0;
  #closed = false;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Opens the socket in `options.netns` (a name under `/run/netns` or a
   * path); the calling thread is moved there for the `socket` call only.
   */
  static open(options: { netns: string }): LinkRequestSocket {
    const original = openPath(OWN_NETNS_PATH);
    try {
      const target = openNetns(netnsPath(options.netns));
      try {
        setns(target.fd, CLONE_NEWNET);
        try {
          return LinkRequestSocket.#create();
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

  static #create(): LinkRequestSocket {
    const fd = socket({
      domain: AF_NETLINK,
      type: SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
      protocol: NETLINK_ROUTE,
    });
    try {
      const address = new Uint8Array(12);
      new DataView(address.buffer).setUint16(0, AF_NETLINK, true);
      bind(fd, address);
      return new LinkRequestSocket(fd);
    } catch (error) {
      close(fd);
      throw error;
    }
  }

  /**
   * Sends the request for `change` and returns its sequence number, without
   * reading the ACK (call {@linkcode LinkRequestSocket.ack} later, so the
   * read stays off the timed path).
   */
  send(change: LinkChange): number {
    if (this.#closed) throw new Error("LinkRequestSocket is closed");
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    const address = new Uint8Array(12);
    new DataView(address.buffer).setUint16(0, AF_NETLINK, true);
    sendto(this.#fd, encodeSetLink(change, this.#seq), {
      flags: MSG_DONTWAIT,
      address,
    });
    return this.#seq;
  }

  /**
   * Reads the ACK of request `seq` (already queued: the kernel answers
   * inside `sendto`); throws {@linkcode LinkRequestError} when the kernel
   * refused the change.
   */
  ack(seq: number, change: LinkChange): void {
    while (true) {
      let length: number;
      try {
        length = recv(this.#fd, this.#buffer, { flags: MSG_DONTWAIT });
      } catch (error) {
        if (error instanceof SyscallError && error.code === "EAGAIN") {
          throw new Error(
            `RTM_SETLINK ${change.name}: no ACK for request ${seq} was queued`,
          );
        }
        throw error;
      }
      for (const message of iterateMessages(this.#buffer.subarray(0, length))) {
        if (message.type !== NLMSG_ERROR || message.seq !== seq) continue;
        const { errno } = decodeErrorPayload(message.payload);
        if (errno !== 0) throw new LinkRequestError(change, errno);
        return;
      }
    }
  }

  /** Sends `change` and checks its ACK. */
  change(change: LinkChange): void {
    this.ack(this.send(change), change);
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd);
  }
}
