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
  usleep: { parameters: ["u32"], result: "i32" },
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
 * ```ts
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
 * ```ts
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
 * ```ts
 * import { checkResult, libc } from "./libc.ts";
 * const path = new TextEncoder().encode("/etc/hostname\0");
 * const fd = checkResult("open", libc().open(path, 0));
 * ```
 */
export function checkResult(call: string, result: number | bigint): number {
  const value = Number(result);
  if (value < 0) throw new SyscallError(call, errno());
  return value;
}

const check = checkResult;

/**
 * Closes a file descriptor.
 *
 * @example
 * ```ts
 * const fd = openPath("/etc/hostname");
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
 * ```ts
 * import { POLLIN } from "./constants.ts";
 * declare const fd: number; // e.g. a netlink socket
 * const revents = await poll(fd, { timeoutMs: 100 });
 * if (revents & POLLIN) console.log("readable");
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
 * Sleeps the calling (main) thread for `us` microseconds: the event loop
 * stops meanwhile, so keep it short. Timers cannot wait less than about a
 * millisecond; this can (e.g. to let a burst of datagrams gather).
 *
 * @example
 * ```ts
 * sleepMicroseconds(200);
 * ```
 */
export function sleepMicroseconds(us: number): void {
  libc().usleep(us);
}

/**
 * Moves the calling thread into the namespace `fd` refers to.
 *
 * @example
 * ```ts
 * import { CLONE_NEWNET } from "./constants.ts";
 * const fd = openPath("/run/netns/asic0");
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
 * ```ts
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
