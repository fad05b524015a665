/**
 * `DefaultSelector` of `sockit/sync`: the async selector's registrations and rules, with a
 * `select(timeout)` that blocks the calling thread.
 *
 * The registrations are kept twice: here, in an async `DefaultSelector` (so keys, `KeyError`s
 * and every check are the async flavour's own), and in a selector the helper thread holds over
 * the same sockets, which is the one that waits. `select` asks the helper and returns this
 * selector's keys for the sockets it reports.
 *
 * @module
 */

import { checkSelectTimeout } from "../core/checks.js";
import { EVENT_READ } from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import { DefaultSelector as AsyncSelector, type SelectorKey } from "../selectors/selectors.js";
import { Bridge } from "./bridge.js";
import { type Blocking, descriptorOf, type Socket } from "./socket.js";

/**
 * Python's `selectors.DefaultSelector` over `sockit/sync` sockets: the same calls as the async
 * one, with a `select(timeout)` that blocks until a registered socket is ready or the timeout
 * passes.
 *
 * @example
 * ```ts
 * import { DefaultSelector, EVENT_READ } from "sockit/sync";
 * const sel = new DefaultSelector();
 * sel.register(server, EVENT_READ);
 * for (const [key] of sel.select(1)) key.fileobj.accept();
 * ```
 */
export interface DefaultSelector<F = Socket, D = unknown> extends Blocking<AsyncSelector<F, D>> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the methods are defined in the class; the interface only gives `select` its blocking type and the async flavour's documentation.
export class DefaultSelector<F = Socket, D = unknown> {
  readonly #local = new AsyncSelector<F, D>();
  readonly #byId = new Map<number, F>();
  #id: number | undefined;

  /** The helper's selector, made on first use. */
  get #helperId(): number {
    this.#id ??= Bridge.get().call("selectorOpen", []) as number;
    return this.#id;
  }

  register(fileobj: F, events: number, data?: D): SelectorKey<F, D> {
    const key = (this.#local.register as (f: F, e: number, d?: D) => SelectorKey<F, D>)(
      fileobj,
      events,
      data,
    );
    const id = socketId(fileobj);
    try {
      Bridge.get().call("selectorRegister", [this.#helperId, id, events]);
    } catch (error) {
      this.#local.unregister(fileobj);
      throw error;
    }
    this.#byId.set(id, fileobj);
    return key;
  }

  modify(fileobj: F, events: number, data?: D): SelectorKey<F, D> {
    const key = (this.#local.modify as (f: F, e: number, d?: D) => SelectorKey<F, D>)(
      fileobj,
      events,
      data,
    );
    Bridge.get().call("selectorModify", [this.#helperId, socketId(fileobj), events]);
    return key;
  }

  unregister(fileobj: F): SelectorKey<F, D> {
    const key = this.#local.unregister(fileobj);
    const id = socketId(fileobj);
    this.#byId.delete(id);
    Bridge.get().call("selectorUnregister", [this.#helperId, id]);
    return key;
  }

  select(timeout?: number | null): [SelectorKey<F, D>, number][] {
    let seconds = checkSelectTimeout(timeout, "select(): timeout");
    if (this.#closed) throw new SocketError("EBADF", { op: "select" }, "the selector is closed");
    // Bytes this thread already read from a connection (a peek, a short recvExactly, what came
    // with the hand-over) make it readable: the helper cannot see them, so ask it only to poll.
    const found = new Map<number, number>();
    for (const [fileobj, key] of this.#local.getMap()) {
      if (key.events & EVENT_READ && descriptorOf(fileobj as Socket).buffered) {
        found.set(socketId(fileobj), EVENT_READ);
      }
    }
    if (found.size > 0) seconds = 0;
    const ready = Bridge.get().call("selectorSelect", [this.#helperId, seconds]) as [
      number,
      number,
    ][];
    for (const [id, mask] of ready) found.set(id, (found.get(id) ?? 0) | mask);
    const out: [SelectorKey<F, D>, number][] = [];
    for (const [id, mask] of found) {
      const fileobj = this.#byId.get(id);
      const key = fileobj === undefined ? undefined : this.#local.getMap().get(fileobj);
      if (key !== undefined && (mask & key.events) !== 0) out.push([key, mask & key.events]);
    }
    return out;
  }

  getKey(fileobj: F): SelectorKey<F, D> {
    return this.#local.getKey(fileobj);
  }

  getMap(): ReadonlyMap<F, SelectorKey<F, D>> {
    return this.#local.getMap();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#local.close();
    this.#byId.clear();
    if (this.#id !== undefined) Bridge.get().send("selectorClose", [this.#id]);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #closed = false;
}

function socketId(fileobj: unknown): number {
  return descriptorOf(fileobj as Socket).id;
}
