/**
 * Packaging: `deno task compile` (dist/portsyncd, `deno compile` with the
 * permission set baked in), `deno task bundle` (dist/portsyncd.js, one file
 * that runs with nothing but Deno) and `deno task deb`
 * (dist/portsyncd_<version>_<arch>.deb with `dpkg-deb`).
 *
 * Every artefact is written to a temp file in its output directory and
 * renamed into place on success, so a failed build never leaves a
 * half-written file under its final name.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-env tools/package.ts compile|bundle|deb [--out-dir=DIR]
 * ```
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { permissionFlags } from "../src/daemon/permissions.ts";
import { v8FlagsArgument } from "../src/daemon/v8_flags.ts";

/** The repository root. */
export const ROOT: string = new URL("..", import.meta.url).pathname.replace(
  /\/$/,
  "",
);
/** Where the artefacts go by default. */
export const DIST: string = `${ROOT}/dist`;
/** The version in deno.json, the package's version. */
export const VERSION: string = denoJson.version;

/**
 * The Deno flags of every form of the daemon: the permission set of
 * `src/daemon/permissions.ts` and the V8 flags of `src/daemon/v8_flags.ts`
 * (`deno task start` spells out the same list; a test checks it).
 */
export function daemonFlags(): string[] {
  return [...permissionFlags(), v8FlagsArgument()];
}

/** A build failure, its message one line. */
export class PackageError extends Error {
  /** A one-line build failure. */
  constructor(message: string) {
    super(message);
    this.name = "PackageError";
  }
}

/** What a build produced. */
export interface BuildResult {
  /** The artefact's path. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** How long the build took, in ms. */
  ms: number;
}

/** Options shared by the builds. */
export interface BuildOptions {
  /** Output directory (default `dist/` of the repository). */
  outDir?: string;
}

interface RunResult {
  code: number;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** The last non-empty line of a tool's error output, for a one-line message. */
function lastLine(text: string): string {
  const lines = text.split("\n").map((line) => line.trim()).filter((line) =>
    line !== "" && !/^\d+: <unknown>$|^Stack backtrace:$/.test(line)
  );
  return lines.at(-1) ?? "no output";
}

async function removeQuietly(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/**
 * Runs `build(tmp)` for a temp path in `finalPath`'s directory and renames
 * the result to `finalPath`; the temp file is removed when it fails.
 */
async function buildAtomically(
  finalPath: string,
  build: (tmp: string) => Promise<void>,
): Promise<BuildResult> {
  const started = performance.now();
  const dir = finalPath.slice(0, finalPath.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  const name = finalPath.slice(dir.length + 1);
  const tmp = `${dir}/.${name}.tmp-${Deno.pid}`;
  try {
    await build(tmp);
    await Deno.rename(tmp, finalPath);
  } finally {
    await removeQuietly(tmp);
    // deno compile writes to `<output>.tmp-<random>` first; never leave one.
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(`.${name}.tmp-${Deno.pid}`)) {
        await removeQuietly(`${dir}/${entry.name}`);
      }
    }
  }
  const bytes = (await Deno.stat(finalPath)).size;
  return {
    path: finalPath,
    bytes,
    ms: Math.round(performance.now() - started),
  };
}

/**
 * `dist/portsyncd.js`: main.ts and every npm package in one ES module for
 * Deno (`deno bundle`), runnable from an empty directory.
 */
export function bundle(options: BuildOptions = {}): Promise<BuildResult> {
  const path = `${options.outDir ?? DIST}/portsyncd.js`;
  return buildAtomically(path, async (tmp) => {
    const result = await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      "--platform=deno",
      "--format=esm",
      "--packages=bundle",
      "--output",
      tmp,
      "main.ts",
    ]);
    if (result.code !== 0) {
      throw new PackageError(
        `portsyncd bundle: deno bundle failed: ${lastLine(result.stderr)}`,
      );
    }
    // The CommonJS npm packages inside call require("node:util") and the
    // like; an ES module has no `require`, so the bundle makes its own.
    const code = await Deno.readTextFile(tmp);
    await Deno.writeTextFile(tmp, REQUIRE_PRELUDE + code);
  });
}

