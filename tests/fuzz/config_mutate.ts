/**
 * Hostile configuration files for the config fuzzer: valid TOML and
 * database_config.json documents, mutated in their structure (wrong types,
 * huge sizes, unknown keys, deep nesting, unicode) and then in their text and
 * bytes (NUL, ESC, BOM, truncation, invalid UTF-8, random bytes).
 * @module
 */

import { stringify } from "smol-toml";
import type { Random } from "./harness.ts";

/** A document to mutate: parsed data is cloned before each change. */
type Data = Record<string, unknown>;

/** A valid portsyncd.conf, every key set. */
export const VALID_TOML: Data = {
  log: { level: "info" },
  netlink: { receive_buffer_bytes: 8388608, namespace: "asic0" },
  store: {
    max_pending_writes: 100000,
    reconnect_initial_ms: 100,
    reconnect_max_ms: 5000,
    command_timeout_ms: 5000,
  },
  sync: { max_batch: 4096, verify_interval_ms: 2000 },
  daemon: { lock_dir: "/run/portsyncd" },
};

/** A valid database_config.json as SONiC ships it (two instances). */
export const VALID_DB_JSON: Data = {
  INSTANCES: {
    redis: {
      hostname: "127.0.0.1",
      port: 6379,
      unix_socket_path: "/var/run/redis/redis.sock",
      persistence_for_warm_boot: "yes",
    },
    redis_chassis: { hostname: "redis_chassis.server", port: 6380 },
  },
  DATABASES: {
    APPL_DB: { id: 0, separator: ":", instance: "redis" },
    ASIC_DB: { id: 1, separator: ":", instance: "redis" },
    COUNTERS_DB: { id: 2, separator: ":", instance: "redis" },
    CONFIG_DB: { id: 4, separator: "|", instance: "redis" },
    STATE_DB: { id: 6, separator: "|", instance: "redis" },
    CHASSIS_APP_DB: { id: 12, separator: "|", instance: "redis_chassis" },
  },
  VERSION: "1.0",
};

/** Uniform integer in [0, n). */
export function below(random: Random, n: number): number {
  return n <= 0 ? 0 : random() % n;
}

/** True one time in eight (for the costly, huge variants). */
function rare(random: Random): boolean {
  return below(random, 8) === 0;
}

/** One element of `items`. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[below(random, items.length)];
}

const NASTY_PIECES = [
  "\0",
  "\x1b[31m",
  "\x1b]0;title\x07",
  "\n",
  "\r\n",
  "\t",
  "\x7f",
  "\x9b",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\ud800",
  "\udfff",
  "😀",
  "é",
  "e\u0301",
  "日本",
  '"',
  "'",
  "\\",
  ".",
  "=",
  "[",
  "]",
  "{",
  "}",
  "#",
  ",",
  ":",
  "__proto__",
  "constructor",
  "toString",
  " ",
  "",
];

/** A string built to hurt: controls, unicode, quotes, prototype names, huge runs. */
export function hostileString(random: Random): string {
  switch (below(random, 6)) {
    case 0:
      return pick(random, NASTY_PIECES);
    case 1: {
      const length = below(random, 40);
      let text = "";
      for (let i = 0; i < length; i++) {
        text += String.fromCharCode(below(random, 0x80));
      }
      return text;
    }
    case 2: {
      const length = below(random, 20);
      let text = "";
      for (let i = 0; i < length; i++) {
        text += String.fromCodePoint(below(random, 0x110000));
      }
      return text;
    }
    case 3:
      // A long run; now and then a huge one.
      return pick(random, NASTY_PIECES).repeat(
        1 + below(random, rare(random) ? 20_000 : 100),
      );
    default: {
      let text = "";
      const count = 1 + below(random, 6);
      for (let i = 0; i < count; i++) text += pick(random, NASTY_PIECES);
      return text;
    }
  }
}

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  3,
  4,
  99,
  100,
  4095,
  4096,
  4097,
  65535,
  65536,
  100000,
  1 << 30,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1.5,
  1e300,
  -1e300,
  NaN,
  Infinity,
  -Infinity,
];

/** A number near a limit the schemas draw, or a random one. */
export function hostileNumber(random: Random): number {
  if (below(random, 4) === 0) return below(random, 2 ** 31) - 2 ** 30;
  return pick(random, NUMBERS);
}

/** Nested arrays or tables, `depth` deep. */
function nested(random: Random, depth: number): unknown {
  let value: unknown = hostileNumber(random);
  const tables = below(random, 2) === 0;
  for (let i = 0; i < depth; i++) value = tables ? { k: value } : [value];
  return value;
}

/** Any value, of any type the format can hold (`toml` adds dates, drops null). */
export function hostileValue(random: Random, toml: boolean): unknown {
  switch (below(random, 10)) {
    case 0:
      return hostileString(random);
    case 1:
      return below(random, 2) === 0;
    case 2:
      return toml ? new Date(below(random, 2 ** 31) * 1000) : null;
    case 3: {
      const length = below(random, rare(random) ? 5000 : 4);
      return Array.from({ length }, () => hostileNumber(random));
    }
    case 4:
      return nested(random, 1 + below(random, rare(random) ? 3000 : 50));
    case 5:
      return { [hostileString(random)]: hostileNumber(random) };
    default:
      return hostileNumber(random);
  }
}

