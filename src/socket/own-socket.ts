/**
 * How a `net.Socket` leads back to the object that owns it: the listeners sockit adds are shared
 * by every socket (no closure per connection), so each finds its owner through the socket.
 * `OwnSocket` is the `net.Socket` of the streams sockit makes itself.
 */

import * as net from "node:net";

/** What a socket's owner must do when Node destroys the socket. */
export interface SocketOwner {
  /** Called from `_destroy`, while the socket's handle still answers. */
  keepLocalName(): void;
}

const OWNER: unique symbol = Symbol("sockit.owner");
type Owned<T> = net.Socket & { [OWNER]?: T };

/** Records `owner` as the owner of `socket`. */
export function setOwner<T extends SocketOwner>(socket: net.Socket, owner: T): void {
  (socket as Owned<T>)[OWNER] = owner;
}

/** The owner recorded for `socket` (every socket a shared listener hears has one). */
export function ownerOf<T extends SocketOwner>(socket: net.Socket): T {
  return (socket as Owned<T>)[OWNER]!;
}

/** The net.Socket of the streams we make: its owner keeps its local name when Node destroys it. */
export class OwnSocket extends net.Socket {
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    (this as Owned<SocketOwner>)[OWNER]?.keepLocalName();
    super._destroy(error, callback);
  }
}
