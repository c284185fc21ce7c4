/**
 * Private network namespaces for integration tests: create one with a unique
 * name, run `ip -n NAME ...` in it, destroy it (always, in `finally`).
 *
 * @example
 * ```ts ignore
 * import { addVeth, createNetns, netnsSkipReason } from "./netns.ts";
 * Deno.test({ name: "veth", ignore: netnsSkipReason() !== null }, async () => {
 *   const ns = await createNetns();
 *   try {
 *     await addVeth(ns, { name: "Ethernet0", peer: "Ethernet4" });
 *   } finally {
 *     await ns.destroy();
 *   }
 * });
 * ```
 * @module
 */

const IP_CANDIDATES = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];

/** A namespace created by {@linkcode createNetns}. */
export interface Netns {
  /** The namespace name, e.g. `psd-nl-1234-ab12cd`. */
  readonly name: string;
  /** Its bind-mount path, `/run/netns/<name>`. */
  readonly path: string;
  /** Runs `ip -n <name> ...args`; resolves stdout, rejects with stderr. */
  ip(...args: string[]): Promise<string>;
  /** Runs `ip -n <name> -batch -` with one command per line. */
  ipBatch(lines: readonly string[]): Promise<string>;
  /** Deletes the namespace (and its links). Idempotent. */
  destroy(): Promise<void>;
}

/** Options of {@linkcode createNetns}. */
export interface CreateNetnsOptions {
  /** Name prefix; defaults to `psd-nl`. The pid and a random tag follow. */
  prefix?: string;
}

/**
 * Why namespace tests cannot run here (not root, no `ip`, missing
 * permissions: sys, run, ffi, read), or null when they can. Use it as
 * `ignore:`.
 *
 * @example
 * ```ts ignore
 * const reason = netnsSkipReason();
 * Deno.test({ name: "x", ignore: reason !== null, fn() {} });
 * ```
 */
export function netnsSkipReason(): string | null {
  try {
    if (Deno.uid() !== 0) return "needs root to create network namespaces";
  } catch {
    return "needs --allow-sys to check for root";
  }
  for (const name of ["run", "ffi", "read"] as const) {
    if (Deno.permissions.querySync({ name }).state !== "granted") {
      return `needs --allow-${name}`;
    }
  }
  if (findIp() === null) return "the `ip` command (iproute2) is missing";
  return null;
}

function findIp(): string | null {
  for (const candidate of IP_CANDIDATES) {
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // not here; try the next one
    }
  }
  return null;
}

async function run(
  args: string[],
  stdin: string | null = null,
): Promise<string> {
  const ip = findIp() ?? "ip";
  const command = new Deno.Command(ip, {
    args,
    stdin: stdin === null ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (stdin !== null) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const text = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `ip ${args.join(" ")} failed (${output.code}): ${
        text.decode(output.stderr).trim()
      }`,
    );
  }
  return text.decode(output.stdout);
}

/**
 * Creates a fresh namespace named `<prefix>-<pid>-<random>` with `lo` up.
 *
 * @example
 * ```ts ignore
 * const ns = await createNetns();
 * try {
 *   await ns.ip("link", "show");
 * } finally {
 *   await ns.destroy();
 * }
 * ```
 */
export async function createNetns(
  options: CreateNetnsOptions = {},
): Promise<Netns> {
  const prefix = options.prefix ?? "psd-nl";
  const tag = crypto.randomUUID().slice(0, 8);
  const name = `${prefix}-${Deno.pid}-${tag}`;
  await run(["netns", "add", name]);
  let destroyed = false;
  const ns: Netns = {
    name,
    path: `/run/netns/${name}`,
    ip: (...args: string[]) => run(["-n", name, ...args]),
    ipBatch: (lines: readonly string[]) =>
      run(["-n", name, "-batch", "-"], lines.join("\n") + "\n"),
    async destroy(): Promise<void> {
      if (destroyed) return;
      destroyed = true;
      await run(["netns", "del", name]);
    },
  };
  try {
    await ns.ip("link", "set", "lo", "up");
  } catch (error) {
    await ns.destroy();
    throw error;
  }
  return ns;
}

/** The two ends of a veth pair, as {@linkcode addVeth} creates them. */
export interface VethPair {
  /** The first end, e.g. `Ethernet0`. */
  name: string;
  /** The other end, e.g. `Ethernet4`. */
  peer: string;
}

/** The pair {@linkcode withVeth} creates. */
const DEFAULT_VETH: Readonly<VethPair> = Object.freeze({
  name: "Ethernet0",
  peer: "Ethernet4",
});

/**
 * Adds the veth pair `pair.name <-> pair.peer` to `ns` (both ends down).
 *
 * @example
 * ```ts ignore
 * await addVeth(ns, { name: "Ethernet8", peer: "Ethernet12" });
 * ```
 */
export async function addVeth(ns: Netns, pair: VethPair): Promise<void> {
  await ns.ip(
    "link",
    "add",
    pair.name,
    "type",
    "veth",
    "peer",
    "name",
    pair.peer,
  );
}

/**
 * Runs `fn` with a fresh namespace holding the veth pair
 * `Ethernet0 <-> Ethernet4`; the namespace is destroyed afterwards, whether
 * `fn` succeeds or not.
 *
 * @example
 * ```ts ignore
 * await withVeth(async (ns) => {
 *   await ns.ip("link", "set", "Ethernet0", "up");
 * });
 * ```
 */
export async function withVeth(
  fn: (ns: Netns) => Promise<void>,
): Promise<void> {
  const ns = await createNetns();
  try {
    await addVeth(ns, DEFAULT_VETH);
    await fn(ns);
  } finally {
    await ns.destroy();
  }
}
