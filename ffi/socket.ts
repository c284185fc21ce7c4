/**
 * Socket calls through libc: `socket`, `bind`, `getsockname`, socket
 * options, `sendto`, `recv` and `recvfrom`. Each checks its result and raises
 * `SyscallError` with the errno on failure.
 * @module
 */

import { checkResult as check, errno, libc } from "./libc.ts";
import { AF_UNIX } from "./constants.ts";

/** Arguments of {@linkcode socket}. */
export interface SocketOptions {
  /** Address family, e.g. `AF_NETLINK` (16) or `AF_UNIX` (1). */
  domain: number;
  /** Socket type, optionally or-ed with `SOCK_NONBLOCK` / `SOCK_CLOEXEC`. */
  type: number;
  /** Protocol, e.g. `NETLINK_ROUTE` (0). Defaults to 0. */
  protocol?: number;
}

/**
 * Creates a socket and returns its file descriptor.
 *
 * @example
 * ```ts
 * import { AF_UNIX, SOCK_DGRAM } from "./constants.ts";
 * const fd = socket({ domain: AF_UNIX, type: SOCK_DGRAM });
 * ```
 */
export function socket(options: SocketOptions): number {
  const { domain, type, protocol = 0 } = options;
  return check("socket", libc().socket(domain, type, protocol));
}

/**
 * Binds `fd` to a raw `sockaddr` (e.g. from `sockaddrNetlink`).
 *
 * @example
 * ```ts
 * import { AF_NETLINK } from "./constants.ts";
 * declare const fd: number; // a netlink socket
 * const address = new Uint8Array(12); // struct sockaddr_nl, no groups
 * new DataView(address.buffer).setUint16(0, AF_NETLINK, true);
 * bind(fd, address);
 * ```
 */
export function bind(fd: number, address: Uint8Array<ArrayBuffer>): void {
  check("bind", libc().bind(fd, address, address.byteLength));
}

/**
 * Fills `address` with the socket's local address and returns its length.
 *
 * @example
 * ```ts
 * declare const fd: number; // a bound netlink socket
 * const address = new Uint8Array(12);
 * getsockname(fd, address);
 * ```
 */
export function getsockname(
  fd: number,
  address: Uint8Array<ArrayBuffer>,
): number {
  const length = new Uint32Array([address.byteLength]);
  check("getsockname", libc().getsockname(fd, address, length));
  return length[0];
}

/** Which socket option to read or write with the integer helpers. */
export interface SocketOption {
  /** `SOL_SOCKET` (1), `SOL_NETLINK` (270), ... */
  level: number;
  /** The option, e.g. `SO_RCVBUF` (8). */
  name: number;
}

/**
 * Sets an `int`-valued socket option.
 *
 * @example
 * ```ts
 * import { SO_RCVBUF, SOL_SOCKET } from "./constants.ts";
 * declare const fd: number;
 * setsockoptInt(fd, { level: SOL_SOCKET, name: SO_RCVBUF }, 1 << 20);
 * ```
 */
export function setsockoptInt(
  fd: number,
  option: SocketOption,
  value: number,
): void {
  const bytes = new Uint8Array(new Int32Array([value]).buffer);
  check(
    "setsockopt",
    libc().setsockopt(fd, option.level, option.name, bytes, 4),
  );
}

/** Reads a socket option into `value`; returns the length the kernel set. */
function getsockoptInto(
  fd: number,
  option: SocketOption,
  value: Uint8Array<ArrayBuffer>,
): number {
  const length = new Uint32Array([value.byteLength]);
  check(
    "getsockopt",
    libc().getsockopt(
      fd,
      option.level,
      option.name,
      value,
      new Uint8Array(length.buffer),
    ),
  );
  return length[0];
}

/**
 * Reads an `int`-valued socket option.
 *
 * @example
 * ```ts
 * import { SO_RCVBUF, SOL_SOCKET } from "./constants.ts";
 * declare const fd: number;
 * const size = getsockoptInt(fd, { level: SOL_SOCKET, name: SO_RCVBUF });
 * ```
 */
export function getsockoptInt(fd: number, option: SocketOption): number {
  const value = new Int32Array(1);
  getsockoptInto(fd, option, new Uint8Array(value.buffer));
  return value[0];
}

/**
 * `getsockopt` of an option whose value is an array of `u32` (e.g.
 * `SO_MEMINFO`), reading up to `count` of them; returns as many as the
 * kernel filled in.
 *
 * @example
 * ```ts
 * import { SO_MEMINFO, SOL_SOCKET } from "./constants.ts";
 * declare const fd: number;
 * const info = getsockoptU32s(fd, { level: SOL_SOCKET, name: SO_MEMINFO, count: 9 });
 * ```
 */
export function getsockoptU32s(
  fd: number,
  option: SocketOption & { count: number },
): Uint32Array {
  const value = new Uint32Array(option.count);
  const length = getsockoptInto(fd, option, new Uint8Array(value.buffer));
  return value.subarray(0, Math.floor(length / 4));
}

