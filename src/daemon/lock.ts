/**
 * One portsyncd per network namespace: an exclusive `flock` on a file named
 * after the namespace's identity (device and inode of its namespace file),
 * so two names for one namespace share a lock. The kernel releases the lock
 * when the process ends, however it ends (SIGKILL included), so a stale file
 * never blocks the next start.
 * @module
 */

import type { FileIdentity } from "../netlink/netns.ts";

/** A held namespace lock. */
export interface NamespaceLock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (closing the file); idempotent. */
  release(): void;
}

/** Options of {@linkcode lockNamespace}. */
export interface LockNamespaceOptions {
  /** Directory of the lock files (`[daemon] lock_dir`); created 0755 if missing. */
  dir: string;
  /** The namespace as configured, for the message (`""`: our own). */
  namespace: string;
}

/** Another process holds the namespace's lock. */
export class LockHeldError extends Error {
  /** The lock file. */
  readonly path: string;
  /** The pid written in it by its holder, or null when unreadable. */
  readonly pid: number | null;

  /** Creates the one-line error. */
  constructor(
    path: string,
    options: { pid: number | null; namespace: string },
  ) {
    const holder = options.pid === null ? "pid unknown" : `pid ${options.pid}`;
    super(
      `another portsyncd (${holder}) holds ${path} for network namespace ${
        describeNamespace(options.namespace)
      }`,
    );
    this.name = "LockHeldError";
    this.path = path;
    this.pid = options.pid;
  }
}

/** A lock file that cannot be created or opened (permissions, read-only `/run`). */
export class LockFileError extends Error {
  /** Creates the one-line error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LockFileError";
  }
}

function describeNamespace(namespace: string): string {
  return namespace === "" ? "(portsyncd's own)" : namespace;
}

/**
 * The lock file of a namespace: `DIR/netns-<st_dev>-<st_ino>.lock` (the
 * numbers `stat -L -c %d-%i` prints for the namespace file).
 *
 * @example
 * ```ts
 * import { lockFilePath } from "./lock.ts";
 * lockFilePath({ dev: 4n, ino: 4026531840n }, { dir: "/run/portsyncd" });
 * // "/run/portsyncd/netns-4-4026531840.lock"
 * ```
 */
export function lockFilePath(
  identity: FileIdentity,
  options: { dir: string },
): string {
  return `${options.dir}/netns-${identity.dev}-${identity.ino}.lock`;
}

function ensureDir(dir: string): void {
  try {
    Deno.statSync(dir);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  Deno.chmodSync(dir, 0o755);
}

function readPid(path: string): number | null {
  try {
    const text = Deno.readTextFileSync(path).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

function writePid(file: Deno.FsFile): void {
  const bytes = new TextEncoder().encode(`${Deno.pid}\n`);
  file.truncateSync(0);
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
}

function openLockFile(path: string, dir: string): Deno.FsFile {
  try {
    ensureDir(dir);
    // No truncate on open: the file may hold the current holder's pid.
    return Deno.openSync(path, {
      read: true,
      write: true,
      create: true,
      mode: 0o644,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new LockFileError(
      `cannot create lock file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** True while `path` still names the file `file` has open (not unlinked meanwhile). */
function stillAtPath(file: Deno.FsFile, path: string): boolean {
  try {
    const opened = file.statSync();
    const now = Deno.statSync(path);
    return opened.ino === now.ino && opened.dev === now.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Attempts before giving up on a lock file that keeps being replaced. */
const LOCK_ATTEMPTS = 5;

/**
 * Takes the namespace's lock without waiting and writes our pid into the
 * file. Throws {@linkcode LockHeldError} (naming the file and the holder's
 * pid) when another process holds it, {@linkcode LockFileError} when the
 * file cannot be created.
 *
 * A clean release unlinks the file (while still holding the lock), so lock
 * files do not pile up; a process that opened the old file meanwhile sees,
 * once it holds the lock, that the path names another file now, and starts
 * over. A SIGKILLed holder leaves its file, which the next one reuses.
 *
 * @example
 * ```ts
 * import { lockNamespace } from "./lock.ts";
 * import type { LinkSocket } from "../netlink/socket.ts";
 * declare const socket: LinkSocket; // opened in /run/netns/asic0
 * const lock = lockNamespace(socket.netns, { dir: "/run/portsyncd", namespace: "asic0" });
 * try {
 *   // run
 * } finally {
 *   lock.release();
 * }
 * ```
 */
export function lockNamespace(
  identity: FileIdentity,
  options: LockNamespaceOptions,
): NamespaceLock {
  const path = lockFilePath(identity, options);
  for (let attempt = 1;; attempt++) {
    const file = openLockFile(path, options.dir);
    try {
      if (!file.tryLockSync(true)) {
        throw new LockHeldError(path, {
          pid: readPid(path),
          namespace: options.namespace,
        });
      }
      if (!stillAtPath(file, path)) {
        if (attempt < LOCK_ATTEMPTS) {
          file.close();
          continue;
        }
        throw new LockFileError(
          `cannot take lock file ${path}: it keeps being replaced`,
        );
      }
      writePid(file);
    } catch (error) {
      file.close();
      throw error;
    }
    return heldLock(path, file);
  }
}

function heldLock(path: string, file: Deno.FsFile): NamespaceLock {
  let released = false;
  return {
    path,
    release(): void {
      if (released) return;
      released = true;
      try {
        Deno.removeSync(path);
      } catch {
        // Already gone, or not ours to remove: the lock still ends below.
      }
      file.close();
    },
  };
}
