/**
 * Thin, typed bindings to the few `libc.so.6` calls portsyncd needs.
 *
 * The library is opened lazily on the first call, so modules that only import
 * these types (or never call them) need no `--allow-ffi`. Every wrapper checks
 * the return value and raises {@linkcode SyscallError} with the errno on
 * failure. Synchronous calls run on the calling (JS main) thread; only
 * {@linkcode poll} runs on a worker thread, so it never blocks the event loop.
 * @module
 */

import { SyscallError } from "./errno.ts";
import { O_CLOEXEC, O_RDONLY, POLLIN } from "./constants.ts";

/** The libc symbols portsyncd binds (`*_nonblocking` run on a worker thread). */
export const LIBC_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "isize",
  },
  close: { parameters: ["i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  poll_nonblocking: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  recv_nonblocking: {
    name: "recv",
    parameters: ["i32", "buffer", "usize", "i32"],
    result: "isize",
    nonblocking: true,
  },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "u64"], result: "i32" },
  statx: {
    parameters: ["i32", "buffer", "i32", "u32", "buffer"],
    result: "i32",
  },
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The raw symbol table of the opened library (for benches and tools). */
export type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | null = null;

/**
 * The raw libc symbols, opening `libc.so.6` on first use. Prefer the checked
 * wrappers below; this is for measurements that need the bare calls.
 *
 * @example
 * ```ts ignore
 * import { libc } from "./libc.ts";
 * libc().close(-1); // -1, errno EBADF
 * ```
 */
export function libc(): LibcSymbols {
  if (library === null) {
    library = Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  }
  return library.symbols;
}

/**
 * The calling thread's current `errno`. Only meaningful right after a
 * synchronous call failed (worker-thread calls leave it on another thread).
 *
 * @example
 * ```ts ignore
 * import { errno, libc } from "./libc.ts";
 * if (libc().close(-1) < 0) console.log(errno()); // 9
 * ```
 */
export function errno(): number {
  const location = libc().__errno_location();
  if (location === null) return 0;
  return new Deno.UnsafePointerView(location).getInt32();
}

/**
 * Returns a libc call's result as a number, or throws
 * {@linkcode SyscallError} with the current `errno` when it is negative.
 * For wrappers in other `ffi/` files.
 *
 * @example
 * ```ts ignore
 * import { checkResult, libc } from "./libc.ts";
 * const fd = checkResult("open", libc().open(path, 0));
 * ```
 */
export function checkResult(call: string, result: number | bigint): number {
  const value = Number(result);
  if (value < 0) throw new SyscallError(call, errno());
  return value;
}

const check = checkResult;

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
 * ```ts ignore
 * import { AF_UNIX, SOCK_DGRAM, socket } from "./libc.ts";
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
 * ```ts ignore
 * bind(fd, sockaddrNetlink({ groups: 1 }));
 * ```
 */
export function bind(fd: number, address: Uint8Array<ArrayBuffer>): void {
  check("bind", libc().bind(fd, address, address.byteLength));
}

/**
 * Fills `address` with the socket's local address and returns its length.
 *
 * @example
 * ```ts ignore
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
 * ```ts ignore
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
 * ```ts ignore
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
 * ```ts ignore
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
 * ```ts ignore
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
 * ```ts ignore
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

/** Options of {@linkcode recvfrom}. */
export interface RecvFromOptions extends RecvOptions {
  /** Filled with the sender's `sockaddr` when given. */
  address?: Uint8Array<ArrayBuffer>;
}

/**
 * Like {@linkcode recv}, also reporting the sender's address.
 *
 * @example
 * ```ts ignore
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

/**
 * Closes a file descriptor.
 *
 * @example
 * ```ts ignore
 * close(fd);
 * ```
 */
export function close(fd: number): void {
  check("close", libc().close(fd));
}

/** Options of {@linkcode poll}. */
export interface PollOptions {
  /** Events to wait for; defaults to `POLLIN`. */
  events?: number;
  /** Longest wait in milliseconds; defaults to 100. */
  timeoutMs?: number;
}

/**
 * Waits on a worker thread until `fd` has one of `events` or the timeout
 * passes, and returns the `revents` (0 on timeout). The event loop keeps
 * running meanwhile. Because errno stays on the worker thread, a failed poll
 * (e.g. `EINTR`) is reported as 0, like a timeout: callers simply poll again.
 *
 * @example
 * ```ts ignore
 * const revents = await poll(fd, { timeoutMs: 100 });
 * if (revents & POLLIN) drain();
 * ```
 */
export async function poll(
  fd: number,
  options: PollOptions = {},
): Promise<number> {
  const { events = POLLIN, timeoutMs = 100 } = options;
  const request = new DataView(new ArrayBuffer(8));
  request.setInt32(0, fd, true);
  request.setInt16(4, events, true);
  const bytes = new Uint8Array(request.buffer);
  const ready = await libc().poll_nonblocking(bytes, 1n, timeoutMs);
  if (ready <= 0) return 0;
  return request.getInt16(6, true) & 0xffff;
}

/**
 * Moves the calling thread into the namespace `fd` refers to.
 *
 * @example
 * ```ts ignore
 * setns(fd, CLONE_NEWNET);
 * ```
 */
export function setns(fd: number, nstype: number): void {
  check("setns", libc().setns(fd, nstype));
}

/**
 * Opens a path (read-only and close-on-exec by default) and returns the fd.
 *
 * @example
 * ```ts ignore
 * const fd = openPath("/proc/thread-self/ns/net");
 * ```
 */
export function openPath(
  path: string,
  options: { flags?: number } = {},
): number {
  const { flags = O_RDONLY | O_CLOEXEC } = options;
  const bytes = new TextEncoder().encode(`${path}\0`);
  return check("open", libc().open(bytes, flags));
}