/** Options of {@linkcode sendto}. */
export interface SendOptions {
  /** `MSG_*` flags. Defaults to 0. */
  flags?: number;
  /** Destination `sockaddr`; omitted for connected sockets. */
  address?: Uint8Array<ArrayBuffer>;
}

/**
 * Sends one datagram and returns the number of bytes sent.
 *
 * @example
 * ```ts
 * declare const fd: number; // an AF_UNIX datagram socket
 * declare const address: Uint8Array<ArrayBuffer>; // sockaddr_un of $NOTIFY_SOCKET
 * sendto(fd, new TextEncoder().encode("READY=1"), { address });
 * ```
 */
export function sendto(
  fd: number,
  data: Uint8Array<ArrayBuffer>,
  options: SendOptions = {},
): number {
  const { flags = 0, address } = options;
  return check(
    "sendto",
    libc().sendto(
      fd,
      data,
      BigInt(data.byteLength),
      flags,
      address ?? null,
      address?.byteLength ?? 0,
    ),
  );
}

/** Options of {@linkcode recv}. */
export interface RecvOptions {
  /** `MSG_*` flags, e.g. `MSG_DONTWAIT`. Defaults to 0. */
  flags?: number;
}

/**
 * Receives one datagram into `buffer` and returns its length (with
 * `MSG_TRUNC`, the full length even when it did not fit). `EAGAIN` is raised
 * as a {@linkcode SyscallError} like any other failure.
 *
 * @example
 * ```ts
 * import { MSG_DONTWAIT } from "./constants.ts";
 * declare const fd: number;
 * const buffer = new Uint8Array(65536);
 * const length = recv(fd, buffer, { flags: MSG_DONTWAIT });
 * ```
 */
export function recv(
  fd: number,
  buffer: Uint8Array<ArrayBuffer>,
  options: RecvOptions = {},
): number {
  const { flags = 0 } = options;
  return check(
    "recv",
    libc().recv(fd, buffer, BigInt(buffer.byteLength), flags),
  );
}

/**
 * Like {@linkcode recv} but returns `-errno` instead of throwing: a drain
 * ends with `EAGAIN` every time, and building an `Error` (with its stack)
 * for that costs more than the receive itself.
 *
 * @example
 * ```ts
 * import { ERRNO } from "./errno.ts";
 * import { MSG_DONTWAIT } from "./constants.ts";
 * declare const fd: number;
 * const buffer = new Uint8Array(65536);
 * const length = tryRecv(fd, buffer, { flags: MSG_DONTWAIT });
 * if (length === -ERRNO.EAGAIN) console.log("nothing queued");
 * ```
 */
export function tryRecv(
  fd: number,
  buffer: Uint8Array<ArrayBuffer>,
  options: RecvOptions = {},
): number {
  const length = Number(
    libc().recv(fd, buffer, BigInt(buffer.byteLength), options.flags ?? 0),
  );
  return length < 0 ? -errno() : length;
}

/** Options of {@linkcode recvfrom}. */
export interface RecvFromOptions extends RecvOptions {
  /** Filled with the sender's `sockaddr` when given. */
  address?: Uint8Array<ArrayBuffer>;
}

/**
 * Like {@linkcode recv}, also reporting the sender's address.
 *
 * @example
 * ```ts
 * import { MSG_DONTWAIT } from "./constants.ts";
 * declare const fd: number;
 * const buffer = new Uint8Array(65536);
 * const from = new Uint8Array(12);
 * recvfrom(fd, buffer, { flags: MSG_DONTWAIT, address: from });
 * ```
 */
export function recvfrom(
  fd: number,
  buffer: Uint8Array<ArrayBuffer>,
  options: RecvFromOptions = {},
): number {
  const { flags = 0, address } = options;
  const length = new Uint32Array([address?.byteLength ?? 0]);
  return check(
    "recvfrom",
    libc().recvfrom(
      fd,
      buffer,
      BigInt(buffer.byteLength),
      flags,
      address ?? null,
      address ? new Uint8Array(length.buffer) : null,
    ),
  );
}

/** Bytes of `sun_path` in `struct sockaddr_un` (a path needs its NUL in them). */
export const SUN_PATH_BYTES = 108;

/**
 * The `struct sockaddr_un` for a filesystem path, or for an abstract name
 * written `@name` (sent with a leading NUL, the `@` dropped); exactly as long
 * as the address. Null when the name does not fit in `sun_path`.
 *
 * @example
 * ```ts
 * import { sockaddrUn } from "./socket.ts";
 * sockaddrUn("/dev/log")?.byteLength; // 2 + 8 + 1
 * ```
 */
export function sockaddrUn(path: string): Uint8Array<ArrayBuffer> | null {
  const abstract = path.startsWith("@");
  const name = new TextEncoder().encode(abstract ? path.slice(1) : path);
  if (name.byteLength + 1 > SUN_PATH_BYTES) return null;
  // A path ends with a NUL; an abstract name starts with one instead.
  const address = new Uint8Array(2 + name.byteLength + 1);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(name, abstract ? 3 : 2);
  return address;
}
