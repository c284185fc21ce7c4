/**
 * Linux errno names and the typed error every failed libc call raises.
 * @module
 */

/** Linux (x86_64 and aarch64) errno numbers the daemon may meet, by name. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ENODATA: 61,
  EPROTO: 71,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

/** A name from {@linkcode ERRNO}. */
export type ErrnoName = keyof typeof ERRNO;

const NAMES: Map<number, string> = new Map(
  Object.entries(ERRNO).map(([name, value]) => [value, name]),
);

/**
 * The symbolic name of an errno value, or `E<number>` when it is not in the
 * table.
 *
 * @example
 * ```ts
 * import { errnoName } from "./errno.ts";
 * errnoName(105); // "ENOBUFS"
 * ```
 */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/**
 * A failed system call: which call, the errno and its name.
 *
 * @example
 * ```ts
 * import { SyscallError } from "./errno.ts";
 * const error = new SyscallError("recv", 11);
 * error.code; // "EAGAIN"
 * ```
 */
export class SyscallError extends Error {
  /** The libc function that failed, e.g. `recv`. */
  readonly call: string;
  /** The errno value (positive). */
  readonly errno: number;
  /** The errno name, e.g. `ENOBUFS`. */
  readonly code: string;

  /** Builds the error from the call name and the errno it left. */
  constructor(call: string, errno: number) {
    super(`${call} failed: ${errnoName(errno)} (errno ${errno})`);
    this.name = "SyscallError";
    this.call = call;
    this.errno = errno;
    this.code = errnoName(errno);
  }
}
