import assert from "node:assert/strict";
import {
  AttributeDecoder,
  AttributeEncoder,
  NetlinkDecodeError,
  NLA_F_NESTED,
} from "../../src/netlink/mod.ts";

function attribute(length: number, type: number, value: number[]): number[] {
  return [length & 0xff, length >> 8, type & 0xff, type >> 8, ...value];
}

Deno.test("AttributeDecoder walks typed values with alignment", () => {
  const bytes = new AttributeEncoder()
    .u8(1, 7)
    .u16(2, 0xbeef)
    .u32(3, 0xdeadbeef)
    .string(4, "Ethernet0")
    .bytes(5, new Uint8Array([1, 2, 3]))
    .encode();
  const decoder = new AttributeDecoder(bytes);
  const seen: unknown[] = [];
  while (decoder.next()) {
    switch (decoder.type) {
      case 1:
        seen.push(decoder.u8());
        break;
      case 2:
        seen.push(decoder.u16());
        break;
      case 3:
        seen.push(decoder.u32());
        break;
      case 4:
        seen.push(decoder.string());
        break;
      case 5:
        seen.push([...decoder.bytes()]);
        break;
    }
  }
  assert.equal(decoder.err(), null);
  assert.deepEqual(seen, [7, 0xbeef, 0xdeadbeef, "Ethernet0", [1, 2, 3]]);
});

Deno.test("AttributeDecoder masks NLA_F_NESTED and decodes nested lists", () => {
  const bytes = new AttributeEncoder()
    .nested(18 | NLA_F_NESTED, (inner) => inner.string(1, "veth"))
    .encode();
  const decoder = new AttributeDecoder(bytes);
  assert.ok(decoder.next());
  assert.equal(decoder.type, 18);
  assert.equal(decoder.rawType, 18 | NLA_F_NESTED);
  const inner = decoder.nested();
  assert.ok(inner.next());
  assert.equal(inner.string(), "veth");
  assert.equal(inner.next(), false);
  assert.equal(inner.err(), null);
});

Deno.test("a zero-length attribute is an error, not an endless loop", () => {
  for (const length of [0, 1, 2, 3]) {
    const decoder = new AttributeDecoder(
      new Uint8Array(attribute(length, 1, [0, 0, 0, 0])),
      { baseOffset: 32 },
    );
    assert.equal(decoder.next(), false);
    const error = decoder.err();
    assert.ok(error instanceof NetlinkDecodeError);
    assert.equal(error.offset, 32);
    assert.match(error.reason, /length \d < 4/);
    assert.equal(decoder.next(), false);
  }
});

Deno.test("an attribute longer than the buffer is an error", () => {
  const decoder = new AttributeDecoder(
    new Uint8Array(attribute(12, 1, [1, 2, 3, 4])),
  );
  assert.equal(decoder.next(), false);
  assert.match(decoder.err()?.reason ?? "", /runs past/);
});

Deno.test("trailing bytes shorter than a header are an error", () => {
  const bytes = new Uint8Array([...attribute(4, 1, []), 0, 0]);
  const decoder = new AttributeDecoder(bytes);
  assert.ok(decoder.next());
  assert.equal(decoder.next(), false);
  assert.match(decoder.err()?.reason ?? "", /trailing/);
  assert.equal(decoder.err()?.offset, 4);
});

Deno.test("an unpadded last attribute (odd length) is accepted", () => {
  const bytes = new Uint8Array(attribute(5, 1, [42]));
  const decoder = new AttributeDecoder(bytes);
  assert.ok(decoder.next());
  assert.equal(decoder.u8(), 42);
  assert.equal(decoder.next(), false);
  assert.equal(decoder.err(), null);
});

Deno.test("odd lengths are padded before the next attribute", () => {
  const bytes = new Uint8Array([
    ...attribute(5, 1, [42, 0xff, 0xff, 0xff]),
    ...attribute(6, 2, [0x34, 0x12, 0xff, 0xff]),
  ]);
  const decoder = new AttributeDecoder(bytes);
  assert.ok(decoder.next());
  assert.equal(decoder.u8(), 42);
  assert.ok(decoder.next());
  assert.equal(decoder.u16(), 0x1234);
  assert.equal(decoder.err(), null);
});

Deno.test("a getter on the wrong size records an error", () => {
  const decoder = new AttributeDecoder(
    new AttributeEncoder().u16(4, 1).encode(),
  );
  assert.ok(decoder.next());
  assert.equal(decoder.u32(), 0);
  assert.match(decoder.err()?.reason ?? "", /expected 4/);
  assert.equal(decoder.next(), false);
});

Deno.test("string() cuts at NUL, accepts unterminated, rejects bad UTF-8", () => {
  const cut = new AttributeDecoder(
    new Uint8Array(attribute(8, 3, [65, 0, 66, 0])),
  );
  assert.ok(cut.next());
  assert.equal(cut.string(), "A");
  const bare = new AttributeDecoder(
    new Uint8Array(attribute(7, 3, [65, 66, 67, 0])),
  );
  assert.ok(bare.next());
  assert.equal(bare.string(), "ABC");
  const bad = new AttributeDecoder(
    new Uint8Array(attribute(6, 3, [0xff, 0xfe, 0, 0])),
  );
  assert.ok(bad.next());
  assert.equal(bad.string(), "");
  assert.match(bad.err()?.reason ?? "", /UTF-8/);
});

Deno.test("nested decoder reports offsets relative to the outer buffer", () => {
  const bytes = new Uint8Array([
    ...attribute(8, 3, [65, 66, 67, 0]),
    ...attribute(8, 18, [...attribute(2, 1, [])]),
  ]);
  const decoder = new AttributeDecoder(bytes, { baseOffset: 100 });
  assert.ok(decoder.next());
  assert.ok(decoder.next());
  const inner = decoder.nested();
  assert.equal(inner.next(), false);
  assert.equal(inner.err()?.offset, 100 + 8 + 4);
});

Deno.test("AttributeEncoder rejects values that cannot fit rta_len", () => {
  assert.throws(
    () => new AttributeEncoder().bytes(1, new Uint8Array(70000)),
    RangeError,
  );
});
