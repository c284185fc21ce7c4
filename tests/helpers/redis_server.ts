/**
 * Starts a throw-away `redis-server` on a unix socket for tests.
 *
 * ```ts
 * await withRedis(async (server) => {
 *   // use server.dbConfig, server.cli("DBSIZE") ...
 * });
 * ```
 * @module
 */

import { join } from "node:path";
import { type DbConfig, parseDbConfig } from "../../src/config/db_config.ts";

/** Whether `redis-server` and `redis-cli` can be run (for `ignore:`). */
export const REDIS_AVAILABLE: boolean = commandExists("redis-server") &&
  commandExists("redis-cli");

/** Options of `startRedis`. */
export interface StartRedisOptions {
  /** How long to wait for PING, default 10000 ms. */
  startTimeoutMs?: number;
  /** Extra `redis-server` arguments. */
  args?: string[];
}

/** A running test server. */
export interface RedisServer {
  /** The temp dir holding socket, log and config. */
  readonly dir: string;
  /** The unix socket. */
  readonly socketPath: string;
  /** APPL_DB 0 `:`, ASIC_DB 1, COUNTERS_DB 2, CONFIG_DB 4 `|`, STATE_DB 6 `|`, ... */
  readonly dbConfig: DbConfig;
  /** A database_config.json with the same content. */
  readonly dbConfigPath: string;
  /** Runs `redis-cli -s SOCKET ARGS...`; returns its trimmed output. */
  cli(...args: string[]): Promise<string>;
  /** Stops and starts the server on the same socket (data is lost). */
  restart(): Promise<void>;
  /** Stops the server only (to test outages); `start` brings it back. */
  halt(): Promise<void>;
  /** Starts a halted server again. */
  start(): Promise<void>;
  /**
   * Freezes the server with SIGSTOP: it still accepts connections (the
   * kernel queues them) but answers nothing, like a hung Redis. `cli` hangs
   * while paused; `resume`, `halt` and `stop` work.
   */
  pause(): void;
  /** Thaws a paused server with SIGCONT. */
  resume(): void;
  /**
   * Connections the kernel has queued that the server has not accepted yet
   * (the listening socket's Recv-Q in `ss -xl`): while paused, each client
   * connect attempt adds one.
   */
  acceptQueue(): Promise<number>;
  /** Stops the server and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
  /** Same as `stop`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * This process's unix sockets whose server end has not been accepted yet:
 * its connections waiting in a paused server's queue. A client that gave
 * up on such a connection must have closed it, and then it is not counted.
 */
export async function queuedClientSockets(): Promise<number> {
  const output = await new Deno.Command("ss", {
    args: ["-xHp", "state", "established"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error("ss -xp failed");
  const lines = new TextDecoder().decode(output.stdout).split("\n");
  // Netid Recv-Q Send-Q Local Inode Peer PeerInode Process: no peer yet.
  return lines.filter((line) =>
    line.includes(`pid=${Deno.pid},`) && line.split(/\s+/)[6] === "0"
  ).length;
}

/**
 * The database_config.json content for a server on `socketPath`.
 *
 * @example
 * ```ts
 * const json = sonicDbConfigJson("/tmp/x/redis.sock");
 * ```
 */
export function sonicDbConfigJson(socketPath: string): Record<string, unknown> {
  const db = (id: number, separator: string) => ({
    id,
    separator,
    instance: "redis",
  });
  return {
    INSTANCES: {
      redis: {
        hostname: "127.0.0.1",
        port: 6379,
        unix_socket_path: socketPath,
      },
    },
    DATABASES: {
      APPL_DB: db(0, ":"),
      ASIC_DB: db(1, ":"),
      COUNTERS_DB: db(2, ":"),
      LOGLEVEL_DB: db(3, ":"),
      CONFIG_DB: db(4, "|"),
      FLEX_COUNTER_DB: db(5, ":"),
      STATE_DB: db(6, "|"),
    },
    VERSION: "1.0",
  };
}

/**
 * Starts `redis-server` (unix socket only, 32 databases, no persistence) in
 * a fresh temp dir and waits until it answers PING.
 *
 * @example
 * ```ts
 * await using server = await startRedis();
 * await server.cli("PING"); // "PONG"
 * ```
 */
export async function startRedis(
  options: StartRedisOptions = {},
): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-redis-" });
  const socketPath = join(dir, "redis.sock");
  const json = sonicDbConfigJson(socketPath);
  const dbConfigPath = join(dir, "database_config.json");
  await Deno.writeTextFile(dbConfigPath, JSON.stringify(json, null, 2));
  const dbConfig = parseDbConfig(json, { source: dbConfigPath });
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const serverArgs = [
    "--port",
    "0",
    "--unixsocket",
    socketPath,
    "--unixsocketperm",
    "700",
    "--databases",
    "32",
    "--save",
    "",
    "--appendonly",
    "no",
    // As on a switch: SONiC's subscribers need keyspace notifications.
    "--notify-keyspace-events",
    "AKE",
    "--daemonize",
    "no",
    "--dir",
    dir,
    "--logfile",
    join(dir, "redis.log"),
    ...(options.args ?? []),
  ]; // deno-fmt-ignore
  let child: Deno.ChildProcess | null = null;
  let paused = false;
  let removed = false;

  async function cli(...args: string[]): Promise<string> {
    const output = await new Deno.Command("redis-cli", {
      args: ["-s", socketPath, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout).trim();
    if (!output.success) {
      const stderr = new TextDecoder().decode(output.stderr).trim();
      throw new Error(`redis-cli ${args.join(" ")}: ${stderr || text}`);
    }
    return text;
  }

  async function start(): Promise<void> {
    if (child !== null) return;
    const process = new Deno.Command("redis-server", {
      args: serverArgs,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child = process;
    let exited = false;
    process.status.then(() => exited = true);
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (exited) {
        child = null;
        throw new Error(`redis-server exited at start; see ${dir}/redis.log`);
      }
      const pong = await cli("PING").catch(() => "");
      if (pong === "PONG") return;
      if (Date.now() > deadline) {
        await halt();
        throw new Error(`redis-server did not answer PING in ${timeoutMs} ms`);
      }
      await pollDelay(10);
    }
  }

  function signal(name: Deno.Signal): void {
    if (child === null) throw new Error(`redis-server is not running`);
    child.kill(name);
  }

  function pauseServer(): void {
    signal("SIGSTOP");
    paused = true;
  }

  function resume(): void {
    signal("SIGCONT");
    paused = false;
  }

  async function acceptQueue(): Promise<number> {
    const output = await new Deno.Command("ss", {
      args: ["-xlnH", "src", socketPath],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const line = new TextDecoder().decode(output.stdout).trim();
    const queued = Number(line.split(/\s+/)[2]);
    if (!output.success || !Number.isInteger(queued)) {
      throw new Error(`ss -xl src ${socketPath}: unexpected output "${line}"`);
    }
    return queued;
  }

  async function halt(): Promise<void> {
    const process = child;
    if (process === null) return;
    child = null;
    try {
      if (paused) process.kill("SIGCONT");
      paused = false;
      process.kill("SIGKILL");
    } catch {
      // already gone
    }
    await process.status;
    await Deno.remove(socketPath).catch(() => {});
  }

  async function stop(): Promise<void> {
    await halt();
    if (!removed) {
      removed = true;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    socketPath,
    dbConfig,
    dbConfigPath,
    cli,
    halt,
    start,
    pause: pauseServer,
    resume,
    acceptQueue,
    async restart(): Promise<void> {
      await halt();
      await start();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Runs `fn` against a fresh server (see `startRedis`), stopped afterwards
 * even when `fn` throws or leaves it halted or paused.
 *
 * @example
 * ```ts
 * await withRedis(async (server) => {
 *   await server.cli("SET", "k", "v");
 * });
 * ```
 */
export async function withRedis<T>(
  fn: (server: RedisServer) => Promise<T>,
  options: StartRedisOptions = {},
): Promise<T> {
  const server = await startRedis(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** Poll interval helper for `start` (polling PING with a deadline). */
function pollDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function commandExists(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return true;
    } catch {
      // not here
    }
  }
  return false;
}
