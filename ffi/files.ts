/**
 * File calls through libc: `ioctl` and the identity (device and inode) of a
 * path or descriptor from `statx`, which is arch-independent and needs no
 * `--allow-read` (only `--allow-ffi`).
 * @module
 */

import { checkResult, libc } from "./libc.ts";
import { AT_EMPTY_PATH, AT_FDCWD, STATX_INO } from "./constants.ts";

/** Which file a path or descriptor is: `st_dev` and `st_ino` as `stat` reports them. */
export interface FileIdentity {
  /** `st_dev`: glibc's `makedev(major, minor)` of the filesystem's device. */
  readonly dev: bigint;
  /** `st_ino`: the inode number. */
  readonly ino: bigint;
}

/** Size of `struct statx` (fixed by the kernel ABI on every architecture). */
const STATX_BYTES = 256;
const STX_INO = 32;
const STX_DEV_MAJOR = 136;
const STX_DEV_MINOR = 140;

/**
 * Calls `ioctl(fd, request, arg)` and returns its non-negative result.
 *
 * @example
 * ```ts
 * import { ioctl } from "./files.ts";
 * import { NS_GET_NSTYPE } from "./constants.ts";
 * import { openPath } from "./libc.ts";
 * const fd = openPath("/proc/self/ns/net");
 * const type = ioctl(fd, NS_GET_NSTYPE); // CLONE_NEWNET
 * ```
 */
export function ioctl(fd: number, request: number, arg = 0n): number {
  return checkResult("ioctl", libc().ioctl(fd, BigInt(request), arg));
}

/**
 * glibc's `makedev`: the `st_dev` number `stat -c %d` prints for a device.
 *
 * @example
 * ```ts
 * import { makedev } from "./files.ts";
 * makedev(0, 4); // 4n
 * makedev(8, 1); // 2049n
 * ```
 */
export function makedev(major: number, minor: number): bigint {
  const high = BigInt(major >>> 0);
  const low = BigInt(minor >>> 0);
  return ((high & 0xfffff000n) << 32n) | ((high & 0xfffn) << 8n) |
    ((low & 0xffffff00n) << 12n) | (low & 0xffn);
}

function statxIdentity(
  call: string,
  dirfd: number,
  options: { path: string; flags: number },
): FileIdentity {
  const buffer = new Uint8Array(STATX_BYTES);
  const path = new TextEncoder().encode(`${options.path}\0`);
  checkResult(
    call,
    libc().statx(dirfd, path, options.flags, STATX_INO, buffer),
  );
  const view = new DataView(buffer.buffer);
  return {
    dev: makedev(
      view.getUint32(STX_DEV_MAJOR, true),
      view.getUint32(STX_DEV_MINOR, true),
    ),
    ino: view.getBigUint64(STX_INO, true),
  };
}

/**
 * The identity of the file `path` names, following symlinks (so
 * `/proc/self/ns/net` gives the namespace itself). A missing path raises a
 * `SyscallError` with code `ENOENT`.
 *
 * @example
 * ```ts
 * import { pathIdentity } from "./files.ts";
 * const { dev, ino } = pathIdentity("/run/netns/asic0");
 * ```
 */
export function pathIdentity(path: string): FileIdentity {
  return statxIdentity("statx", AT_FDCWD, { path, flags: 0 });
}

/**
 * The identity of the file an open descriptor refers to.
 *
 * @example
 * ```ts
 * import { fdIdentity } from "./files.ts";
 * import { openPath } from "./libc.ts";
 * const { ino } = fdIdentity(openPath("/proc/self/ns/net"));
 * ```
 */
export function fdIdentity(fd: number): FileIdentity {
  return statxIdentity("statx", fd, { path: "", flags: AT_EMPTY_PATH });
}
