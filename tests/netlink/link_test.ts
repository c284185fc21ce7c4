import assert from "node:assert/strict";
import {
  AttributeEncoder,
  decodeLinkMessage,
  encodeGetLinkDump,
  encodeLinkMessage,
  encodeMessage,
  IFLA_IFNAME,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_OPERSTATE,
  type LinkEvent,
  NetlinkDecodeError,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  parseMessages,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "../../src/netlink/mod.ts";
import { LINK_FIXTURES } from "./fixtures.ts";

const ETHERNET0: LinkEvent = {
  type: "newlink",
  name: "Ethernet0",
  ifindex: 3,
  flags: 0x1043,
  admin: "up",
  oper: "up",
  mtu: 9100,
  master: 7,
  kind: "veth",
  operstate: "up",
  address: "02:0a:bc:00:00:ff",
};

/** ifinfomsg for ifindex 3, flags IFF_UP, followed by `attributes`. */
function linkPayload(attributes: Uint8Array): Uint8Array {
  const payload = new Uint8Array(16 + attributes.length);
  const view = new DataView(payload.buffer);
  view.setInt32(4, 3, true);
  view.setUint32(8, 1, true);
  payload.set(attributes, 16);
  return payload;
}

function assertDecodeError(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NetlinkDecodeError, String(error));
    assert.match(error.reason, reason);
    return true;
  });
}

Deno.test("decodeLinkMessage matches every captured kernel message", () => {
  assert.ok(LINK_FIXTURES.length >= 10);
  for (const fixture of LINK_FIXTURES) {
    const [message] = parseMessages(fixture.bytes);
    const event = decodeLinkMessage(message.payload, message.type);
    assert.deepEqual(event, fixture.expected, fixture.label);
  }
});

Deno.test("captured fixtures cover dump, up/down, mtu, master, dellink", () => {
  const events = LINK_FIXTURES.map((fixture) => fixture.expected);
  assert.ok(events.some((e) => e.type === "dellink"));
  assert.ok(events.some((e) => e.type === "dellink" && e.master !== null));
  assert.ok(events.some((e) => e.oper === "up" && e.operstate === "up"));
  assert.ok(events.some((e) => e.operstate === "lowerlayerdown"));
  assert.ok(events.some((e) => e.mtu === 9000));
  assert.ok(events.some((e) => e.kind === "bridge"));
});

Deno.test("decodeLinkMessage accepts a DataView", () => {
  const [message] = parseMessages(LINK_FIXTURES[0].bytes);
  const view = new DataView(
    message.payload.buffer,
    message.payload.byteOffset,
    message.payload.byteLength,
  );
  assert.deepEqual(
    decodeLinkMessage(view, message.type),
    LINK_FIXTURES[0].expected,
  );
});

Deno.test("encodeLinkMessage round-trips through the decoder", () => {
  for (const event of [ETHERNET0, { ...ETHERNET0, type: "dellink" as const }]) {
    const [message] = parseMessages(encodeLinkMessage(event, { seq: 4 }));
    assert.equal(message.seq, 4);
    assert.deepEqual(decodeLinkMessage(message.payload, message.type), event);
  }
});

Deno.test("encodeLinkMessage defaults: flags from admin/oper, no attributes", () => {
  const bytes = encodeLinkMessage({ name: "Ethernet4", admin: "up" });
  const [message] = parseMessages(bytes);
  assert.equal(message.type, RTM_NEWLINK);
  assert.deepEqual(decodeLinkMessage(message.payload, message.type), {
    type: "newlink",
    name: "Ethernet4",
    ifindex: 1,
    flags: 1,
    admin: "up",
    oper: "down",
    mtu: null,
    master: null,
    kind: null,
    operstate: null,
    address: null,
  });
});

Deno.test("operstate values map to RFC 2863 names", () => {
  const names = [
    "unknown",
    "notpresent",
    "down",
    "lowerlayerdown",
    "testing",
    "dormant",
    "up",
    "unknown",
  ];
  names.forEach((name, code) => {
    const attributes = new AttributeEncoder()
      .string(IFLA_IFNAME, "Ethernet0")
      .u8(IFLA_OPERSTATE, code)
      .encode();
    const event = decodeLinkMessage(linkPayload(attributes), RTM_NEWLINK);
    assert.equal(event.operstate, name, `code ${code}`);
  });
});

Deno.test("encodeGetLinkDump builds a dump request", () => {
  const [message] = parseMessages(encodeGetLinkDump(77));
  assert.equal(message.type, RTM_GETLINK);
  assert.equal(message.flags, NLM_F_REQUEST | NLM_F_DUMP);
  assert.equal(message.seq, 77);
  assert.equal(message.payload.length, 16);
});

Deno.test("a message without IFLA_IFNAME is a decode error", () => {
  const attributes = new AttributeEncoder().u32(IFLA_MTU, 1500).encode();
  assertDecodeError(
    () => decodeLinkMessage(linkPayload(attributes), RTM_NEWLINK),
    /IFLA_IFNAME missing/,
  );
});

Deno.test("an empty name is a decode error", () => {
  const attributes = new AttributeEncoder().string(IFLA_IFNAME, "").encode();
  assertDecodeError(
    () => decodeLinkMessage(linkPayload(attributes), RTM_DELLINK),
    /empty/,
  );
});

