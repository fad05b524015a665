/**
 * What a thread using `sockit/sync` and the helper thread say to each other.
 *
 * The helper is one worker thread per process (see bridge.ts) that runs the async API. A
 * thread finds it, says hello once on a common channel with its own control block (a
 * SharedArrayBuffer), and from then on talks to it over two channels of its own: requests to
 * the helper, replies and events back. The thread sleeps in `Atomics.wait` on its control
 * block's WAKE word; the helper posts a message, then increments WAKE and notifies, so a blocked
 * thread needs no event loop to hear it. Errors travel as plain records and come back as the
 * very same classes the async API raises.
 */

import * as errors from "../core/errors.js";
import { BlockingIOError, SocketError } from "../core/errors.js";
import { StructError } from "../struct/error.js";
import { SSLCertVerificationError, SSLEOFError, SSLError } from "../tls/errors.js";

/** The prefix of every channel name, with the protocol's version. */
const CHANNEL = "sockit.sync.v1";

/** Where threads say hello: `{ threadId, control }`. */
export const HELLO_CHANNEL = `${CHANNEL}.hello`;

/** The channel a thread's requests go to the helper on. */
export function requestChannel(threadId: number): string {
  return `${CHANNEL}.requests.${threadId}`;
}

/** The channel the helper's replies and events go to a thread on. */
export function replyChannel(threadId: number): string {
  return `${CHANNEL}.replies.${threadId}`;
}

/** The key under which a thread leaves the helper's block for the threads it starts. */
export const HELPER_KEY = `${CHANNEL}.helper`;

/** Words of a thread's control block (`Int32Array`). */
export const WAKE = 0;
/** Bytes of a thread's control block. */
export const CONTROL_BYTES = 16;

/** Words of the helper's block: a heartbeat the helper increments twice a second. */
export const HEARTBEAT = 0;
/** Set to 1 once the helper listens for hellos; 2 if it failed to start. */
export const STARTED = 1;
/** Bytes of the helper's block. */
export const HELPER_BYTES = 16;
/** How often the helper beats, ms. */
export const HEARTBEAT_MS = 250;

/** A thread's hello. */
export interface Hello {
  readonly threadId: number;
  readonly control: SharedArrayBuffer;
}

/** A request: a method of the helper with its arguments. */
export interface Request {
  readonly seq: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** What the helper sends back for one request. */
export type Reply =
  | { readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly seq: number; readonly ok: false; readonly error: WireError };

/** An error as it crosses threads. */
export interface WireError {
  readonly kind: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The error classes that cross threads by name (every class the async API raises). */
const CLASSES: Readonly<Record<string, new (...args: never[]) => Error>> = {
  SocketError,
  BlockingIOError,
  TimeoutError: errors.TimeoutError,
  AddressInfoError: errors.AddressInfoError,
  ConnectionError: errors.ConnectionError,
  ConnectionResetError: errors.ConnectionResetError,
  ConnectionRefusedError: errors.ConnectionRefusedError,
  ConnectionAbortedError: errors.ConnectionAbortedError,
  BrokenPipeError: errors.BrokenPipeError,
  IncompleteReadError: errors.IncompleteReadError,
  LimitOverrunError: errors.LimitOverrunError,
  KeyError: errors.KeyError,
  SSLError,
  SSLCertVerificationError,
  SSLEOFError,
  StructError,
  TypeError,
  RangeError,
  AggregateError,
  Error,
};

/** The fields of a socket error worth carrying (its own enumerable properties). */
export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) {
    return { kind: "Error", message: String(error), stack: undefined, fields: {} };
  }
  let kind = "Error";
  for (const [name, Class] of Object.entries(CLASSES)) {
    if (error.constructor === Class) kind = name;
  }
  if (kind === "Error" && error.name === "AbortError") kind = "AbortError";
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) fields[key] = value;
  if (error instanceof AggregateError) fields.errors = error.errors.map(toWire);
  return { kind, message: error.message, stack: error.stack, fields };
}

/** The error again, as an instance of the same class with the same fields. */
export function fromWire(wire: WireError): Error {
  if (wire.kind === "AbortError") {
    return new DOMException(wire.message, "AbortError");
  }
  const Class = CLASSES[wire.kind] ?? Error;
  const error = Reflect.construct(Error, [wire.message], Class) as Error & Record<string, unknown>;
  for (const [key, value] of Object.entries(wire.fields)) {
    error[key] = key === "errors" ? (value as WireError[]).map(fromWire) : value;
  }
  if (wire.fields.partial instanceof Uint8Array) error.partial = asBuffer(wire.fields.partial);
  if (wire.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: wire.stack,
      configurable: true,
      writable: true,
    });
  }
  return error;
}

/** A `Uint8Array` that crossed threads, as a `Buffer` over the same memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
