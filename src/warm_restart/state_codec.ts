/**
 * The warm-restart state file's format: its name for a namespace, and its
 * text, encoded and decoded. Pure (SHA-256 from `node:crypto` is a
 * computation, not I/O).
 *
 * The file is one JSON object:
 *
 * ```json
 * {
 *   "format": "portsyncd-warm-restart-state",
 *   "version": 1,
 *   "sha256": "<hex SHA-256 of JSON.stringify(body)>",
 *   "body": { "namespace": "", "saved_at": "…", "metrics": {…}, "ports": […] }
 * }
 * ```
 *
 * The checksum covers the body as compact JSON, so the file may be
 * reformatted but any change to a value (or a truncation) is detected.
 * @module
 */

import { createHash } from "node:crypto";
import { z } from "zod";
import type { WarmRestartCounters } from "./metrics.ts";
import type { SavedPort } from "./port_state.ts";

/** The `format` every state file names. */
export const STATE_FORMAT = "portsyncd-warm-restart-state";
/** The version this code writes and reads. */
export const STATE_VERSION = 1;
/** Files larger than this are not read (a state file is ~100 bytes per port). */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** What a state file holds. */
export interface StateBody {
  /** The namespace watched (`""`: portsyncd's own). */
  namespace: string;
  /** When the file was written (ISO 8601). */
  saved_at: string;
  /** The warm-restart counters. */
  metrics: WarmRestartCounters;
  /** The last known state of every port, sorted by name. */
  ports: SavedPort[];
}

/** The outcome of {@linkcode decodeState}. */
export type DecodedState =
  | { ok: true; body: StateBody }
  | { ok: false; problem: string };

const count = z.number().int().min(0);
const duration = z.number().min(0).nullable();
const linkState = z.enum(["up", "down"]);

const bodySchema = z.strictObject({
  namespace: z.string(),
  saved_at: z.string(),
  metrics: z.strictObject({
    warm_restarts: count,
    cold_starts: count,
    eoiu_detected: count,
    eoiu_timeouts: count,
    state_recoveries: count,
    recovery_checks: count,
    corruptions_detected: count,
    state_reads: count,
    initial_sync_ms_last: duration,
    initial_sync_ms_min: duration,
    initial_sync_ms_max: duration,
  }).refine((m) => m.state_recoveries <= m.recovery_checks, {
    message: "state_recoveries exceeds recovery_checks",
  }).refine((m) => m.corruptions_detected <= m.state_reads, {
    message: "corruptions_detected exceeds state_reads",
  }),
  ports: z.array(z.strictObject({
    name: z.string().min(1),
    admin: linkState,
    oper: linkState,
    mtu: z.number().int().min(0).nullable(),
    ifindex: z.number().int().min(1),
  })),
});

/** Longest file name most filesystems take (NAME_MAX). */
const NAME_MAX = 255;

/**
 * The state file's name for a namespace: `ports.json` for portsyncd's own,
 * `ports-<name>.json` for a named one (`/run/netns/<name>` is the same
 * namespace as `<name>`), every character outside `[A-Za-z0-9._-]`
 * percent-encoded (so two names never share a file). A name too long for
 * the filesystem is shortened and ends in a hash of the whole.
 *
 * @example
 * ```ts
 * import { stateFileName } from "./state_codec.ts";
 * stateFileName(""); // "ports.json"
 * stateFileName("asic0"); // "ports-asic0.json"
 * stateFileName("/run/netns/asic0"); // "ports-asic0.json"
 * stateFileName("a b"); // "ports-a%20b.json"
 * ```
 */
export function stateFileName(namespace: string): string {
  if (namespace === "") return "ports.json";
  const name = /^\/run\/netns\/[^/]+$/.test(namespace)
    ? namespace.slice("/run/netns/".length)
    : namespace;
  let safe = "";
  for (const byte of new TextEncoder().encode(name)) {
    const char = String.fromCharCode(byte);
    safe += /[A-Za-z0-9._-]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  const file = `ports-${safe}.json`;
  if (file.length + ".prev".length <= NAME_MAX) return file;
  const head = safe.slice(0, 160).replace(/%[0-9A-F]?$/, "");
  return `ports-${head}~${sha256(name).slice(0, 32)}.json`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The file text for `body`: the envelope with format, version and the
 * body's checksum, indented, ending in a newline.
 *
 * @example
 * ```ts
 * import { encodeState } from "./state_codec.ts";
 * import { emptyCounters } from "./metrics.ts";
 * const text = encodeState({
 *   namespace: "",
 *   saved_at: new Date().toISOString(),
 *   metrics: emptyCounters(),
 *   ports: [],
 * });
 * ```
 */
export function encodeState(body: StateBody): string {
  const file = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    sha256: sha256(JSON.stringify(body)),
    body,
  };
  return JSON.stringify(file, null, 2) + "\n";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes a state file's text; a file that is empty, truncated, not JSON,
 * not a state file, of another version, with a checksum that does not
 * match its body, or with a body that is not valid comes back as
 * `{ ok: false, problem }`, the problem in a few words.
 *
 * @example
 * ```ts
 * import { decodeState } from "./state_codec.ts";
 * const result = decodeState('{"format":"x"');
 * if (!result.ok) result.problem; // "not valid JSON (truncated or garbage): …"
 * ```
 */
export function decodeState(text: string): DecodedState {
  if (text.trim() === "") return { ok: false, problem: "empty file" };
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problem: `not valid JSON (truncated or garbage): ${
        (error as Error).message
      }`,
    };
  }
  if (!isRecord(file) || file.format !== STATE_FORMAT) {
    return { ok: false, problem: `not a ${STATE_FORMAT} file` };
  }
  if (file.version !== STATE_VERSION) {
    return {
      ok: false,
      problem: `unsupported version ${
        JSON.stringify(file.version)
      } (this portsyncd reads ${STATE_VERSION})`,
    };
  }
  if (typeof file.sha256 !== "string") {
    return { ok: false, problem: "no sha256 checksum" };
  }
  const actual = sha256(JSON.stringify(file.body ?? null));
  if (actual !== file.sha256) {
    return {
      ok: false,
      problem: `checksum mismatch: file says sha256 ${
        file.sha256.slice(0, 16)
      }…, body hashes to ${actual.slice(0, 16)}…`,
    };
  }
  const result = bodySchema.safeParse(file.body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = ["body", ...issue.path.map(String)].join(".");
    return { ok: false, problem: `${where}: ${issue.message}` };
  }
  return { ok: true, body: result.data };
}
