/**
 * 10,000 recvs waiting at once, each with its own timeout: none fails early, each fails close
 * to its time, and the data that arrives meanwhile goes to exactly one of them.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { pendingExpiries } from "../../src/core/clock.js";
import { TimeoutError } from "../../src/index.js";
import { checkLeaks, within } from "../helpers.js";
import { type Pair, pairOf } from "./peers.js";

checkLeaks();

const PAIRS = 100;
const PER_PAIR = 100;

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

test("10,000 pending timed recvs: none early, and data goes to exactly one", {
  timeout: 30_000,
}, async () => {
  const seed = Number(process.env.SOCKIT_SEED ?? 11);
  const next = random(seed);
  const pairs: Pair[] = [];
  try {
    for (let i = 0; i < PAIRS; i++) pairs.push(await pairOf(i % 2 === 0 ? "tcp" : "unix"));
    const outcomes: Promise<{ early: number; late: number; data: number }>[] = [];
    for (const pair of pairs) {
      for (let j = 0; j < PER_PAIR; j++) {
        const timeout = 0.05 + next() * 0.45;
        const started = performance.now();
        outcomes.push(
          pair.server.recv(10, { timeout }).then(
            (data) => {
              assert.equal(data.toString(), "x");
              return { early: 0, late: 0, data: 1 };
            },
            (error: unknown) => {
              assert.ok(error instanceof TimeoutError, String(error));
              const ms = performance.now() - started;
              return { early: ms < timeout * 1000 ? 1 : 0, late: ms - timeout * 1000, data: 0 };
            },
          ),
        );
      }
    }
    assert.ok(pendingExpiries() >= PAIRS * PER_PAIR, "every recv waits with its timeout");
    // One byte to every tenth pair while its recvs wait: one recv there takes it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < PAIRS; i += 10) await pairs[i]!.client.sendAll("x");
    const results = await within(Promise.all(outcomes), 20_000);
    const early = results.reduce((n, r) => n + r.early, 0);
    const data = results.reduce((n, r) => n + r.data, 0);
    const latest = Math.max(...results.map((r) => r.late));
    assert.equal(early, 0, `${early} recvs timed out early (seed ${seed})`);
    assert.equal(data, PAIRS / 10, "each byte went to exactly one recv");
    assert.ok(latest < 2000, `a recv timed out ${latest.toFixed(0)} ms late`);
    assert.equal(pendingExpiries(), 0);
  } finally {
    for (const pair of pairs) await pair[Symbol.asyncDispose]();
  }
});
