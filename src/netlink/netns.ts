/**
 * Network namespace files: where a configured name lives, whether a path
 * really is a network namespace (`NS_GET_NSTYPE`), and which namespace it is
 * (device and inode, the identity `ip netns identify` compares). The one
 * check shared by `--check-config` and the link socket.
 * @module
 */

import {
  CLONE_NEWNET,
  close,
  fdIdentity,
  type FileIdentity,
  ioctl,
  NS_GET_NSTYPE,
  openPath,
  pathIdentity,
  SyscallError,
} from "../../ffi/mod.ts";

export type { FileIdentity } from "../../ffi/mod.ts";

/** Where our own namespace is seen from the calling thread. */
export const OWN_NETNS_PATH = "/proc/thread-self/ns/net";

/**
 * The file of a network namespace given as a name under `/run/netns` or as
 * a path (anything containing `/`).
 *
 * @example
 * ```ts
 * import { netnsPath } from "./netns.ts";
 * netnsPath("asic0"); // "/run/netns/asic0"
 * ```
 */
export function netnsPath(netns: string): string {
  return netns.includes("/") ? netns : `/run/netns/${netns}`;
}

/**
 * A file that exists but is not a network namespace (a regular file, a
 * directory, another kind of namespace).
 *
 * @example
 * ```ts
 * import { NotNetnsError } from "./netns.ts";
 * new NotNetnsError("/etc/passwd").message; // "/etc/passwd is not a network namespace"
 * ```
 */
export class NotNetnsError extends Error {
  /** The path that was opened. */
  readonly path: string;

  /** Builds the one-line error for `path`. */
  constructor(path: string) {
    super(`${path} is not a network namespace`);
    this.name = "NotNetnsError";
    this.path = path;
  }
}

/** An open network namespace file (close `fd` when done). */
export interface OpenNetns {
  /** Descriptor of the namespace file (close-on-exec). */
  readonly fd: number;
  /** Which namespace it is. */
  readonly identity: FileIdentity;
}

/**
 * Opens `path` and checks that it is a network namespace; the caller closes
 * the returned fd. Raises `SyscallError` when it cannot be opened (code
 * `ENOENT` when it does not exist) and {@linkcode NotNetnsError} when it is
 * something else.
 *
 * @example
 * ```ts
 * import { openNetns } from "./netns.ts";
 * const { fd, identity } = openNetns("/run/netns/asic0");
 * ```
 */
export function openNetns(path: string): OpenNetns {
  const fd = openPath(path);
  try {
    let type: number;
    try {
      type = ioctl(fd, NS_GET_NSTYPE);
    } catch (error) {
      // ENOTTY (a plain file, a directory) and EINVAL: not a namespace.
      if (error instanceof SyscallError) throw new NotNetnsError(path);
      throw error;
    }
    if (type !== CLONE_NEWNET) throw new NotNetnsError(path);
    return { fd, identity: fdIdentity(fd) };
  } catch (error) {
    close(fd);
    throw error;
  }
}

/**
 * Why the configured namespace cannot be used, as one line, or null when
 * it can (`""`, our own namespace, always can). Used by `--check-config`, so
 * that it and a real start agree.
 *
 * @example
 * ```ts
 * import { netnsProblem } from "./netns.ts";
 * netnsProblem("/etc/passwd"); // "/etc/passwd is not a network namespace"
 * ```
 */
export function netnsProblem(netns: string): string | null {
  if (netns === "") return null;
  const path = netnsPath(netns);
  try {
    close(openNetns(path).fd);
    return null;
  } catch (error) {
    if (error instanceof NotNetnsError) return error.message;
    if (!(error instanceof SyscallError)) throw error;
    if (error.code === "ENOENT") return `no network namespace at ${path}`;
    return `cannot open ${path}: ${error.message}`;
  }
}

/**
 * The identity of the namespace at `path` now, or null when nothing is
 * there any more; cheap enough to poll (one `statx`).
 *
 * @example
 * ```ts
 * import { currentNetns } from "./netns.ts";
 * const now = currentNetns("/run/netns/asic0");
 * ```
 */
export function currentNetns(path: string): FileIdentity | null {
  try {
    return pathIdentity(path);
  } catch (error) {
    if (error instanceof SyscallError && error.code === "ENOENT") return null;
    throw error;
  }
}

/**
 * True when both identities name the same namespace.
 *
 * @example
 * ```ts
 * import { sameNetns } from "./netns.ts";
 * sameNetns({ dev: 4n, ino: 1n }, { dev: 4n, ino: 1n }); // true
 * ```
 */
export function sameNetns(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
