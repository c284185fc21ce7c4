/**
 * A missing Deno permission as one line instead of a stack trace.
 * Imports nothing, so `main.ts` can use it before the program is loaded.
 * @module
 */

/** Deno's wording: `Requires ffi access to "libc.so.6", run again with the --allow-ffi flag`. */
const REQUIRES = /^Requires (.+?), run again with the (--allow-[a-z-]+) flag/;

function* causes(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

/**
 * The one line to print when `error` (or one of its causes) is a missing
 * Deno permission (`Deno.errors.NotCapable`) or an operating-system
 * permission refusal (`Deno.errors.PermissionDenied`); null otherwise.
 *
 * @example
 * ```ts
 * import { permissionProblem } from "./permission.ts";
 * const error = new Deno.errors.NotCapable(
 *   'Requires ffi access to "libc.so.6", run again with the --allow-ffi flag',
 * );
 * permissionProblem(error);
 * // 'portsyncd: missing permission: ffi access to "libc.so.6" (run with --allow-ffi)'
 * ```
 */
export function permissionProblem(error: unknown): string | null {
  for (const cause of causes(error)) {
    if (!(cause instanceof Error)) continue;
    const firstLine = cause.message.split("\n")[0];
    const requires = REQUIRES.exec(firstLine);
    if (cause instanceof Deno.errors.NotCapable || requires !== null) {
      return requires === null
        ? `portsyncd: missing permission: ${firstLine}`
        : `portsyncd: missing permission: ${requires[1]} (run with ${
          requires[2]
        })`;
    }
    if (cause instanceof Deno.errors.PermissionDenied) {
      return `portsyncd: permission denied: ${firstLine}`;
    }
  }
  return null;
}