Deno.test("a non-UTF-8 name is a decode error; unterminated is accepted", () => {
  const bad = new AttributeEncoder()
    .bytes(IFLA_IFNAME, new Uint8Array([0x45, 0xc3, 0x28, 0]))
    .encode();
  assertDecodeError(
    () => decodeLinkMessage(linkPayload(bad), RTM_NEWLINK),
    /UTF-8/,
  );
  const bare = new AttributeEncoder()
    .bytes(IFLA_IFNAME, new TextEncoder().encode("Ethernet8"))
    .encode();
  assert.equal(
    decodeLinkMessage(linkPayload(bare), RTM_NEWLINK).name,
    "Ethernet8",
  );
});

Deno.test("IFLA_LINKINFO without IFLA_INFO_KIND gives kind null", () => {
  const attributes = new AttributeEncoder()
    .string(IFLA_IFNAME, "Ethernet0")
    .nested(IFLA_LINKINFO, (info) => info.u32(2, 1))
    .encode();
  const event = decodeLinkMessage(linkPayload(attributes), RTM_NEWLINK);
  assert.equal(event.kind, null);
});

Deno.test("a malformed nested IFLA_LINKINFO is a decode error", () => {
  const attributes = new AttributeEncoder()
    .string(IFLA_IFNAME, "Ethernet0")
    .bytes(IFLA_LINKINFO, new Uint8Array([2, 0, 1, 0]))
    .encode();
  assertDecodeError(
    () => decodeLinkMessage(linkPayload(attributes), RTM_NEWLINK),
    /length 2 < 4/,
  );
});

Deno.test("an IFLA_MTU of the wrong size is a decode error", () => {
  const attributes = new AttributeEncoder()
    .string(IFLA_IFNAME, "Ethernet0")
    .u16(IFLA_MTU, 1500)
    .encode();
  assertDecodeError(
    () => decodeLinkMessage(linkPayload(attributes), RTM_NEWLINK),
    /expected 4/,
  );
});

Deno.test("a truncated ifinfomsg, bad ifindex or wrong type are errors", () => {
  assertDecodeError(
    () => decodeLinkMessage(new Uint8Array(15), RTM_NEWLINK),
    /ifinfomsg/,
  );
  assertDecodeError(
    () => decodeLinkMessage(new Uint8Array(16), RTM_NEWLINK),
    /ifindex 0/,
  );
  assertDecodeError(
    () => decodeLinkMessage(linkPayload(new Uint8Array(0)), RTM_GETLINK),
    /not a link/,
  );
});

Deno.test("an attribute running past the message is a decode error with offset", () => {
  const attributes = new AttributeEncoder().string(IFLA_IFNAME, "Ethernet0")
    .encode();
  new DataView(attributes.buffer).setUint16(0, 200, true);
  assert.throws(
    () =>
      decodeLinkMessage(linkPayload(attributes), RTM_NEWLINK, {
        baseOffset: 16,
      }),
    (error: unknown) => {
      assert.ok(error instanceof NetlinkDecodeError);
      assert.equal(error.offset, 32);
      return true;
    },
  );
});

Deno.test("a link message inside an unaligned datagram tail still decodes", () => {
  const bytes = encodeLinkMessage(ETHERNET0);
  const length = new DataView(bytes.buffer).getUint32(0, true);
  const [message] = parseMessages(bytes.subarray(0, length));
  assert.deepEqual(decodeLinkMessage(message.payload, message.type), ETHERNET0);
  assert.equal(
    parseMessages(encodeMessage({ type: 1, flags: 0, seq: 0 })).length,
    1,
  );
});

Deno.test("names, kinds and addresses decode right past the decoder's string caches (more than they hold, same lengths and hashes probed)", () => {
  // 10,000 distinct names of the same length and addresses (the caches have
  // 4,096 slots each, replaced on a miss), decoded twice: each as encoded.
  const events: LinkEvent[] = [];
  for (let i = 0; i < 10_000; i++) {
    const hex = i.toString(16).padStart(4, "0");
    events.push({
      ...ETHERNET0,
      name: `Ethernet${String(i).padStart(5, "0")}`,
      kind: i % 2 === 0 ? "veth" : `k${hex}`,
      address: `02:00:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`,
    });
  }
  for (let round = 0; round < 2; round++) {
    for (const event of events) {
      const [message] = parseMessages(encodeLinkMessage(event));
      assert.deepEqual(decodeLinkMessage(message.payload, message.type), event);
    }
  }
  // Two names with the same length and the same hash (FNV-1a as the cache
  // slots them), in turn: each decodes as itself.
  for (const name of ["Ethernet2uj60", "Ethernetzwf80", "Ethernet2uj60"]) {
    const [message] = parseMessages(encodeLinkMessage({ ...ETHERNET0, name }));
    assert.equal(decodeLinkMessage(message.payload, message.type).name, name);
  }
  // Non-ASCII and long names take the TextDecoder path.
  for (const name of ["Ethernet\u00e9", "E".repeat(65), "Ethernet0"]) {
    const [message] = parseMessages(encodeLinkMessage({ ...ETHERNET0, name }));
    assert.equal(decodeLinkMessage(message.payload, message.type).name, name);
  }
});
