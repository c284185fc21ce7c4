/**
 * The systemd notifier's one piece of I/O: datagrams to `$NOTIFY_SOCKET`
 * over an AF_UNIX SOCK_DGRAM socket, sent with `sendto` through the libc FFI.
 * Without `$NOTIFY_SOCKET` no socket is opened and nothing is sent.
 * @module
 */

import {
  AF_UNIX,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
} from "../../ffi/constants.ts";
import { close } from "../../ffi/libc.ts";
import { sendto, socket } from "../../ffi/socket.ts";
import { SyscallError } from "../../ffi/errno.ts";
import { notifyAddress } from "./protocol.ts";

/** Sends `sd_notify` messages; from {@linkcode SystemdNotifier.open}. */
export class SystemdNotifier {
  readonly #fd: number;
  readonly #address: Uint8Array<ArrayBuffer>;
  readonly #encoder = new TextEncoder();
  #closed = false;
  /** The last send failure (a missing listener is not fatal), or null. */
  lastError: SyscallError | null = null;

  private constructor(fd: number, address: Uint8Array<ArrayBuffer>) {
    this.#fd = fd;
    this.#address = address;
  }

  /**
   * Opens a notifier for `$NOTIFY_SOCKET` (`notifySocket`), or returns null
   * when it is unset or empty. A malformed value raises `NotifySocketError`.
   *
   * @example
   * ```ts ignore
   * const notifier = SystemdNotifier.open(Deno.env.get("NOTIFY_SOCKET"));
   * notifier?.send("READY=1");
   * notifier?.close();
   * ```
   */
  static open(notifySocket: string | undefined): SystemdNotifier | null {
    if (notifySocket === undefined || notifySocket === "") return null;
    const address = notifyAddress(notifySocket);
    const fd = socket({
      domain: AF_UNIX,
      type: SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
    });
    return new SystemdNotifier(fd, address);
  }

  /**
   * Sends one message (newline-separated `KEY=value` assignments). Returns
   * false when the send failed (no listener, queue full); the error is kept
   * in `lastError`. Never blocks.
   */
  send(message: string): boolean {
    if (this.#closed) return false;
    try {
      sendto(this.#fd, this.#encoder.encode(message), {
        address: this.#address,
        flags: MSG_DONTWAIT,
      });
      return true;
    } catch (error) {
      if (!(error instanceof SyscallError)) throw error;
      this.lastError = error;
      return false;
    }
  }

  /** Closes the socket; later sends do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd);
  }
}
