/**
 * Configuration errors: one line per problem, `FILE: path.to.key: what is wrong`.
 *
 * Every line is safe to print on an operator's terminal or send to syslog:
 * whatever a file holds (newlines, NUL, ESC sequences, bidirectional
 * overrides, 10 kB keys), a problem line is a single line of printable text
 * of bounded length. Text taken from the input is escaped JSON-style
 * (`\u001b`) and cut short with `...`.
 * @module
 */

/** Longest problem line, in characters; longer lines end with `...`. */
export const MAX_PROBLEM_LENGTH = 1024;

/** Most characters of one echoed key or value before it is cut with `...`. */
export const MAX_ECHO_LENGTH = 64;

/** Most problem lines reported for one file; the rest are counted in one line. */
export const MAX_PROBLEMS_PER_FILE = 20;

/** A file that could not be loaded or validated; `problems` holds one line each. */
export class ConfigError extends Error {
  /**
   * Every problem found, each as `FILE: path: what is wrong`: one line, no
   * control characters, at most {@linkcode MAX_PROBLEM_LENGTH} characters.
   */
  readonly problems: string[];

  /**
   * Creates an error from one or more one-line problems. Each line is made
   * safe (control characters escaped, length capped) whatever it holds.
   */
  constructor(problems: string[]) {
    const safe = problems.map((line) =>
      escapeText(line, { max: MAX_PROBLEM_LENGTH })
    );
    super(safe.join("\n"));
    this.name = "ConfigError";
    this.problems = safe;
  }
}

/** Options of {@linkcode escapeText}. */
export interface EscapeOptions {
  /** Cut the escaped text at this many characters, ending it with `...`. */
  max?: number;
  /** Also escape `"` and `\` (for text shown inside quotes). */
  quotes?: boolean;
}

/**
 * True for code points that must not reach a terminal or log as they are:
 * C0 and C1 controls, DEL, line and paragraph separators, zero-width and
 * bidirectional formatting characters, the BOM, and lone surrogates.
 */
function isUnsafe(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x200b && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x206f) || code === 0xfeff ||
    (code >= 0xd800 && code <= 0xdfff) || (code >= 0xfff9 && code <= 0xfffb);
}

function escapeOne(char: string, quotes: boolean): string {
  const code = char.codePointAt(0)!;
  if (quotes && (char === '"' || char === "\\")) return `\\${char}`;
  if (!isUnsafe(code)) return char;
  switch (char) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
  }
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Escapes unsafe characters (controls, separators, bidirectional overrides,
 * lone surrogates) as `\n`, `\t` or `\u001b`, and caps the length.
 *
 * @example
 * ```ts
 * escapeText("a\x1b[31mb"); // "a\\u001b[31mb"
 * escapeText("x".repeat(100), { max: 10 }); // "xxxxxxx..."
 * ```
 */
export function escapeText(text: string, options: EscapeOptions = {}): string {
  const max = options.max ?? Infinity;
  const quotes = options.quotes ?? false;
  if (text.length <= max && !quotes) {
    let clean = true;
    for (let i = 0; i < text.length && clean; i++) {
      clean = !isUnsafe(text.charCodeAt(i));
    }
    if (clean) return text;
  }
  const cut = Math.max(0, max - 3);
  let out = "";
  let fitsCut = 0;
  for (const char of text) {
    const piece = escapeOne(char, quotes);
    if (out.length + piece.length > max) return `${out.slice(0, fitsCut)}...`;
    out += piece;
    if (out.length <= cut) fitsCut = out.length;
  }
  return out;
}

/**
 * Shows a value from the input in a message: a string double-quoted and
 * escaped, anything else as text; both capped at {@linkcode MAX_ECHO_LENGTH}.
 *
 * @example
 * ```ts
 * quoteValue("red\nis"); // "\"red\\nis\""
 * quoteValue(42); // "42"
 * ```
 */
export function quoteValue(value: unknown): string {
  if (typeof value === "string") {
    return `"${escapeText(value, { max: MAX_ECHO_LENGTH, quotes: true })}"`;
  }
  return escapeText(String(value), { max: MAX_ECHO_LENGTH });
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Writes a key path the way TOML spells dotted keys: plain keys as they are,
 * others quoted and escaped (`DATABASES."bad\nname".id`).
 *
 * @example
 * ```ts
 * formatKeyPath(["store", "max_pending_writes"]); // "store.max_pending_writes"
 * formatKeyPath(["a b", 0]); // "\"a b\".0"
 * ```
 */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((key) => {
    if (typeof key === "number") return String(key);
    const text = typeof key === "string" ? key : String(key);
    const plain = PLAIN_KEY.test(text) && text.length <= MAX_ECHO_LENGTH;
    return plain ? text : quoteValue(text);
  }).join(".");
}

/** The parts of a schema validation issue (a zod issue) the messages use. */
export interface SchemaIssue {
  /** Issue kind, e.g. `invalid_type` or `unrecognized_keys`. */
  code: string;
  /** Where in the data, outermost first. */
  path: PropertyKey[];
  /** What is wrong. */
  message: string;
  /** For `unrecognized_keys`: the unknown keys. */
  keys?: string[];
}

/**
 * Turns schema issues into `FILE: path.to.key: message` lines: one per key
 * (the last issue found for it) and one per unknown key, at most
 * {@linkcode MAX_PROBLEMS_PER_FILE} and then one line counting the rest.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * const schema = z.strictObject({ port: z.number() });
 * const result = schema.safeParse({ port: "9100" });
 * if (!result.success) {
 *   throw new ConfigError(describeIssues("a.toml", result.error.issues));
 * }
 * ```
 */
export function describeIssues(
  file: string,
  issues: readonly SchemaIssue[],
): string[] {
  const byKey = new Map<string, string>();
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys" && issue.keys !== undefined) {
      for (const key of issue.keys) {
        byKey.set(formatKeyPath([...issue.path, key]), "unknown key");
      }
      continue;
    }
    const where = formatKeyPath(issue.path);
    byKey.delete(where);
    byKey.set(where, issue.message);
  }
  const lines = [...byKey].map(([where, what]) => `${file}: ${where}: ${what}`);
  return capProblems(file, lines);
}

/**
 * Keeps the first {@linkcode MAX_PROBLEMS_PER_FILE} lines and replaces the
 * rest with one line saying how many were left out.
 *
 * @example
 * ```ts
 * capProblems("a.toml", ["a.toml: x: bad"]); // unchanged
 * ```
 */
export function capProblems(file: string, lines: string[]): string[] {
  if (lines.length <= MAX_PROBLEMS_PER_FILE) return lines;
  const kept = lines.slice(0, MAX_PROBLEMS_PER_FILE - 1);
  const more = lines.length - kept.length;
  return [...kept, `${file}: ${more} more problems not shown`];
}
