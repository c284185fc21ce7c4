/**
 * The unit file (packaging/portsyncd.service) has what systemd and SONiC
 * operators expect and passes `systemd-analyze verify`; the permission set
 * of src/daemon/permissions.ts and the V8 flags of src/daemon/v8_flags.ts
 * are the ones `deno task start` and the packaged wrapper use (the unit adds
 * none), and the permissions cover the unit's writable paths.
 * @module
 */

import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import {
  permissionFlags,
  SONIC_READ_WRITE_PATHS,
} from "../../src/daemon/permissions.ts";
import { V8_FLAGS } from "../../src/daemon/v8_flags.ts";
import { daemonFlags, ROOT, wrapperScript } from "../../tools/package.ts";

const UNIT_PATH = `${ROOT}/packaging/portsyncd.service`;

/** `[Section]` → key → values (a key may repeat); comments skipped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (pair === null || current === null) {
      throw new Error(
        `${UNIT_PATH}:${index + 1}: not a key=value line: ${line}`,
      );
    }
    current.set(pair[1], [...(current.get(pair[1]) ?? []), pair[2]]);
  }
  return sections;
}

Deno.test("unit file: notify, watchdog, restart, ordering and hardening", async () => {
  const unit = parseUnit(await Deno.readTextFile(UNIT_PATH));
  const value = (section: string, key: string) =>
    unit.get(section)?.get(key)?.join(" ");
  assert.equal(value("Unit", "Requires"), "database.service");
  assert.match(value("Unit", "After")!, /\bdatabase\.service\b/);
  const expected: Record<string, string> = {
    Type: "notify",
    NotifyAccess: "main",
    Restart: "on-failure",
    NoNewPrivileges: "yes",
    ProtectSystem: "strict",
    ProtectHome: "yes",
    PrivateTmp: "yes",
    CapabilityBoundingSet: "CAP_NET_ADMIN",
    RuntimeDirectory: "portsyncd",
    StateDirectory: "sonic/portsyncd",
  };
  for (const [key, want] of Object.entries(expected)) {
    assert.equal(value("Service", key), want, key);
  }
  assert.match(value("Service", "WatchdogSec")!, /^\d+s$/);
  assert.match(value("Service", "ExecStart")!, /^\/usr\/bin\/portsyncd /);
  assert.equal(value("Service", "MemoryDenyWriteExecute"), undefined);
  // Everything the unit makes writable, the Deno permission set may write.
  const writable = value("Service", "ReadWritePaths")!.split(" ").map((path) =>
    path.replace(/^-/, "")
  );
  for (const path of writable) {
    assert.ok(SONIC_READ_WRITE_PATHS.includes(path), path);
  }
  assert.equal(value("Install", "WantedBy"), "multi-user.target");
});

const ANALYZE = (await new Deno.Command("sh", {
  args: ["-c", "command -v systemd-analyze"],
  stdout: "null",
})
  .output()).code === 0;

Deno.test({
  name: "unit file: systemd-analyze verify reports nothing",
  ignore: !ANALYZE,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "portsyncd-unit-" });
    try {
      // The database service and the binary as they are on a switch: a
      // stub unit beside it and an executable at ExecStart's place.
      const binary = `${dir}/portsyncd`;
      await Deno.writeTextFile(binary, "#!/bin/sh\n");
      await Deno.chmod(binary, 0o755);
      const unit = (await Deno.readTextFile(UNIT_PATH)).replace(
        "ExecStart=/usr/bin/portsyncd",
        `ExecStart=${binary}`,
      );
      await Deno.writeTextFile(`${dir}/portsyncd.service`, unit);
      await Deno.writeTextFile(
        `${dir}/database.service`,
        "[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n",
      );
      const output = await new Deno.Command("systemd-analyze", {
        args: ["verify", `${dir}/portsyncd.service`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.equal(text.trim(), "");
      assert.equal(output.code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task start and the packaged wrapper use exactly the one permission set and the V8 flags", () => {
  const flags = daemonFlags();
  assert.deepEqual(flags, [
    ...permissionFlags(),
    `--v8-flags=${V8_FLAGS.join(",")}`,
  ]);
  assert.equal(denoJson.tasks.start, `deno run ${flags.join(" ")} main.ts`);
  const wrapper = wrapperScript();
  const exec = wrapper.split("\n").find((line) => line.startsWith("exec "))!;
  const quoted = [...exec.matchAll(/'([^']*)'/g)].map((match) => match[1]);
  assert.deepEqual(quoted, flags);
  assert.doesNotMatch(exec, /allow-all|\s-A\s/);
});

Deno.test("the unit file runs the packaged binary and sets no V8 flags of its own", async () => {
  const unit = parseUnit(await Deno.readTextFile(UNIT_PATH));
  const service = unit.get("Service")!;
  const exec = service.get("ExecStart")!.join(" ");
  // The flags travel with /usr/bin/portsyncd (baked in by deno compile, or
  // in the wrapper checked above); a second list here could drift.
  assert.match(exec, /^\/usr\/bin\/portsyncd /);
  assert.doesNotMatch(exec, /v8-flags/);
  const environment = (service.get("Environment") ?? []).join(" ");
  assert.doesNotMatch(environment, /DENO_V8_FLAGS/);
});