/** Every (parent, key) pair in `data`, tables included. */
function slots(data: Data): [Data, string][] {
  const found: [Data, string][] = [];
  const walk = (table: Data) => {
    for (const key of Object.keys(table)) {
      found.push([table, key]);
      const value = table[key];
      if (
        typeof value === "object" && value !== null && !Array.isArray(value)
      ) {
        walk(value as Data);
      }
    }
  };
  walk(data);
  return found;
}

/** Every table in `data` (the top level included). */
function tables(data: Data): Data[] {
  return [
    data,
    ...slots(data).map(([parent, key]) => parent[key])
      .filter((value): value is Data =>
        typeof value === "object" && value !== null && !Array.isArray(value) &&
        !(value instanceof Date)
      ),
  ];
}

/** Applies 1-3 structural changes to `data` in place. */
export function mutateData(random: Random, data: Data, toml: boolean): void {
  const count = 1 + below(random, 3);
  for (let i = 0; i < count; i++) {
    const all = slots(data);
    switch (below(random, 7)) {
      case 0: // wrong type or out-of-range value for a known key
      case 1: {
        if (all.length === 0) break;
        const [parent, key] = pick(random, all);
        parent[key] = hostileValue(random, toml);
        break;
      }
      case 2: { // a number near a limit (exercises ranges and cross-checks)
        const numeric = all.filter(([parent, key]) =>
          typeof parent[key] === "number"
        );
        if (numeric.length === 0) break;
        const [parent, key] = pick(random, numeric);
        parent[key] = hostileNumber(random);
        break;
      }
      case 3: { // an unknown key
        const table = pick(random, tables(data));
        table[hostileString(random)] = hostileValue(random, toml);
        break;
      }
      case 4: { // a key removed
        if (all.length === 0) break;
        const [parent, key] = pick(random, all);
        delete parent[key];
        break;
      }
      case 5: { // many keys
        const table = pick(random, tables(data));
        const many = below(random, rare(random) ? 3000 : 40);
        for (let k = 0; k < many; k++) table[`k${k}_${below(random, 99)}`] = k;
        break;
      }
      default: { // a key renamed
        if (all.length === 0) break;
        const [parent, key] = pick(random, all);
        parent[hostileString(random)] = parent[key];
        delete parent[key];
      }
    }
  }
}

/** Serializes `data` as TOML or JSON; null if the format cannot hold it. */
export function serialize(data: Data, toml: boolean): string | null {
  try {
    return toml ? stringify(data) : JSON.stringify(data);
  } catch {
    return null;
  }
}

/** Applies 0-3 changes to the text: insertions, deletions, copies, truncation, BOMs. */
export function mutateText(random: Random, source: string): string {
  let text = source;
  const count = below(random, 2) === 0 ? 0 : 1 + below(random, 3);
  for (let i = 0; i < count; i++) {
    const at = below(random, text.length + 1);
    switch (below(random, 7)) {
      case 0:
        text = text.slice(0, at) + hostileString(random) + text.slice(at);
        break;
      case 1:
        text = text.slice(0, at) + text.slice(at + 1 + below(random, 20));
        break;
      case 2: {
        const span = text.slice(at, at + below(random, 200));
        text = text.slice(0, at) + span.repeat(1 + below(random, 50)) +
          text.slice(at);
        break;
      }
      case 3:
        text = text.slice(0, at);
        break;
      case 4:
        text = "\ufeff".repeat(1 + below(random, 2)) + text;
        break;
      case 5:
        text = text.slice(0, at) + pick(random, NASTY_PIECES) +
          text.slice(at + 1);
        break;
      default:
        text = text.replaceAll("\n", pick(random, ["\r\n", "\r", "\n\n", ""]));
    }
  }
  return text;
}

const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0x80],
  [0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0x00],
  [0xef, 0xbb, 0xbf],
];

/** Encodes the text and sometimes breaks the bytes (bad UTF-8, flips, cuts). */
export function mutateBytes(random: Random, text: string): Uint8Array {
  let bytes = new TextEncoder().encode(text);
  if (below(random, 5) !== 0) return bytes;
  const at = below(random, bytes.length + 1);
  switch (below(random, 3)) {
    case 0: {
      const bad = pick(random, BAD_UTF8);
      const out = new Uint8Array(bytes.length + bad.length);
      out.set(bytes.subarray(0, at));
      out.set(bad, at);
      out.set(bytes.subarray(at), at + bad.length);
      bytes = out;
      break;
    }
    case 1:
      if (at < bytes.length) bytes[at] ^= 1 << below(random, 8);
      break;
    default:
      bytes = bytes.slice(0, at);
  }
  return bytes;
}

/** Bytes with no structure at all. */
export function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random() & 0xff;
  return bytes;
}