/** Gives the bundle's CommonJS modules a `require` for Node built-ins. */
const REQUIRE_PRELUDE = [
  'import { createRequire as __portsyncdCreateRequire } from "node:module";',
  "const require = __portsyncdCreateRequire(import.meta.url);",
  "",
].join("\n");

/** Options of {@linkcode compile}. */
export interface CompileOptions extends BuildOptions {
  /** The denort runtime; default `$DENORT_BIN` (else deno downloads it). */
  denortBin?: string;
}

/**
 * `dist/portsyncd`: `deno compile` of main.ts with the permission set of
 * `src/daemon/permissions.ts` baked in. Without a reachable runtime it
 * fails with one line naming `DENORT_BIN`.
 */
export async function compile(
  options: CompileOptions = {},
): Promise<BuildResult> {
  const denort = options.denortBin ?? Deno.env.get("DENORT_BIN");
  const runtime = `the denort runtime of Deno ${Deno.version.deno}`;
  if (denort !== undefined && denort !== "") {
    const info = await Deno.stat(denort).catch(() => null);
    if (info === null || !info.isFile) {
      throw new PackageError(
        `portsyncd compile: DENORT_BIN=${denort} is not a file; point DENORT_BIN at ${runtime}`,
      );
    }
  }
  const path = `${options.outDir ?? DIST}/portsyncd`;
  return await buildAtomically(path, async (tmp) => {
    const result = await run(Deno.execPath(), [
      "compile",
      "--quiet",
      "--no-check",
      ...daemonFlags(),
      "--output",
      tmp,
      "main.ts",
    ], denort ? { DENORT_BIN: denort } : {});
    if (result.code === 0) return;
    const reason = lastLine(result.stderr);
    if (
      /denort|download|dns|dl\.deno\.land|connect|network/i.test(result.stderr)
    ) {
      throw new PackageError(
        `portsyncd compile: cannot obtain ${runtime} (${reason}); set DENORT_BIN to a local copy`,
      );
    }
    throw new PackageError(`portsyncd compile: deno compile failed: ${reason}`);
  });
}

/** The Debian architecture of this build. */
export function debianArch(): string {
  const arch =
    ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[
      Deno.build.arch
    ];
  if (arch === undefined) {
    throw new PackageError(
      `portsyncd deb: unsupported architecture ${Deno.build.arch}`,
    );
  }
  return arch;
}

/**
 * `/usr/bin/portsyncd` when no compiled binary exists: runs the bundle with
 * the Deno runtime beside it and exactly the permission set, found relative
 * to the script so an unpacked tree works as well as an installed one.
 */
export function wrapperScript(): string {
  const flags = daemonFlags().map((flag) => `'${flag}'`).join(" ");
  return [
    "#!/bin/sh",
    `# portsyncd ${VERSION}: the bundle run by the Deno ${Deno.version.deno} it was built with,`,
    "# with the permission set of src/daemon/permissions.ts (never --allow-all)",
    "# and the V8 flags of src/daemon/v8_flags.ts.",
    'lib="$(dirname "$(readlink -f "$0")")/../lib/portsyncd"',
    "export DENO_NO_UPDATE_CHECK=1",
    `exec "$lib/deno" run --no-config --no-lock --no-remote --no-npm --no-prompt ${flags} "$lib/portsyncd.js" "$@"`,
    "",
  ].join("\n");
}

async function copyWithMode(
  from: string,
  to: string,
  mode: number,
): Promise<void> {
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  await Deno.copyFile(from, to);
  await Deno.chmod(to, mode);
}

async function writeWithMode(
  path: string,
  text: string,
  mode: number,
): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
}

async function treeKiB(dir: string): Promise<number> {
  let bytes = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) bytes += (await treeKiB(path)) * 1024;
    else bytes += (await Deno.lstat(path)).size;
  }
  return Math.ceil(bytes / 1024);
}

/** Options of {@linkcode deb}. */
export interface DebOptions extends BuildOptions {
  /** A bundle already built (default: build one into the output dir). */
  bundlePath?: string;
}

/** What {@linkcode deb} produced. */
export interface DebResult extends BuildResult {
  /** `compiled` (dist/portsyncd) or `bundle` (the bundle and Deno). */
  kind: "compiled" | "bundle";
}

