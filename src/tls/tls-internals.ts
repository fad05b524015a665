/**
 * Every reach into `node:tls`'s undocumented internals, in one place, each feature-detected.
 * Both are what Node's own `tls.Server` does with the sockets it makes, which a server-side
 * `tls.TLSSocket` made with `new` (the documented way to start TLS on an accepted connection)
 * does not get:
 *
 * - `_handle.verifyError()`: the result of verifying the client's certificate (`tls.Server`
 *   reads it into `authorized`); where it is missing, client certificates cannot be verified
 *   and a context that asks for them is refused at `wrapSocket`;
 * - `_releaseControl()`: from then on, TLS errors after the handshake are `'error'` events (until
 *   then Node reports them only to a `tls.Server`); where it is missing, the runtime reports them
 *   as events already.
 */

import type * as tls from "node:tls";

interface TlsInternals {
  _handle?: { verifyError?: () => Error | null } | null;
  _releaseControl?: () => boolean;
}

/** Whether the runtime tells a server-side TLSSocket how its peer's certificate verified. */
export function canVerifyPeer(socket: tls.TLSSocket): boolean {
  return typeof (socket as unknown as TlsInternals)._handle?.verifyError === "function";
}

/** The peer certificate's verification error (null when it verified), once the handshake is done. */
export function verifyErrorOf(socket: tls.TLSSocket): Error | null {
  return (socket as unknown as TlsInternals)._handle?.verifyError?.() ?? null;
}

/** Makes later TLS errors of a server-side TLSSocket `'error'` events, as `tls.Server` does. */
export function releaseControl(socket: tls.TLSSocket): void {
  (socket as unknown as TlsInternals)._releaseControl?.();
}
