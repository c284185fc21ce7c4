/**
 * Configuration errors: one line per problem, `FILE: path.to.key: what is wrong`.
 * @module
 */

/** A file that could not be loaded or validated; `problems` holds one line each. */
export class ConfigError extends Error {
  /** Every problem found, each as `FILE: path: what is wrong`. */
  readonly problems: string[];

  /** Creates an error from one or more one-line problems. */
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
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
 * Turns schema issues into `FILE: path.to.key: message` lines (one per
 * unknown key).
 *
 * @example
 * ```ts
 * const result = schema.safeParse(data);
 * if (!result.success) {
 *   throw new ConfigError(describeIssues("a.toml", result.error.issues));
 * }
 * ```
 */
export function describeIssues(
  file: string,
  issues: readonly SchemaIssue[],
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys" && issue.keys !== undefined) {
      for (const key of issue.keys) {
        lines.push(`${file}: ${[...path, key].join(".")}: unknown key`);
      }
      continue;
    }
    const where = path.length === 0 ? "(top level)" : path.join(".");
    lines.push(`${file}: ${where}: ${issue.message}`);
  }
  return lines;
}

/** Reads a text file, mapping "not found" and other I/O failures to one-line errors. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError([`${file}: file not found`]);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ConfigError([`${file}: permission denied`]);
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${file}: cannot read: ${message}`]);
  }
}
