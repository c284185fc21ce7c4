/**
 * The `[metrics] listen` value: `HOST:PORT`, `[IPv6]:PORT`, or empty (off).
 * Pure; `--check-config` validates the same shape in `src/config/schema.ts`.
 * @module
 */

/** Raised when the metrics endpoint cannot listen; the message is one line. */
export class MetricsListenError extends Error {
  /** Creates the error (`metrics listen 127.0.0.1:9464: address in use`). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MetricsListenError";
  }
}

/** Where to listen. */
export interface ListenAddress {
  /** Host name or address, without IPv6 brackets. */
  hostname: string;
  /** TCP port, 1 to 65535. */
  port: number;
}

/**
 * Parses `HOST:PORT` (`[ADDR]:PORT` for IPv6); returns null for "" (off).
 * Throws `MetricsListenError` naming the value otherwise.
 *
 * @example
 * ```ts
 * import { parseListen } from "./listen.ts";
 * parseListen("127.0.0.1:9464"); // { hostname: "127.0.0.1", port: 9464 }
 * parseListen("[::1]:9464"); // { hostname: "::1", port: 9464 }
 * parseListen(""); // null
 * ```
 */
export function parseListen(value: string): ListenAddress | null {
  if (value === "") return null;
  const match = value.match(
    /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/,
  );
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new MetricsListenError(
      `metrics listen "${value}" is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464)`,
    );
  }
  return { hostname: match[1] ?? match[2], port };
}

/** `127.0.0.1:9464` or `[::1]:9464`. */
export function formatListen(address: ListenAddress): string {
  const host = address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * The one-line reason a listen failed: `address in use`, `address not
 * available on this host`, `permission denied`, `cannot resolve host`, or
 * the error's own first line.
 */
export function listenProblem(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "address in use";
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return "address not available on this host";
  }
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  const message = error instanceof Error ? error.message : String(error);
  if (/lookup address/.test(message)) return "cannot resolve host";
  return message.split("\n")[0];
}
