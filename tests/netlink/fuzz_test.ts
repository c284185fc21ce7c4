import assert from "node:assert/strict";
import {
  decodeLinkMessage,
  decodeNotices,
  NetlinkDecodeError,
  parseMessages,
  RTM_DELLINK,
  RTM_NEWLINK,
} from "../../src/netlink/mod.ts";
import { DATAGRAM_FIXTURES, LINK_FIXTURES } from "./fixtures.ts";

const CASES = 120_000;
const DEFAULT_SEED = 0x5eed_2026;

function seedFromEnv(): number {
  try {
    const value = Deno.env.get("PSD_FUZZ_SEED");
    return value === undefined ? DEFAULT_SEED : Number(value) >>> 0;
  } catch {
    return DEFAULT_SEED;
  }
}

/** mulberry32: a small, seedable 32-bit PRNG. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random() & 0xff;
  return bytes;
}

const INTERESTING_U16 = [0, 1, 2, 3, 4, 5, 8, 15, 16, 17, 0xffff, 0x8000];

/** Applies 1-4 random mutations to a copy of `source`. */
function mutate(random: () => number, source: Uint8Array): Uint8Array {
  let bytes = source.slice();
  const count = 1 + (random() % 4);
  for (let i = 0; i < count && bytes.length > 0; i++) {
    const at = random() % bytes.length;
    switch (random() % 6) {
      case 0:
        bytes[at] = random() & 0xff;
        break;
      case 1:
        bytes[at] ^= 1 << (random() % 8);
        break;
      case 2: {
        const value = INTERESTING_U16[random() % INTERESTING_U16.length];
        bytes[at] = value & 0xff;
        if (at + 1 < bytes.length) bytes[at + 1] = value >> 8;
        break;
      }
      case 3:
        bytes = bytes.slice(0, at);
        break;
      case 4: {
        const longer = new Uint8Array(bytes.length + 1 + (random() % 16));
        longer.set(bytes);
        longer.set(
          randomBytes(random, longer.length - bytes.length),
          bytes.length,
        );
        bytes = longer;
        break;
      }
      case 5:
        bytes = bytes.subarray(at).slice();
        break;
    }
  }
  return bytes;
}

/** Decodes `bytes` every way the daemon can; only NetlinkDecodeError may escape. */
function decodeAll(bytes: Uint8Array): void {
  decodeNotices(bytes, { portId: 1 });
  try {
    decodeLinkMessage(bytes, RTM_NEWLINK);
  } catch (error) {
    if (!(error instanceof NetlinkDecodeError)) throw error;
  }
  try {
    for (const message of parseMessages(bytes)) {
      if (message.type === RTM_NEWLINK || message.type === RTM_DELLINK) {
        decodeLinkMessage(message.payload, message.type);
      }
    }
  } catch (error) {
    if (!(error instanceof NetlinkDecodeError)) throw error;
  }
}

Deno.test(`fuzz: ${CASES} random and mutated messages decode or fail typed`, () => {
  const seed = seedFromEnv();
  const random = createRandom(seed);
  const sources = [
    ...LINK_FIXTURES.map((fixture) => fixture.bytes),
    ...DATAGRAM_FIXTURES.map((fixture) => fixture.bytes),
    ...LINK_FIXTURES.map((fixture) => fixture.bytes.subarray(16)),
  ];
  const started = performance.now();
  for (let i = 0; i < CASES; i++) {
    const bytes = i % 5 === 0
      ? randomBytes(random, random() % 300)
      : mutate(random, sources[random() % sources.length]);
    try {
      decodeAll(bytes);
    } catch (error) {
      assert.fail(
        `seed ${seed} case ${i}: ${String(error)} on input ${
          Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
        }`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 30, `seed ${seed}: fuzzing took ${seconds}s (a hang?)`);
});
