/**
 * Redis glob matching (the `stringmatchlen` rules used by SCAN MATCH and
 * KEYS), for the memory store: `*` any run, `?` one character, `[abc]`,
 * `[^abc]` and `[a-z]` classes, `\` escapes the next character.
 * @module
 */

/**
 * Whether `text` matches the Redis glob `pattern`.
 *
 * @example
 * ```ts
 * globMatch("PORT|Ethernet*", "PORT|Ethernet0"); // true
 * globMatch("h[^e]llo", "hello"); // false
 * ```
 */
export function globMatch(pattern: string, text: string): boolean {
  return matchFrom(pattern, 0, text, 0);
}

function matchFrom(
  pattern: string,
  patternIndex: number,
  text: string,
  textIndex: number,
): boolean {
  let p = patternIndex;
  let t = textIndex;
  while (p < pattern.length) {
    const c = pattern[p];
    if (c === "*") {
      while (pattern[p + 1] === "*") p++;
      if (p + 1 === pattern.length) return true;
      for (let start = t; start <= text.length; start++) {
        if (matchFrom(pattern, p + 1, text, start)) return true;
      }
      return false;
    }
    if (t >= text.length) return false;
    if (c === "?") {
      p++;
      t++;
      continue;
    }
    if (c === "[") {
      const result = matchClass(pattern, p + 1, text[t]);
      if (!result.matched) return false;
      p = result.next;
      t++;
      continue;
    }
    if (c === "\\" && p + 1 < pattern.length) p++;
    if (pattern[p] !== text[t]) return false;
    p++;
    t++;
  }
  return t === text.length;
}

/** Matches one character against the class starting after `[`. */
function matchClass(
  pattern: string,
  start: number,
  char: string,
): { matched: boolean; next: number } {
  let p = start;
  const negate = pattern[p] === "^";
  if (negate) p++;
  let matched = false;
  while (p < pattern.length && pattern[p] !== "]") {
    if (pattern[p] === "\\" && p + 1 < pattern.length) {
      p++;
      if (pattern[p] === char) matched = true;
    } else if (p + 2 < pattern.length && pattern[p + 1] === "-") {
      let low = pattern[p];
      let high = pattern[p + 2];
      if (low > high) [low, high] = [high, low];
      if (char >= low && char <= high) matched = true;
      p += 2;
    } else if (pattern[p] === char) {
      matched = true;
    }
    p++;
  }
  // An unterminated class ends with the pattern, as in Redis.
  const next = p < pattern.length ? p + 1 : p;
  return { matched: negate ? !matched : matched, next };
}
