/**
 * Where a process's resident memory is, from `/proc/<pid>/status`,
 * `smaps_rollup` and `smaps`: anonymous against file-backed, and the largest
 * mappings grouped by name (the deno binary, libc, `[heap]`, unnamed
 * anonymous regions, which is where V8's heap and the allocator's arenas
 * live). Used by `tools/memory.ts`.
 * @module
 */

/** A process's memory, MiB. */
export interface MemoryFigures {
  /** VmRSS. */
  rss: number;
  /** VmHWM: the largest RSS so far. */
  hwm: number;
  /** Anonymous pages (heaps, stacks, V8, malloc). */
  anonymous: number;
  /** File-backed pages (the deno binary, shared libraries). */
  file: number;
  /** CPU time (user + system) the process used so far, ms. */
  cpuMs: number;
  /** The largest mappings by RSS, grouped by name (`anon` for unnamed). */
  top: { name: string; rss: number; count: number }[];
}

const KIB_PER_MIB = 1024;

function mib(kib: number): number {
  return Math.round(kib / KIB_PER_MIB * 10) / 10;
}

function field(text: string, name: string): number {
  const match = text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
  if (match === null) throw new Error(`no ${name} in /proc smaps/status`);
  return Number(match[1]);
}

/** Sums the RSS of `/proc/<pid>/smaps` mappings, grouped by mapped name. */
function groupMappings(smaps: string): Map<string, [number, number]> {
  const groups = new Map<string, [number, number]>();
  let name = "anon";
  for (const line of smaps.split("\n")) {
    const header = line.match(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/);
    if (header !== null) {
      name = header[1] === "" ? "anon" : header[1];
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+) kB/);
    if (rss === null) continue;
    const group = groups.get(name) ?? [0, 0];
    group[0] += Number(rss[1]);
    group[1]++;
    groups.set(name, group);
  }
  return groups;
}

/**
 * Reads `pid`'s memory figures; `top` keeps that many mapping groups.
 *
 * @example
 * ```ts ignore
 * const figures = await memoryFigures(Deno.pid, { top: 5 });
 * console.log(figures.rss, figures.anonymous, figures.file);
 * ```
 */
export async function memoryFigures(
  pid: number,
  options: { top?: number } = {},
): Promise<MemoryFigures> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const rollup = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`);
  const smaps = await Deno.readTextFile(`/proc/${pid}/smaps`);
  // Fields 14 and 15 of /proc/<pid>/stat (after the command's ") ").
  const stat = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]
    .split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = field(rollup, "Rss");
  const anonymous = field(rollup, "Anonymous");
  const top = [...groupMappings(smaps)]
    .sort((a, b) => b[1][0] - a[1][0])
    .slice(0, options.top ?? 8)
    .map(([name, [kib, count]]) => ({ name, rss: mib(kib), count }));
  return {
    rss: mib(field(status, "VmRSS")),
    hwm: mib(field(status, "VmHWM")),
    anonymous: mib(anonymous),
    file: mib(rss - anonymous),
    cpuMs: ticks * 10,
    top,
  };
}

/** V8 heap figures from the inspector, MiB. */
export interface HeapFigures {
  /** Heap in use before the forced GC. */
  used: number;
  /** Heap in use after a forced full GC: what is really retained. */
  live: number;
  /** Heap committed after the GC. */
  total: number;
}

/**
 * A Chrome DevTools Protocol session with a process started with
 * `--inspect=127.0.0.1:<port>`: V8's heap figures and heap snapshots.
 */
export class Inspector {
  readonly #socket: WebSocket;
  readonly #waiting = new Map<number, (reply: unknown) => void>();
  #chunks: string[] = [];
  #id = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.id !== undefined) {
        this.#waiting.get(message.id)?.(message.result);
        this.#waiting.delete(message.id);
      } else if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
        this.#chunks.push(message.params.chunk);
      }
    };
  }

  /** Connects to the inspector on `port` (retrying while it starts). */
  static async connect(port: number): Promise<Inspector> {
    const deadline = Date.now() + 10_000;
    while (true) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/json/list`);
        const [target] = await response.json();
        const socket = new WebSocket(target.webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        return new Inspector(socket);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  #send(method: string, params: unknown = {}): Promise<unknown> {
    const id = ++this.#id;
    const reply = new Promise<unknown>((resolve) => {
      this.#waiting.set(id, resolve);
    });
    this.#socket.send(JSON.stringify({ id, method, params }));
    return reply;
  }

  async #usage(): Promise<{ usedSize: number; totalSize: number }> {
    return await this.#send("Runtime.getHeapUsage") as {
      usedSize: number;
      totalSize: number;
    };
  }

  /** Heap in use, then forces a full GC and reads it again. */
  async heap(): Promise<HeapFigures> {
    const before = await this.#usage();
    await this.#send("HeapProfiler.collectGarbage");
    const after = await this.#usage();
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024 * 10) / 10;
    return {
      used: mb(before.usedSize),
      live: mb(after.usedSize),
      total: mb(after.totalSize),
    };
  }

  /** Writes a heap snapshot (`.heapsnapshot`, for Chrome's DevTools) to `path`. */
  async snapshot(path: string): Promise<void> {
    this.#chunks = [];
    await this.#send("HeapProfiler.enable");
    await this.#send("HeapProfiler.takeHeapSnapshot", {
      reportProgress: false,
    });
    await Deno.writeTextFile(path, this.#chunks.join(""));
    this.#chunks = [];
  }

  /** Closes the session. */
  close(): void {
    this.#socket.close();
  }
}
