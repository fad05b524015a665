import assert from "node:assert/strict";
import { test } from "node:test";
import { fromNodeError, socketError } from "../src/core/errors.js";
import {
  AddressInfoError,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  SocketError,
  TimeoutError,
} from "../src/index.js";

test("every errno name maps to Python's class and Linux's number", () => {
  const table: [string, new (...args: never[]) => SocketError, number][] = [
    ["EAGAIN", BlockingIOError, 11],
    ["EINPROGRESS", BlockingIOError, 115],
    ["ECONNRESET", ConnectionResetError, 104],
    ["ECONNREFUSED", ConnectionRefusedError, 111],
    ["ECONNABORTED", ConnectionAbortedError, 103],
    ["EPIPE", BrokenPipeError, 32],
    ["ETIMEDOUT", TimeoutError, 110],
    ["EADDRINUSE", SocketError, 98],
  ];
  for (const [code, Class, errno] of table) {
    const error = socketError(code, { op: "recv", address: "127.0.0.1:1" });
    assert.ok(error instanceof Class, code);
    assert.ok(error instanceof SocketError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, code);
    assert.equal(error.errno, errno);
    assert.equal(error.op, "recv");
    assert.equal(error.address, "127.0.0.1:1");
    assert.equal(error.name, Class.name);
  }
  assert.ok(socketError("ECONNRESET") instanceof ConnectionError);
  assert.equal(new TimeoutError().name, "TimeoutError");
});

test("every error is named after its own class, a subclass of the program's included", () => {
  class ProtocolError extends SocketError {}
  const errors = [
    new ProtocolError("EPROTO"),
    new SocketError("EPROTO"),
    new ProtocolError("EINVAL"),
    socketError("EAGAIN"),
    new ProtocolError("EPROTO"),
  ];
  assert.deepEqual(
    errors.map((error) => error.name),
    ["ProtocolError", "SocketError", "ProtocolError", "BlockingIOError", "ProtocolError"],
  );
});

test("a message names the call and the address, if there is one", () => {
  assert.equal(
    new SocketError("ECONNREFUSED", { op: "connect", address: "127.0.0.1:9" }).message,
    "Connection refused (connect 127.0.0.1:9)",
  );
  assert.equal(
    new AddressInfoError("EAI_NONAME", { op: "getaddrinfo", address: "" }).message,
    "Name or service not known (getaddrinfo)",
  );
  assert.equal(new SocketError("EBADF", { address: "" }).message, "Bad file descriptor");
  assert.equal(new SocketError("EBADF", { op: "recv" }).message, "Bad file descriptor (recv)");
  assert.equal(new SocketError("EBADF").message, "Bad file descriptor");
});

test("resolver errors become AddressInfoError with the EAI code", () => {
  const notFound = Object.assign(new Error("getaddrinfo ENOTFOUND x"), {
    code: "ENOTFOUND",
    syscall: "getaddrinfo",
  });
  const error = fromNodeError(notFound, { op: "connect" });
  assert.ok(error instanceof AddressInfoError);
  assert.equal(error.code, "EAI_NONAME");
  assert.equal(error.errno, -2);
  const again = fromNodeError(
    Object.assign(new Error(), { code: "EAI_AGAIN", syscall: "getaddrinfo" }),
    {},
  );
  assert.equal(again.code, "EAI_AGAIN");
});

test("Node's errno exceptions keep their code and become the matching class", () => {
  const reset = fromNodeError(
    Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" }),
    {
      op: "recv",
    },
  );
  assert.ok(reset instanceof ConnectionResetError);
  assert.equal(reset.op, "recv");
  const odd = fromNodeError("weird", { op: "send" });
  assert.ok(odd instanceof SocketError);
});
