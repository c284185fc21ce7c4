/**
 * A test's end of `$NOTIFY_SOCKET`: a real AF_UNIX datagram socket bound to
 * a path or an abstract name (through the project's FFI bindings), with
 * every message it receives collected in order.
 * @module
 */

import {
  AF_UNIX,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
} from "../../ffi/constants.ts";
import { close, poll } from "../../ffi/libc.ts";
import { bind, recv, socket } from "../../ffi/socket.ts";
import { SyscallError } from "../../ffi/errno.ts";
import { notifyAddress } from "../../src/systemd/protocol.ts";
import { waitFor } from "../helpers/daemon.ts";

/** One received datagram. */
export interface Received {
  /** Its text. */
  text: string;
  /** `performance.now()` when it was read. */
  at: number;
}

/** A bound listener. */
export interface NotifyListener {
  /** The `$NOTIFY_SOCKET` value (a path, or `@name`). */
  readonly name: string;
  /** Everything received so far. */
  readonly messages: Received[];
  /** Resolves with the first message after index `from` matching `pattern`. */
  waitFor(
    pattern: RegExp,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<Received>;
  /** Stops reading, closes the socket, removes its file. */
  close(): Promise<void>;
}

/** Binds a listener at `name` (an absolute path, or `@abstract`). */
export function listenNotify(name: string): NotifyListener {
  const fd = socket({
    domain: AF_UNIX,
    type: SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
  });
  bind(fd, notifyAddress(name));
  const messages: Received[] = [];
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let open = true;
  const reading = (async () => {
    while (open) {
      await poll(fd, { timeoutMs: 50 });
      while (open) {
        let length: number;
        try {
          length = recv(fd, buffer, { flags: MSG_DONTWAIT });
        } catch (error) {
          if (error instanceof SyscallError && error.code === "EAGAIN") break;
          throw error;
        }
        messages.push({
          text: decoder.decode(buffer.subarray(0, length)),
          at: performance.now(),
        });
      }
    }
  })();
  return {
    name,
    messages,
    async waitFor(pattern, options = {}) {
      const from = options.from ?? 0;
      const found = await waitFor(
        `a notify message matching ${pattern}`,
        () => messages.slice(from).find((m) => pattern.test(m.text)),
        { timeoutMs: options.timeoutMs ?? 15_000 },
      );
      return found!;
    },
    async close() {
      open = false;
      await reading;
      close(fd);
      if (!name.startsWith("@")) await Deno.remove(name).catch(() => {});
    },
  };
}
