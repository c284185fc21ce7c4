/**
 * Typed libc bindings over Deno FFI (opened lazily; needs `--allow-ffi` only
 * when a call is made).
 * @module
 */

export * from "./errno.ts";
export * from "./constants.ts";
export * from "./libc.ts";
export * from "./files.ts";
export * from "./signals.ts";
export * from "./socket.ts";
