/**
 * Every reach into `node:tls`'s undocumented internals, in one place, each feature-detected.
 * Both are what Node's own `tls.Server` does with the sockets it makes, which a server-side
 * `tls.TLSSocket` made with `new` (the documented way to start TLS on an accepted connection)
 * does not get:
 *
 * - `_handle.verifyError()`: the result of verifying the client's certificate (`tls.Server`
 *   reads it into `authorized`). Bun has no such method but sets `authorized` and
 *   `authorizationError` (the result's name, e.g. `"CERT_HAS_EXPIRED"`) on every server-side
 *   socket; where neither is there, a client certificate cannot be verified and the handshake
 *   fails with an SSLError;
 * - `_releaseControl()`: from then on, TLS errors after the handshake are `'error'` events (until
 *   then Node reports them only to a `tls.Server`); where it is missing, the runtime reports them
 *   as events already.
 */

import type * as tls from "node:tls";

interface TlsInternals {
  _handle?: { verifyError?: () => Error | null } | null;
  _releaseControl?: () => boolean;
  authorized?: unknown;
  authorizationError?: unknown;
}

/** Whether the runtime tells a server-side TLSSocket how its peer's certificate verified. */
export function canVerifyPeer(socket: tls.TLSSocket): boolean {
  const internals = socket as unknown as TlsInternals;
  if (typeof internals._handle?.verifyError === "function") return true;
  // Node.js leaves authorized false and no error on the sockets it does not verify.
  return internals.authorized === true || typeof internals.authorizationError === "string";
}

/** The peer certificate's verification error (null when it verified), once the handshake is done. */
export function verifyErrorOf(socket: tls.TLSSocket): Error | null {
  const internals = socket as unknown as TlsInternals;
  if (typeof internals._handle?.verifyError === "function") return internals._handle.verifyError();
  const code = internals.authorizationError;
  if (internals.authorized === true || typeof code !== "string") return null;
  // Bun gives the result's name only; it stands for OpenSSL's words too.
  return Object.assign(new Error(code), { code });
}

/** Makes later TLS errors of a server-side TLSSocket `'error'` events, as `tls.Server` does. */
export function releaseControl(socket: tls.TLSSocket): void {
  (socket as unknown as TlsInternals)._releaseControl?.();
}
