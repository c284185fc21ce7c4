/**
 * A test syslog socket: an AF_UNIX datagram socket bound to a path in a
 * temp dir (through the libc FFI), read without blocking.
 * @module
 */

import {
  AF_UNIX,
  bind,
  close,
  MSG_DONTWAIT,
  recv,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  socket,
  SyscallError,
} from "../../ffi/mod.ts";
import { sockaddrUnix } from "../../src/log/syslog.ts";

/** A bound receiver; `close()` removes its socket file and dir. */
export interface SyslogReceiver {
  /** The socket's path. */
  readonly path: string;
  /** Every datagram received so far (call `drain()` to read more). */
  readonly datagrams: string[];
  /** Reads what is queued; returns `datagrams`. */
  drain(): string[];
  /** Closes and removes the socket. */
  close(): Promise<void>;
}

/** Binds a fresh datagram socket at `<temp dir>/log`. */
export async function bindSyslogReceiver(): Promise<SyslogReceiver> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-syslog-" });
  const path = `${dir}/log`;
  const fd = socket({ domain: AF_UNIX, type: SOCK_DGRAM | SOCK_CLOEXEC });
  bind(fd, sockaddrUnix(path));
  const datagrams: string[] = [];
  const buffer = new Uint8Array(65536);
  const decoder = new TextDecoder();
  let open = true;
  return {
    path,
    datagrams,
    drain() {
      while (open) {
        try {
          const length = recv(fd, buffer, { flags: MSG_DONTWAIT });
          datagrams.push(decoder.decode(buffer.subarray(0, length)));
        } catch (error) {
          if (error instanceof SyscallError && error.code === "EAGAIN") break;
          throw error;
        }
      }
      return datagrams;
    },
    async close() {
      if (!open) return;
      open = false;
      close(fd);
      await Deno.remove(dir, { recursive: true });
    },
  };
}
