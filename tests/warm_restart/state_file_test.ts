/**
 * The warm-restart state file: its codec (round trip, truncated, garbage,
 * wrong checksum, wrong format or version, invalid body) and the file on
 * disk (atomic save with a `.prev` copy, recovery from `.prev`, a missing
 * directory created, an unwritable one logged once), in temp directories.
 * @module
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";
import { emptyCounters } from "../../src/warm_restart/metrics.ts";
import {
  decodeState,
  encodeState,
  type StateBody,
  stateFileName,
} from "../../src/warm_restart/state_codec.ts";
import { StateFile } from "../../src/warm_restart/state_file.ts";

function sampleBody(overrides: Partial<StateBody> = {}): StateBody {
  return {
    namespace: "",
    saved_at: "2026-01-02T03:04:05.678Z",
    metrics: {
      ...emptyCounters(),
      cold_starts: 2,
      warm_restarts: 1,
      eoiu_detected: 3,
      state_reads: 2,
      recovery_checks: 4,
      state_recoveries: 4,
      initial_sync_ms_last: 12.5,
      initial_sync_ms_min: 3.25,
      initial_sync_ms_max: 40.125,
    },
    ports: [
      { name: "Ethernet0", admin: "up", oper: "up", mtu: 9100, ifindex: 5 },
      { name: "Ethernet4", admin: "down", oper: "down", mtu: null, ifindex: 6 },
    ],
    ...overrides,
  };
}

function problemOf(text: string): string {
  const result = decodeState(text);
  assert.equal(result.ok, false, "decoded a bad file");
  return (result as { problem: string }).problem;
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-state-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function logged(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return {
    lines,
    log: createLogger("debug", { sink: (line) => lines.push(line) }),
  };
}

Deno.test("state codec: round trip, also after reformatting", () => {
  const body = sampleBody();
  const text = encodeState(body);
  assert.deepEqual(decodeState(text), { ok: true, body });
  const compact = JSON.stringify(JSON.parse(text));
  assert.deepEqual(decodeState(compact), { ok: true, body });
});

Deno.test("state codec: file names per namespace", () => {
  assert.equal(stateFileName(""), "ports.json");
  assert.equal(stateFileName("asic0"), "ports-asic0.json");
  assert.equal(stateFileName("ns-1.a_b"), "ports-ns-1.a_b.json");
  assert.equal(stateFileName("a b"), "ports-a%20b.json");
  assert.equal(stateFileName("a%20b"), "ports-a%2520b.json");
  assert.equal(stateFileName("é"), "ports-%C3%A9.json");
  assert.equal(stateFileName("/run/netns/asic0"), "ports-asic0.json");
  assert.equal(
    stateFileName("/proc/1/ns/net"),
    "ports-%2Fproc%2F1%2Fns%2Fnet.json",
  );
  const long = stateFileName("%".repeat(255));
  assert.ok(long.length + ".prev".length <= 255, long);
  assert.match(long, /^ports-(%25)+~[0-9a-f]{32}\.json$/);
  assert.notEqual(long, stateFileName("%".repeat(254)));
});

Deno.test("state codec: an empty, truncated or garbage file", () => {
  assert.equal(problemOf(""), "empty file");
  assert.equal(problemOf("\n  \n"), "empty file");
  const text = encodeState(sampleBody());
  assert.match(
    problemOf(text.slice(0, Math.floor(text.length / 2))),
    /^not valid JSON \(truncated or garbage\): /,
  );
  assert.match(
    problemOf("\u0000\u0001garbage\u00ff"),
    /^not valid JSON \(truncated or garbage\): /,
  );
  assert.equal(
    problemOf('{"some":"other json"}'),
    "not a portsyncd-warm-restart-state file",
  );
  assert.equal(problemOf("[1,2]"), "not a portsyncd-warm-restart-state file");
});

Deno.test("state codec: a changed value fails the checksum", () => {
  const text = encodeState(sampleBody());
  const edited = text.replace('"mtu": 9100', '"mtu": 1500');
  assert.notEqual(edited, text);
  assert.match(problemOf(edited), /^checksum mismatch: file says sha256 /);
  const file = JSON.parse(text);
  delete file.sha256;
  assert.equal(problemOf(JSON.stringify(file)), "no sha256 checksum");
});

Deno.test("state codec: another version, or a body that is not valid", () => {
  const file = JSON.parse(encodeState(sampleBody()));
  assert.equal(
    problemOf(JSON.stringify({ ...file, version: 2 })),
    "unsupported version 2 (this portsyncd reads 1)",
  );
  // A valid checksum over an invalid body (written by hand).
  const bad = sampleBody();
  (bad.metrics as unknown as Record<string, unknown>).cold_starts = -1;
  assert.match(
    problemOf(encodeState(bad)),
    /^body\.metrics\.cold_starts: /,
  );
  const inconsistent = sampleBody();
  inconsistent.metrics.state_recoveries = 9;
  assert.equal(
    problemOf(encodeState(inconsistent)),
    "body.metrics: state_recoveries exceeds recovery_checks",
  );
  const badPort = sampleBody();
  (badPort.ports[0] as unknown as Record<string, unknown>).admin = "sideways";
  assert.match(problemOf(encodeState(badPort)), /^body\.ports\.0\.admin: /);
});

Deno.test("state file: round trip, the previous copy kept as .prev", async () => {
  await withDir(async (dir) => {
    const { lines, log } = logged();
    const file = new StateFile(dir, { namespace: "asic0", log });
    assert.equal(file.path, `${dir}/ports-asic0.json`);
    assert.equal(file.prevPath, `${dir}/ports-asic0.json.prev`);
    const first = sampleBody({ namespace: "asic0" });
    const second = sampleBody({ namespace: "asic0", saved_at: "later" });
    assert.equal(await file.save(first), true);
    assert.equal(await file.save(second), true);
    assert.deepEqual(
      decodeState(await Deno.readTextFile(file.prevPath)),
      { ok: true, body: first },
    );
    const loaded = await new StateFile(dir, { namespace: "asic0", log }).load();
    assert.deepEqual(loaded, {
      body: second,
      source: file.path,
      reads: 1,
      corrupt: 0,
    });
    assert.equal((await Deno.stat(file.path)).mode! & 0o777, 0o644);
    const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assert.deepEqual(names, ["ports-asic0.json", "ports-asic0.json.prev"]);
    assert.match(
      lines.at(-1)!,
      /^INFO warm-restart state loaded file=.* ports=2/,
    );
  });
});

Deno.test("state file: none yet", async () => {
  await withDir(async (dir) => {
    const { lines, log } = logged();
    const loaded = await new StateFile(dir, { namespace: "", log }).load();
    assert.deepEqual(loaded, {
      body: null,
      source: null,
      reads: 0,
      corrupt: 0,
    });
    assert.deepEqual(lines, [
      `INFO no warm-restart state file yet file=${dir}/ports.json`,
    ]);
  });
});

/** Saves two good files (so `.prev` is good), then damages the file. */
async function damaged(
  dir: string,
  damage: (text: string) => string,
): Promise<{ file: StateFile; good: StateBody }> {
  const { log } = logged();
  const file = new StateFile(dir, { namespace: "", log });
  const good = sampleBody({ saved_at: "previous" });
  await file.save(good);
  await file.save(sampleBody({ saved_at: "latest" }));
  await Deno.writeTextFile(
    file.path,
    damage(await Deno.readTextFile(file.path)),
  );
  return { file, good };
}

