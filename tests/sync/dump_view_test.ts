import assert from "node:assert/strict";
import { DumpView, linkDifferences } from "../../src/sync/dump_view.ts";
import { link } from "./links.ts";

Deno.test("dump view: replies and later live messages make the kernel's ports", () => {
  const view = new DumpView(42);
  view.note(link("Ethernet0"), 42);
  view.note(link("Ethernet4"), 42);
  view.note(link("Ethernet8"), 0); // created after the walk passed it
  view.note(link("Ethernet0", { type: "dellink" }), 0); // deleted after
  view.note(link("Ethernet4", { mtu: 1500 }), 0);
  assert.deepEqual([...view.links.keys()].sort(), ["Ethernet4", "Ethernet8"]);
  assert.equal(view.links.get("Ethernet4")?.mtu, 1500);
});

Deno.test("dump view: live messages queued before the first reply are stale and left out", () => {
  const view = new DumpView(7);
  // Queued before an overflow; the DELLINK that followed was dropped.
  view.note(link("Ethernet12"), 0);
  view.note(link("Ethernet0"), 7);
  assert.deepEqual([...view.links.keys()], ["Ethernet0"]);
});

Deno.test("dump view: ignored links never count as ports", () => {
  const view = new DumpView(1);
  view.note(link("lo"), 1);
  view.note(link("Ethernet0", { kind: "team" }), 1);
  view.note(link("Ethernet4"), 1);
  view.note(link("Ethernet4", { type: "dellink", master: 3 }), 0);
  assert.deepEqual([...view.links.keys()], ["Ethernet4"]);
});

Deno.test("linkDifferences: gone, changed in any field and new ports; equal copies are not differences", () => {
  const before = new Map([
    ["Ethernet0", link("Ethernet0")],
    ["Ethernet4", link("Ethernet4")],
    ["Ethernet8", link("Ethernet8")],
  ]);
  const after = new Map([
    ["Ethernet0", link("Ethernet0")], // a new object saying the same
    ["Ethernet4", { ...link("Ethernet4"), address: "02:00:00:00:00:99" }],
    ["Ethernet12", link("Ethernet12")],
  ]);
  assert.deepEqual(
    linkDifferences(before, after).map((
      [port, now],
    ) => [port, now?.name ?? null]),
    [["Ethernet4", "Ethernet4"], ["Ethernet8", null], [
      "Ethernet12",
      "Ethernet12",
    ]],
  );
});
