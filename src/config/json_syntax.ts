/**
 * Locating a JSON syntax error without echoing the input: `JSON.parse`'s
 * messages quote the text around the error verbatim (control bytes
 * included), and their wording changes between engines. This scanner walks
 * the text (iteratively, so deep nesting cannot overflow the stack) and
 * names the first error's line, column and kind in words of its own.
 * @module
 */

import { quoteValue } from "./errors.ts";

/** Where a JSON text first breaks the grammar, and how. */
export interface JsonSyntaxError {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units. */
  column: number;
  /** What is wrong, e.g. `expected ',' or '}'`; never echoes control bytes. */
  reason: string;
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const HEX = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERALS = ["true", "false", "null"];

class Scanner {
  at = 0;
  constructor(readonly text: string) {}

  skipWhitespace(): void {
    while (WHITESPACE.has(this.text[this.at])) this.at++;
  }

  /** Why the character at `at` is wrong where `wanted` was expected. */
  unexpected(wanted: string): string {
    if (this.at >= this.text.length) {
      return `unexpected end; expected ${wanted}`;
    }
    const char = String.fromCodePoint(this.text.codePointAt(this.at)!);
    return `unexpected ${quoteValue(char)}; expected ${wanted}`;
  }

  /** Reads a string at `at` (which is `"`); returns an error or null. */
  string(): string | null {
    this.at++;
    while (this.at < this.text.length) {
      const char = this.text[this.at];
      if (char === '"') {
        this.at++;
        return null;
      }
      if (char.charCodeAt(0) < 0x20) return "control character in a string";
      if (char === "\\") {
        const next = this.text[this.at + 1];
        if (next === "u") {
          if (!HEX.test(this.text.slice(this.at + 2, this.at + 6))) {
            return "bad \\u escape in a string";
          }
          this.at += 6;
          continue;
        }
        if (!ESCAPES.has(next)) return "bad escape in a string";
        this.at += 2;
        continue;
      }
      this.at++;
    }
    return "unterminated string";
  }

  /** Reads a scalar (string, number, literal) at `at`; returns an error or null. */
  scalar(): string | null {
    const char = this.text[this.at];
    if (char === '"') return this.string();
    if (char === "-" || (char >= "0" && char <= "9")) {
      NUMBER.lastIndex = this.at;
      if (!NUMBER.test(this.text)) return "bad number";
      this.at = NUMBER.lastIndex;
      return null;
    }
    for (const literal of LITERALS) {
      if (this.text.startsWith(literal, this.at)) {
        this.at += literal.length;
        return null;
      }
    }
    return this.unexpected("a value");
  }

  /** Reads `"key" :` inside an object; returns an error or null. */
  key(): string | null {
    if (this.text[this.at] !== '"') return this.unexpected("a quoted key");
    const error = this.string();
    if (error !== null) return error;
    this.skipWhitespace();
    if (this.text[this.at] !== ":") return this.unexpected("':'");
    this.at++;
    return null;
  }

  /** Scans the whole text; returns the first error, or null if it is valid. */
  scan(): string | null {
    const open: string[] = [];
    let wantValue = true;
    for (;;) {
      this.skipWhitespace();
      if (wantValue) {
        const char = this.text[this.at];
        if (char === "{" || char === "[") {
          this.at++;
          this.skipWhitespace();
          const close = char === "{" ? "}" : "]";
          if (this.text[this.at] === close) {
            this.at++;
          } else {
            open.push(close);
            if (close === "}") {
              const error = this.key();
              if (error !== null) return error;
            }
            continue;
          }
        } else {
          const error = this.scalar();
          if (error !== null) return error;
        }
        wantValue = false;
        continue;
      }
      const close = open.at(-1);
      if (close === undefined) {
        return this.at < this.text.length
          ? this.unexpected("the end after the document")
          : null;
      }
      const char = this.text[this.at];
      if (char === close) {
        open.pop();
        this.at++;
      } else if (char === ",") {
        this.at++;
        this.skipWhitespace();
        if (close === "}") {
          const error = this.key();
          if (error !== null) return error;
        }
        wantValue = true;
      } else {
        return this.unexpected(`',' or '${close}'`);
      }
    }
  }
}

/**
 * Finds the first syntax error in `text`, or returns null if it is valid
 * JSON.
 *
 * @example
 * ```ts
 * locateJsonError('{"a": 1,\n "b" 2}');
 * // { line: 2, column: 6, reason: "unexpected \"2\"; expected ':'" }
 * ```
 */
export function locateJsonError(text: string): JsonSyntaxError | null {
  const scanner = new Scanner(text);
  const reason = scanner.scan();
  if (reason === null) return null;
  const before = text.slice(0, scanner.at);
  const lineStart = before.lastIndexOf("\n") + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (text[i] === "\n") line++;
  return { line, column: scanner.at - lineStart + 1, reason };
}