const DAMAGES: {
  name: string;
  damage: (text: string) => string;
  problem: RegExp;
}[] = [
  {
    name: "truncated",
    damage: (text) => text.slice(0, 40),
    problem: /problem="not valid JSON \(truncated or garbage\): /,
  },
  {
    name: "garbage",
    damage: () => "\u0007\u0000 this is not a state file",
    problem: /problem="not valid JSON \(truncated or garbage\): /,
  },
  {
    name: "wrong checksum",
    damage: (text) => text.replace('"cold_starts": 2', '"cold_starts": 7'),
    problem: /problem="checksum mismatch: /,
  },
  {
    name: "empty",
    damage: () => "",
    problem: /problem="empty file"/,
  },
];

for (const { name, damage, problem } of DAMAGES) {
  Deno.test(`state file: ${name}: detected, counted, recovered from .prev, logged once`, async () => {
    await withDir(async (dir) => {
      const { file, good } = await damaged(dir, damage);
      const { lines, log } = logged();
      const loaded = await new StateFile(dir, { namespace: "", log }).load();
      assert.deepEqual(loaded, {
        body: good,
        source: file.prevPath,
        reads: 2,
        corrupt: 1,
      });
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(
        lines[0],
        new RegExp(
          `^WARN warm-restart state file is corrupt file=${file.path} `,
        ),
      );
      assert.match(lines[0], problem);
      assert.match(lines[0], new RegExp(`recovered_from=${file.prevPath}$`));
    });
  });
}

Deno.test("state file: the next save replaces the corrupt file and keeps the good .prev", async () => {
  await withDir(async (dir) => {
    const { file, good } = await damaged(dir, (text) => text.slice(0, 10));
    const { log } = logged();
    const again = new StateFile(dir, { namespace: "", log });
    await again.load();
    const next = sampleBody({ saved_at: "next" });
    assert.equal(await again.save(next), true);
    assert.deepEqual(decodeState(await Deno.readTextFile(file.path)), {
      ok: true,
      body: next,
    });
    assert.deepEqual(decodeState(await Deno.readTextFile(file.prevPath)), {
      ok: true,
      body: good,
    });
    // Once the file is good again, it becomes .prev on the save after.
    await again.save(sampleBody({ saved_at: "after" }));
    assert.deepEqual(decodeState(await Deno.readTextFile(file.prevPath)), {
      ok: true,
      body: next,
    });
  });
});

