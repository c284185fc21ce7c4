/**
 * Runs `main.ts` the way an operator does, for the CLI tests and any other
 * test that runs the binary entry to its end (config, lock): a child
 * `deno run` with the given permissions. Also a temp dir per test and a
 * minimal database_config.json.
 * @module
 */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What a finished run printed and returned. */
export interface Run {
  /** Exit code. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/** A database_config.json with the three databases portsyncd needs (TCP). */
export const DB_CONFIG: string = JSON.stringify({
  INSTANCES: { redis: { hostname: "127.0.0.1", port: 6379 } },
  DATABASES: {
    APPL_DB: { id: 0, separator: ":", instance: "redis" },
    CONFIG_DB: { id: 4, separator: "|", instance: "redis" },
    STATE_DB: { id: 6, separator: "|", instance: "redis" },
  },
});

/**
 * Runs `portsyncd ARGS` to its end, with `--allow-all` unless
 * `permissions` lists the `deno run` flags to use instead.
 */
export async function portsyncd(
  args: string[],
  options: { permissions?: string[] } = {},
): Promise<Run> {
  const permissions = options.permissions ?? ["--allow-all"];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...permissions, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** `--check-config` on `DIR/p.conf` and `DIR/db.json`. */
export function checkConfig(dir: string): Promise<Run> {
  return portsyncd([
    "--check-config",
    "-c",
    `${dir}/p.conf`,
    "-d",
    `${dir}/db.json`,
  ]);
}

/** Runs `body` with a fresh temp dir, removed afterwards. */
export async function withDir(
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-cli-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
