/**
 * Packaging (tools/package.ts): the bundle runs from an empty directory with
 * nothing but Deno; compile fails in one line naming DENORT_BIN and leaves
 * nothing behind where the runtime cannot be had (and, where DENORT_BIN
 * points at a runtime, builds a binary that runs); the .deb lists its files
 * and its extracted `portsyncd` runs `--version` and `--check-config`.
 * The bundle is built once for the file.
 * @module
 */

import assert from "node:assert/strict";
import {
  bundle,
  compile,
  deb,
  PackageError,
  ROOT,
  VERSION,
} from "../../tools/package.ts";
import { permissionFlags } from "../../src/daemon/permissions.ts";
import { sonicDbConfigJson } from "../helpers/redis_server.ts";

const decoder = new TextDecoder();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

/** A database_config.json in `dir` (nothing listens on its socket). */
async function writeDbConfig(dir: string): Promise<string> {
  const path = `${dir}/database_config.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify(sonicDbConfigJson(`${dir}/redis.sock`)),
  );
  return path;
}

const DPKG = (await run("sh", ["-c", "command -v dpkg-deb"])).code === 0;

Deno.test("packaging", async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "portsyncd-dist-" });
  try {
    const built = await bundle({ outDir });
    assert.equal(built.path, `${outDir}/portsyncd.js`);
    assert.deepEqual(await names(outDir), ["portsyncd.js"]);

    await t.step(
      "the bundle runs from an empty directory with only Deno",
      async () => {
        const empty = await Deno.makeTempDir({ prefix: "portsyncd-empty-" });
        try {
          await Deno.copyFile(built.path, `${empty}/portsyncd.js`);
          const flags = [
            "run",
            "--no-config",
            "--no-lock",
            ...permissionFlags(),
          ];
          const version = await run(Deno.execPath(), [
            ...flags,
            "portsyncd.js",
            "--version",
          ], { cwd: empty });
          assert.equal(version.code, 0, version.stderr);
          assert.equal(version.stdout.trim(), VERSION);
          const check = await run(Deno.execPath(), [
            ...flags,
            "portsyncd.js",
            "--check-config",
            "--store",
            "memory",
          ], { cwd: empty });
          assert.equal(check.code, 0, check.stderr);
          assert.match(check.stdout + check.stderr, /configuration OK/);
          assert.deepEqual(await names(empty), ["portsyncd.js"]);
        } finally {
          await Deno.remove(empty, { recursive: true });
        }
      },
    );

    await t.step(
      "compile with a DENORT_BIN that is not there: one line, nothing left",
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "portsyncd-compile-" });
        try {
          const result = await run(Deno.execPath(), [
            "run",
            "--allow-read",
            "--allow-write",
            "--allow-run",
            "--allow-env",
            `${ROOT}/tools/package.ts`,
            "compile",
            `--out-dir=${dir}`,
          ], { env: { DENORT_BIN: `${dir}/no-denort` } });
          assert.equal(result.code, 1);
          const lines = result.stderr.trim().split("\n");
          assert.equal(lines.length, 1, result.stderr);
          assert.match(
            lines[0],
            /^portsyncd compile: DENORT_BIN=.*no-denort is not a file/,
          );
          assert.deepEqual(await names(dir), []);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    await t.step(
      "compile without DENORT_BIN: a binary that runs, or one line naming DENORT_BIN and nothing left",
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "portsyncd-compile-" });
        const saved = Deno.env.get("DENORT_BIN");
        Deno.env.delete("DENORT_BIN");
        try {
          const result = await compile({ outDir: dir }).catch((error) => error);
          if (result instanceof PackageError) {
            assert.doesNotMatch(result.message, /\n/);
            assert.match(result.message, /DENORT_BIN/);
            assert.deepEqual(await names(dir), []);
          } else {
            if (result instanceof Error) throw result;
            const ran = await run(result.path, ["--version"]);
            assert.equal(ran.stdout.trim(), VERSION);
          }
        } finally {
          if (saved !== undefined) Deno.env.set("DENORT_BIN", saved);
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    const denort = Deno.env.get("DENORT_BIN");
    await t.step({
      name: "compile with DENORT_BIN: dist/portsyncd runs --version",
      ignore: denort === undefined || denort === "",
      fn: async () => {
        const dir = await Deno.makeTempDir({ prefix: "portsyncd-compile-" });
        try {
          const result = await compile({ outDir: dir, denortBin: denort });
          assert.deepEqual(await names(dir), ["portsyncd"]);
          const ran = await run(result.path, ["--version"]);
          assert.equal(ran.code, 0, ran.stderr);
          assert.equal(ran.stdout.trim(), VERSION);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    });

    await t.step({
      name:
        "the .deb lists its files, extracts and runs --version and --check-config",
      ignore: !DPKG,
      fn: async () => {
        const result = await deb({ outDir, bundlePath: built.path });
        assert.equal(result.kind, "bundle");
        assert.match(
          result.path,
          new RegExp(
            `/portsyncd_${VERSION.replaceAll(".", "\\.")}_amd64\\.deb$`,
          ),
        );
        const info = await run("dpkg-deb", ["--info", result.path]);
        assert.equal(info.code, 0, info.stderr);
        assert.match(info.stdout, /^ Package: portsyncd$/m);
        assert.match(info.stdout, new RegExp(`^ Version: ${VERSION}$`, "m"));
        assert.match(info.stdout, /^ Architecture: amd64$/m);
        assert.match(info.stdout, /\bconffiles\b/);
        const contents = await run("dpkg-deb", ["--contents", result.path]);
        for (
          const path of [
            "./usr/bin/portsyncd",
            "./usr/lib/portsyncd/deno",
            "./usr/lib/portsyncd/portsyncd.js",
            "./lib/systemd/system/portsyncd.service",
            "./etc/sonic/portsyncd.conf",
          ]
        ) {
          assert.match(
            contents.stdout,
            new RegExp(` ${path.replaceAll(".", "\\.")}$`, "m"),
            path,
          );
        }
        const root = await Deno.makeTempDir({ prefix: "portsyncd-root-" });
        try {
          const extracted = await run("dpkg-deb", ["-x", result.path, root]);
          assert.equal(extracted.code, 0, extracted.stderr);
          const control = await run("dpkg-deb", [
            "-e",
            result.path,
            `${root}/DEBIAN`,
          ]);
          assert.equal(control.code, 0, control.stderr);
          assert.equal(
            (await Deno.readTextFile(`${root}/DEBIAN/conffiles`)).trim(),
            "/etc/sonic/portsyncd.conf",
          );
          const portsyncd = `${root}/usr/bin/portsyncd`;
          const version = await run(portsyncd, ["--version"], { cwd: root });
          assert.equal(version.code, 0, version.stderr);
          assert.equal(version.stdout.trim(), VERSION);
          const dbConfig = await writeDbConfig(root);
          const check = await run(portsyncd, [
            "--check-config",
            "--config",
            `${root}/etc/sonic/portsyncd.conf`,
            "--db-config",
            dbConfig,
          ], { cwd: root });
          assert.equal(check.code, 0, check.stderr);
          assert.match(check.stdout + check.stderr, /configuration OK/);
          const bad = `${root}/bad.conf`;
          await Deno.writeTextFile(bad, '[log]\nlevel = "loud"\n');
          const refused = await run(portsyncd, [
            "--check-config",
            "--config",
            bad,
            "--db-config",
            dbConfig,
          ]);
          assert.equal(refused.code, 1);
          assert.match(refused.stderr, /level/);
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      },
    });

    await t.step({
      name: "the .deb carries the compiled binary when dist/portsyncd exists",
      ignore: !DPKG,
      fn: async () => {
        const dir = await Deno.makeTempDir({ prefix: "portsyncd-compiled-" });
        try {
          // A stand-in for the deno compile output (no runtime here).
          await Deno.writeTextFile(
            `${dir}/portsyncd`,
            `#!/bin/sh\necho ${VERSION}\n`,
          );
          await Deno.chmod(`${dir}/portsyncd`, 0o755);
          const result = await deb({ outDir: dir });
          assert.equal(result.kind, "compiled");
          const contents = await run("dpkg-deb", ["--contents", result.path]);
          assert.match(contents.stdout, / \.\/usr\/bin\/portsyncd$/m);
          assert.doesNotMatch(contents.stdout, /usr\/lib\/portsyncd/);
          assert.deepEqual(await names(dir), [
            "portsyncd",
            `portsyncd_${VERSION}_amd64.deb`,
          ]);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    });
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
