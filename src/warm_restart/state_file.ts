/**
 * The warm-restart state file on disk: the one I/O file of warm restart.
 * Written atomically (a temp file in the same directory, written, fsynced,
 * renamed over the file, the directory fsynced), the previous good file
 * kept as `<file>.prev`; read at start, falling back to `.prev` when the
 * file is missing or unusable. Nothing here throws: problems are logged
 * (once) and reported in the return values, so the daemon keeps running
 * without the file.
 * @module
 */

import type { LogFields, Logger } from "../log/mod.ts";
import {
  decodeState,
  encodeState,
  MAX_STATE_BYTES,
  type StateBody,
  stateFileName,
} from "./state_codec.ts";

/** Options of {@linkcode StateFile}. */
export interface StateFileOptions {
  /** The namespace watched (`""`: portsyncd's own); names the file. */
  namespace: string;
  /** Where problems are logged. */
  log: Logger;
}

/** The outcome of {@linkcode StateFile.load}. */
export interface LoadedState {
  /** The state read, or null when there was no usable file. */
  body: StateBody | null;
  /** The path it came from (the file or its `.prev`), or null. */
  source: string | null;
  /** Files read (usable or corrupt; a missing or unreadable one is not read). */
  reads: number;
  /** Files read that were corrupt. */
  corrupt: number;
}

/** What reading one file found. */
type Read =
  | { kind: "missing" }
  | { kind: "ok"; body: StateBody }
  | { kind: "corrupt"; problem: string }
  | { kind: "unreadable"; problem: string };

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readState(path: string): Promise<Read> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (info.isFile && info.size > MAX_STATE_BYTES) {
      return {
        kind: "corrupt",
        problem: `${info.size} bytes, larger than ${MAX_STATE_BYTES}`,
      };
    }
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    return { kind: "unreadable", problem: describe(error) };
  }
  const decoded = decodeState(text);
  return decoded.ok
    ? { kind: "ok", body: decoded.body }
    : { kind: "corrupt", problem: decoded.problem };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await file.write(bytes.subarray(offset));
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * One namespace's state file under a directory.
 *
 * @example
 * ```ts
 * import { StateFile } from "./state_file.ts";
 * import type { Logger } from "../log/mod.ts";
 * declare const log: Logger;
 * const file = new StateFile("/var/lib/sonic/portsyncd", { namespace: "", log });
 * const { body } = await file.load();
 * if (body !== null) {
 *   await file.save({ ...body, saved_at: new Date().toISOString() });
 * }
 * ```
 */
export class StateFile {
  /** The directory (created, 0755, when missing). */
  readonly dir: string;
  /** The file, e.g. `/var/lib/sonic/portsyncd/ports.json`. */
  readonly path: string;
  /** The previous good copy, `<path>.prev`. */
  readonly prevPath: string;
  readonly #log: Logger;
  /** True when the file at `path` is known good (so it may become `.prev`). */
  #currentGood = false;
  /** True after a failure was logged, until a write succeeds. */
  #failing = false;

  /** Names the file of `options.namespace` under `dir` (nothing is touched yet). */
  constructor(dir: string, options: StateFileOptions) {
    this.dir = dir.replace(/\/+$/, "") || "/";
    this.path = `${this.dir === "/" ? "" : this.dir}/${
      stateFileName(options.namespace)
    }`;
    this.prevPath = `${this.path}.prev`;
    this.#log = options.log;
  }

  /**
   * Creates the directory when missing; false (logged once) when it cannot
   * be created.
   */
  async prepare(): Promise<boolean> {
    try {
      await Deno.mkdir(this.dir, { recursive: true, mode: 0o755 });
      return true;
    } catch (error) {
      this.#failed(error);
      return false;
    }
  }

  /**
   * Reads the file, or `.prev` when the file is missing or unusable. Logs
   * one line when something is wrong (naming the file and the problem, and
   * whether the previous copy was used).
   */
  async load(): Promise<LoadedState> {
    const main = await readState(this.path);
    if (main.kind === "ok") {
      this.#currentGood = true;
      this.#log.info("warm-restart state loaded", {
        file: this.path,
        ports: main.body.ports.length,
        saved_at: main.body.saved_at,
      });
      return { body: main.body, source: this.path, reads: 1, corrupt: 0 };
    }
    const prev = await readState(this.prevPath);
    const reads =
      [main, prev].filter((read) =>
        read.kind === "ok" || read.kind === "corrupt"
      ).length;
    const corrupt = [main, prev].filter((read) => read.kind === "corrupt")
      .length;
    const loaded: LoadedState = prev.kind === "ok"
      ? { body: prev.body, source: this.prevPath, reads, corrupt }
      : { body: null, source: null, reads, corrupt };
    this.#logLoad(main, prev);
    return loaded;
  }

  #logLoad(main: Exclude<Read, { kind: "ok" }>, prev: Read): void {
    if (main.kind === "missing" && prev.kind === "missing") {
      this.#log.info("no warm-restart state file yet", { file: this.path });
      return;
    }
    const message = main.kind === "missing"
      ? "warm-restart state file is missing"
      : main.kind === "corrupt"
      ? "warm-restart state file is corrupt"
      : "cannot read the warm-restart state file";
    const fields: LogFields = { file: this.path };
    if (main.kind !== "missing") fields.problem = main.problem;
    if (prev.kind === "ok") {
      fields.recovered_from = this.prevPath;
    } else {
      fields.previous_copy = prev.kind === "missing" ? "missing" : prev.problem;
      fields.using = "no saved state";
    }
    this.#log.warn(message, fields);
  }

  /**
   * Writes `body` atomically; the file it replaces becomes `.prev` when it
   * was good (a corrupt file is overwritten, keeping the good `.prev`).
   * Returns false when it could not be written (logged once until a
   * write succeeds again).
   */
  async save(body: StateBody): Promise<boolean> {
    const bytes = new TextEncoder().encode(encodeState(body));
    const temp = `${this.path}.tmp-${Deno.pid}`;
    try {
      await Deno.mkdir(this.dir, { recursive: true, mode: 0o755 });
      const file = await Deno.open(temp, {
        write: true,
        create: true,
        truncate: true,
        mode: 0o644,
      });
      try {
        await writeAll(file, bytes);
        await file.sync();
      } finally {
        file.close();
      }
      if (this.#currentGood) await this.#rotate();
      await Deno.rename(temp, this.path);
      await syncDir(this.dir);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      this.#failed(error);
      return false;
    }
    this.#currentGood = true;
    if (this.#failing) {
      this.#failing = false;
      this.#log.info("warm-restart state file written again", {
        file: this.path,
      });
    }
    return true;
  }

  /** Moves the (good) file to `.prev`; a file someone removed is no error. */
  async #rotate(): Promise<void> {
    try {
      await Deno.rename(this.path, this.prevPath);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  #failed(error: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#log.error(
      "cannot write the warm-restart state file; running without it",
      { file: this.path, error: describe(error) },
    );
  }
}