Deno.test("state file: corrupt with no previous copy, and both corrupt", async (t) => {
  await t.step("no .prev", async () => {
    await withDir(async (dir) => {
      const { lines, log } = logged();
      const file = new StateFile(dir, { namespace: "", log });
      await Deno.writeTextFile(file.path, "{");
      assert.deepEqual(await file.load(), {
        body: null,
        source: null,
        reads: 1,
        corrupt: 1,
      });
      assert.equal(lines.length, 1);
      assert.match(
        lines[0],
        /^WARN warm-restart state file is corrupt file=\S+ problem=.* previous_copy=missing using="no saved state"$/,
      );
    });
  });
  await t.step("both corrupt", async () => {
    await withDir(async (dir) => {
      const { lines, log } = logged();
      const file = new StateFile(dir, { namespace: "", log });
      await Deno.writeTextFile(file.path, "{");
      await Deno.writeTextFile(file.prevPath, "garbage");
      assert.deepEqual(await file.load(), {
        body: null,
        source: null,
        reads: 2,
        corrupt: 2,
      });
      assert.equal(lines.length, 1);
      assert.match(lines[0], /previous_copy="not valid JSON/);
    });
  });
});

Deno.test("state file: missing, with a good .prev (a crash between the renames)", async () => {
  await withDir(async (dir) => {
    const { log } = logged();
    const file = new StateFile(dir, { namespace: "", log });
    const good = sampleBody();
    await file.save(good);
    await Deno.rename(file.path, file.prevPath);
    const { lines, log: log2 } = logged();
    const loaded = await new StateFile(dir, { namespace: "", log: log2 })
      .load();
    assert.deepEqual(loaded, {
      body: good,
      source: file.prevPath,
      reads: 1,
      corrupt: 0,
    });
    assert.match(
      lines[0],
      /^WARN warm-restart state file is missing file=\S+ recovered_from=/,
    );
  });
});

Deno.test("state file: a file that cannot be read is logged, not counted as corrupt", async () => {
  await withDir(async (dir) => {
    const { lines, log } = logged();
    const file = new StateFile(dir, { namespace: "", log });
    await Deno.mkdir(file.path);
    assert.deepEqual(await file.load(), {
      body: null,
      source: null,
      reads: 0,
      corrupt: 0,
    });
    assert.match(
      lines[0],
      /^WARN cannot read the warm-restart state file file=\S+ problem=".*[Ii]s a directory/,
    );
  });
});

Deno.test("state file: a missing directory is created (0755)", async () => {
  await withDir(async (dir) => {
    const { lines, log } = logged();
    const nested = `${dir}/var/lib/sonic/portsyncd`;
    const file = new StateFile(nested, { namespace: "", log });
    assert.equal(await file.prepare(), true);
    assert.equal((await Deno.stat(nested)).isDirectory, true);
    assert.equal(
      (await Deno.stat(nested)).mode! & 0o777,
      0o755 & ~Deno.umask(),
    );
    await Deno.remove(`${dir}/var`, { recursive: true });
    assert.equal(await file.save(sampleBody()), true, "re-created on save");
    assert.equal((await file.load()).body?.saved_at, sampleBody().saved_at);
    assert.deepEqual(
      lines.filter((line) =>
        !line.startsWith("INFO warm-restart state loaded")
      ),
      [],
    );
  });
});

Deno.test("state file: a directory that cannot be created is one line, however many saves fail", async () => {
  await withDir(async (dir) => {
    const { lines, log } = logged();
    await Deno.writeTextFile(`${dir}/plain-file`, "");
    const file = new StateFile(`${dir}/plain-file/state`, {
      namespace: "",
      log,
    });
    assert.equal(await file.prepare(), false);
    assert.deepEqual(await file.load(), {
      body: null,
      source: null,
      reads: 0,
      corrupt: 0,
    });
    assert.equal(await file.save(sampleBody()), false);
    assert.equal(await file.save(sampleBody()), false);
    const errors = lines.filter((line) => line.startsWith("ERROR"));
    assert.equal(errors.length, 1, lines.join("\n"));
    assert.match(
      errors[0],
      /^ERROR cannot write the warm-restart state file; running without it file=\S+\/plain-file\/state\/ports\.json error="Not a directory/,
    );
    // It comes back: the next good write says so, once.
    await Deno.remove(`${dir}/plain-file`);
    assert.equal(await file.save(sampleBody()), true);
    assert.match(lines.at(-1)!, /^INFO warm-restart state file written again/);
  });
});

Deno.test("state file: a directory that refuses writes (the file's place taken by a directory)", async () => {
  await withDir(async (dir) => {
    const { lines, log } = logged();
    const file = new StateFile(dir, { namespace: "", log });
    await Deno.mkdir(`${file.path}.tmp-${Deno.pid}`);
    assert.equal(await file.save(sampleBody()), false);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^ERROR cannot write the warm-restart state file/);
    assert.equal(await Deno.stat(file.path).catch(() => null), null);
  });
});
