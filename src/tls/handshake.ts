/**
 * The TLS handshake as an operation of the table (see socket/operations.ts and policy.ts): one
 * try, then the socket's mode decides, exactly as for `connect`. The attempt only looks at the
 * session (session.ts); the handshake itself runs in `node:tls`, started by `wrapSocket`.
 * Its direction is "write": like a non-blocking `connect`, a non-blocking handshake is done
 * when the socket becomes writable, and the write deadline bounds it.
 */

import { NOT_READY, type WaitOptions } from "../socket/operation.js";
import type { SocketOperation } from "../socket/operations.js";
import type { TlsSession } from "./session.js";

/** `doHandshake(options?)`: done once the handshake is; raises its SSLError if it failed. */
export const HANDSHAKE: SocketOperation<
  [session: TlsSession, options?: WaitOptions],
  TlsSession,
  undefined
> = {
  name: "doHandshake",
  direction: "write",
  prepare: (_d, session) => session,
  options: (_session, options) => options,
  attempt: (d, session) =>
    session.handshakeDone({ op: "doHandshake", address: d.describe() }) ? undefined : NOT_READY,
};
