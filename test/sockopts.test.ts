/**
 * The socket-options table on its own, through a target the test controls.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  IPPROTO_TCP,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_TYPE,
  SOCK_STREAM,
  SOL_SOCKET,
  SocketError,
  TCP_NODELAY,
} from "../src/index.js";
import {
  getOption,
  type OptionName,
  type OptionTarget,
  OptionValues,
  setOption,
} from "../src/socket/sockopts.js";
import { isCode } from "./helpers.js";

function target(pendingCode?: string): OptionTarget & { applied: OptionName[] } {
  let pending = pendingCode;
  const applied: OptionName[] = [];
  return {
    applied,
    options: new OptionValues(),
    type: SOCK_STREAM,
    apply: (changed) => applied.push(changed),
    takeErrorCode: () => {
      const code = pending;
      pending = undefined;
      return code;
    },
  };
}

test("values read back are what was set, and only the changed option is applied", () => {
  const t = target();
  setOption(t, IPPROTO_TCP, TCP_NODELAY, true);
  setOption(t, SOL_SOCKET, SO_KEEPALIVE, 1);
  setOption(t, SOL_SOCKET, SO_RCVBUF, 4096);
  setOption(t, SOL_SOCKET, SO_LINGER, 0);
  assert.equal(getOption(t, IPPROTO_TCP, TCP_NODELAY), 1);
  assert.equal(getOption(t, SOL_SOCKET, SO_KEEPALIVE), 1);
  assert.equal(getOption(t, SOL_SOCKET, SO_RCVBUF), 4096);
  assert.equal(getOption(t, SOL_SOCKET, SO_LINGER), 0);
  assert.equal(getOption(t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  assert.deepEqual(t.applied, ["noDelay", "keepAlive", "rcvbuf", "linger"]);
  setOption(t, IPPROTO_TCP, TCP_NODELAY, 0);
  assert.equal(getOption(t, IPPROTO_TCP, TCP_NODELAY), 0);
});

test("SO_ERROR reads the pending error's errno once", () => {
  const t = target("ECONNREFUSED");
  assert.equal(getOption(t, SOL_SOCKET, SO_ERROR), 111);
  assert.equal(getOption(t, SOL_SOCKET, SO_ERROR), 0);
});

test("what cannot be honoured is ENOPROTOOPT, and nothing is applied", () => {
  const t = target();
  const noOpt = isCode(SocketError, "ENOPROTOOPT");
  assert.throws(() => setOption(t, SOL_SOCKET, SO_LINGER, 5), noOpt);
  assert.throws(() => setOption(t, SOL_SOCKET, SO_REUSEADDR, 0), noOpt);
  assert.throws(() => setOption(t, SOL_SOCKET, SO_TYPE, 1), noOpt);
  assert.throws(() => setOption(t, SOL_SOCKET, 999, 1), noOpt);
  assert.throws(() => getOption(t, 999, 1), noOpt);
  assert.deepEqual(t.applied, []);
});

test("bad levels, names and values are TypeError or RangeError", () => {
  const t = target();
  assert.throws(() => setOption(t, "1", SO_KEEPALIVE, 1), TypeError);
  assert.throws(() => setOption(t, SOL_SOCKET, Symbol("x"), 1), TypeError);
  assert.throws(() => getOption(t, SOL_SOCKET, 1.5), TypeError);
  assert.throws(() => setOption(t, SOL_SOCKET, SO_KEEPALIVE, "yes"), TypeError);
  assert.throws(() => setOption(t, SOL_SOCKET, SO_RCVBUF, 0), RangeError);
  assert.throws(() => setOption(t, SOL_SOCKET, SO_RCVBUF, 2 ** 31), RangeError);
  assert.throws(() => setOption(t, SOL_SOCKET, SO_RCVBUF, null), TypeError);
});
