/**
 * rtnetlink link monitoring for portsyncd: message framing, attributes, link
 * decoding (all pure), the FFI-backed {@linkcode LinkSocket} and
 * {@linkcode runMonitor}.
 *
 * @example
 * ```ts
 * import { LinkSocket } from "./mod.ts";
 * const socket = LinkSocket.open({ netns: "psd-test" });
 * socket.requestDump();
 * console.log(await socket.receive());
 * socket.close();
 * ```
 * @module
 */

export * from "./types.ts";
export * from "./errors.ts";
export * from "./message.ts";
export * from "./attributes.ts";
export * from "./link.ts";
export * from "./notice.ts";
export * from "./netns.ts";
export * from "./socket.ts";
export * from "./monitor.ts";