/**
 * `dist/portsyncd_<version>_<arch>.deb`: `/usr/bin/portsyncd` (the compiled
 * binary when `<outDir>/portsyncd` exists, else a wrapper running the
 * bundle with this Deno copied to `/usr/lib/portsyncd/deno`), the unit file
 * and the default config (a conffile).
 */
export async function deb(options: DebOptions = {}): Promise<DebResult> {
  const outDir = options.outDir ?? DIST;
  const arch = debianArch();
  const compiled = `${outDir}/portsyncd`;
  const kind = (await Deno.stat(compiled).catch(() => null))?.isFile
    ? "compiled"
    : "bundle";
  const staging = await Deno.makeTempDir({ prefix: "portsyncd-deb-" });
  try {
    if (kind === "compiled") {
      await copyWithMode(compiled, `${staging}/usr/bin/portsyncd`, 0o755);
    } else {
      const bundlePath = options.bundlePath ?? (await bundle({ outDir })).path;
      const lib = `${staging}/usr/lib/portsyncd`;
      await copyWithMode(bundlePath, `${lib}/portsyncd.js`, 0o644);
      await copyWithMode(Deno.execPath(), `${lib}/deno`, 0o755);
      await writeWithMode(
        `${staging}/usr/bin/portsyncd`,
        wrapperScript(),
        0o755,
      );
    }
    const packaging = `${ROOT}/packaging`;
    await copyWithMode(
      `${packaging}/portsyncd.service`,
      `${staging}/lib/systemd/system/portsyncd.service`,
      0o644,
    );
    await copyWithMode(
      `${packaging}/portsyncd.conf`,
      `${staging}/etc/sonic/portsyncd.conf`,
      0o644,
    );
    const installedKiB = await treeKiB(staging);
    const control = (await Deno.readTextFile(`${packaging}/debian/control.in`))
      .replace("@VERSION@", VERSION)
      .replace("Architecture: amd64", `Architecture: ${arch}`)
      .replace("@INSTALLED_SIZE@", String(installedKiB));
    await writeWithMode(`${staging}/DEBIAN/control`, control, 0o644);
    await copyWithMode(
      `${packaging}/debian/conffiles`,
      `${staging}/DEBIAN/conffiles`,
      0o644,
    );
    for (const script of ["postinst", "prerm", "postrm"]) {
      await copyWithMode(
        `${packaging}/debian/${script}`,
        `${staging}/DEBIAN/${script}`,
        0o755,
      );
    }
    const path = `${outDir}/portsyncd_${VERSION}_${arch}.deb`;
    const result = await buildAtomically(path, async (tmp) => {
      const built = await run("dpkg-deb", [
        "--root-owner-group",
        "--build",
        staging,
        tmp,
      ]);
      if (built.code !== 0) {
        throw new PackageError(
          `portsyncd deb: dpkg-deb failed: ${lastLine(built.stderr)}`,
        );
      }
    });
    return { ...result, kind };
  } finally {
    await removeQuietly(staging);
  }
}

function describe(result: BuildResult): string {
  return `${result.path} (${
    (result.bytes / 1048576).toFixed(1)
  } MiB in ${result.ms} ms)`;
}

if (import.meta.main) {
  const [what, outFlag, ...rest] = Deno.args;
  const outDir = outFlag?.startsWith("--out-dir=")
    ? outFlag.slice("--out-dir=".length)
    : undefined;
  if ((outFlag !== undefined && outDir === undefined) || rest.length > 0) {
    console.error("usage: tools/package.ts compile|bundle|deb [--out-dir=DIR]");
    Deno.exit(2);
  }
  try {
    if (what === "bundle") {
      console.log(`built ${describe(await bundle({ outDir }))}`);
    } else if (what === "compile") {
      console.log(`built ${describe(await compile({ outDir }))}`);
    } else if (what === "deb") {
      const result = await deb({ outDir });
      console.log(
        `built ${describe(result)} with the ${result.kind} portsyncd`,
      );
    } else {
      console.error(
        "usage: tools/package.ts compile|bundle|deb [--out-dir=DIR]",
      );
      Deno.exit(2);
    }
  } catch (error) {
    if (!(error instanceof PackageError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
}
