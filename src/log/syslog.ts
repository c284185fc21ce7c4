/**
 * Syslog output: RFC 3164-style datagrams `<PRI>portsyncd[PID]: LEVEL text`
 * (facility daemon; the syslog daemon adds the time and host) sent over an
 * AF_UNIX datagram socket to `/dev/log` or a configured path, through the
 * libc FFI. A record that cannot be sent goes to stderr instead, with one
 * line per outage saying so.
 * @module
 */

import {
  AF_UNIX,
  close,
  MSG_DONTWAIT,
  sendto,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  sockaddrUn,
  socket,
  SUN_PATH_BYTES,
  SyscallError,
} from "../../ffi/mod.ts";
import { type LogLevel, syslogPriority } from "./levels.ts";
import {
  formatLine,
  type LogOutput,
  STDERR_OUTPUT,
  writeStderr,
} from "./mod.ts";

/** The default syslog socket. */
export const DEV_LOG = "/dev/log";

const encoder = new TextEncoder();

/** Raised when the syslog socket cannot be used; the message is one line. */
export class SyslogUnavailable extends Error {
  /** The error's name. */
  override name = "SyslogUnavailable";
}

/**
 * `struct sockaddr_un` for a filesystem path (an `@name` is an abstract
 * socket name).
 *
 * @example
 * ```ts
 * const address = sockaddrUnix("/dev/log");
 * address.byteLength; // 2 + 8 + 1
 * ```
 */
export function sockaddrUnix(path: string): Uint8Array<ArrayBuffer> {
  const address = sockaddrUn(path);
  if (address === null) {
    throw new SyslogUnavailable(
      `syslog socket path ${path} is longer than ${SUN_PATH_BYTES - 1} bytes`,
    );
  }
  return address;
}

/**
 * One syslog datagram's text: `<PRI>ident[pid]: LEVEL text`.
 *
 * @example
 * ```ts
 * formatSyslog("error", "boom", { ident: "portsyncd", pid: 42 }); // "<27>portsyncd[42]: ERROR boom"
 * ```
 */
export function formatSyslog(
  level: LogLevel,
  text: string,
  options: { ident: string; pid: number },
): string {
  return `<${syslogPriority(level)}>${options.ident}[${options.pid}]: ${
    formatLine(level, text)
  }`;
}

/**
 * The socket file's information; null when Deno may not read its path
 * (the daemon's narrow permissions): sending needs no read permission, and
 * a missing socket then shows at the first send.
 */
function statSocket(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return null;
    throw new SyslogUnavailable(
      `syslog socket ${path}: ${
        error instanceof Deno.errors.NotFound
          ? "does not exist"
          : (error as Error).message
      }`,
    );
  }
}

/** Options of {@linkcode openSyslog}. */
export interface SyslogOptions {
  /** Program name in each record. Default `portsyncd`. */
  ident?: string;
  /** Where a record goes when sending fails. Default stderr. */
  fallback?: LogOutput;
}

/**
 * Opens a datagram socket for `path` (it must exist and be a socket).
 * Raises {@linkcode SyslogUnavailable} (one line) when it cannot.
 *
 * @example
 * ```ts ignore
 * const log = createLogger("info", { output: openSyslog("/dev/log") });
 * ```
 */
export function openSyslog(
  path: string,
  options: SyslogOptions = {},
): LogOutput {
  const ident = options.ident ?? "portsyncd";
  const fallback = options.fallback ?? STDERR_OUTPUT;
  const address = sockaddrUnix(path);
  const info = path.startsWith("@") ? null : statSocket(path);
  if (info !== null && !info.isSocket) {
    throw new SyslogUnavailable(`syslog socket ${path}: not a socket`);
  }
  let fd: number;
  try {
    fd = socket({ domain: AF_UNIX, type: SOCK_DGRAM | SOCK_CLOEXEC });
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    throw new SyslogUnavailable(`syslog socket ${path}: ${error.message}`);
  }
  let failing = false;
  let closed = false;
  return {
    write(level, text) {
      if (closed) return fallback.write(level, text);
      const line = formatSyslog(level, text, { ident, pid: Deno.pid });
      try {
        sendto(fd, encoder.encode(line), { address, flags: MSG_DONTWAIT });
        failing = false;
      } catch (error) {
        if (!(error instanceof SyscallError)) throw error;
        if (!failing) {
          failing = true;
          writeStderr(
            `WARN syslog socket ${path}: ${error.message}; records go to stderr until it answers`,
          );
        }
        fallback.write(level, text);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      close(fd);
    },
  };
}

/**
 * The output `[log]` asks for: stderr, or syslog at `syslog_socket`; when
 * that socket is unusable, stderr with one line saying why.
 *
 * @example
 * ```ts ignore
 * log.setOutput(openLogOutput({ destination: "syslog", syslog_socket: "/dev/log" }));
 * ```
 */
export function openLogOutput(
  config: { destination: "stderr" | "syslog"; syslog_socket: string },
): LogOutput {
  if (config.destination === "stderr") return STDERR_OUTPUT;
  try {
    return openSyslog(config.syslog_socket);
  } catch (error) {
    if (!(error instanceof SyslogUnavailable)) throw error;
    writeStderr(`WARN ${error.message}; logging to stderr`);
    return STDERR_OUTPUT;
  }
}
