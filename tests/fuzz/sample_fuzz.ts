/**
 * Worker module for `harness_test.ts`: a fuzz body that returns the parity
 * of its first random number, and throws or spins forever at the case
 * indices its context names.
 * @module
 */

import { fuzzContext, serveFuzz } from "./harness.ts";

serveFuzz((random, index) => {
  const { failAt, hangAt } = fuzzContext() as {
    failAt?: number;
    hangAt?: number;
  };
  if (index === failAt) throw new RangeError(`planted failure at ${index}`);
  if (index === hangAt) { for (;;) { /* a planted hang */ } }
  return random() % 2 === 0 ? "even" : "odd";
});
