/**
 * Reading a configuration file's text: size cap, regular files only, strict
 * UTF-8, and a leading byte order mark accepted.
 *
 * A UTF-8 BOM (EF BB BF, which Windows editors often write) at the start of
 * either file is accepted: decoding keeps it as U+FEFF and both parsers drop
 * one (only one; a second is content, and a syntax error). Bytes that are not
 * UTF-8 are refused with one line naming the byte offset and line, rather
 * than read as U+FFFD.
 * @module
 */

import { ConfigError } from "./errors.ts";

/** Largest configuration file read (1 MiB; SONiC's files are a few kB). */
export const MAX_CONFIG_BYTES = 1 << 20;

const BOM = "\ufeff";

function describeIoError(file: string, error: unknown): ConfigError {
  if (error instanceof Deno.errors.NotFound) {
    return new ConfigError([`${file}: file not found`]);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new ConfigError([`${file}: permission denied`]);
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new ConfigError([`${file}: not allowed to read (Deno permission)`]);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigError([`${file}: cannot read: ${message}`]);
}

function tooLarge(file: string, size: number): ConfigError {
  return new ConfigError([
    `${file}: too large (${size} bytes; at most ${MAX_CONFIG_BYTES})`,
  ]);
}

/** Reads up to `limit` bytes (a file may grow, or /proc may report size 0). */
async function readAtMost(file: Deno.FsFile, limit: number) {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = new Uint8Array(Math.min(64 * 1024, limit - total));
    const count = await file.read(chunk);
    if (count === null) break;
    chunks.push(chunk.subarray(0, count));
    total += count;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * Reads a configuration file as text. Every failure is a one-line
 * `ConfigError`: not found, permission denied, a directory or other
 * non-regular file (a FIFO would block), over {@linkcode MAX_CONFIG_BYTES},
 * or not UTF-8.
 *
 * @example
 * ```ts
 * const text = await readConfigText("/etc/sonic/portsyncd.conf");
 * ```
 */
export async function readConfigText(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(file);
    if (info.isDirectory) throw new ConfigError([`${file}: is a directory`]);
    if (!info.isFile) throw new ConfigError([`${file}: not a regular file`]);
    if (info.size > MAX_CONFIG_BYTES) throw tooLarge(file, info.size);
    using handle = await Deno.open(file, { read: true });
    bytes = await readAtMost(handle, MAX_CONFIG_BYTES + 1);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw describeIoError(file, error);
  }
  return decodeConfigText(bytes, { source: file });
}

/**
 * The offset of the first byte that is not part of well-formed UTF-8, or
 * -1 when all are.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    let follow: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) follow = 1;
    else if (lead >= 0xe0 && lead <= 0xef) follow = 2;
    else if (lead >= 0xf0 && lead <= 0xf4) follow = 3;
    else return i;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
    for (let k = 1; k <= follow; k++) {
      const byte = bytes[i + k];
      if (byte === undefined) return i;
      if (k === 1 ? byte < low || byte > high : byte < 0x80 || byte > 0xbf) {
        return i;
      }
    }
    i += follow + 1;
  }
  return -1;
}

/**
 * Decodes a configuration file's bytes: strict UTF-8, size-capped, a BOM
 * kept (as U+FEFF, for the parser to drop); `source` names the file in
 * errors.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
 * decodeConfigText(bytes, { source: "a.toml" }); // "\ufeffa"
 * ```
 */
export function decodeConfigText(
  bytes: Uint8Array,
  options: { source: string },
): string {
  const { source } = options;
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(source, bytes.length);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      .decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    if (at < 0) throw new ConfigError([`${source}: not valid UTF-8`]);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    throw new ConfigError([
      `${source}:${line}: not valid UTF-8 (byte ${at} is 0x${
        bytes[at].toString(16).padStart(2, "0")
      })`,
    ]);
  }
  return text;
}

/**
 * Drops one leading byte order mark (U+FEFF), if any.
 *
 * @example
 * ```ts
 * stripBom("\ufeff{}"); // "{}"
 * ```
 */
export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}
