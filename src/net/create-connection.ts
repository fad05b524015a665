/**
 * Python's `create_connection`: resolve `[host, port]`, then connect to the addresses with Happy
 * Eyeballs (RFC 8305).
 *
 * @module
 */

import { checkBoolean, checkOptions, checkSignal, checkTimeout, describe } from "../core/checks.js";
import { now, race } from "../core/clock.js";
import { AF_INET, SOCK_STREAM } from "../core/constants.js";
import { SocketError, TimeoutError } from "../core/errors.js";
import { getDefaultTimeout } from "../socket/policy.js";
import { Socket } from "../socket/socket.js";
import { SSLContext } from "../tls/context.js";
import type { Address, AddressInput } from "./address.js";
import { formatAddress, typeName } from "./address.js";
import { isDottedQuad } from "./inet.js";
import { getaddrinfo } from "./resolve.js";

/** Options of {@link createConnection}. */
export interface CreateConnectionOptions {
  /**
   * Seconds for resolution and connecting together; the socket keeps it. Default: the default
   * timeout. `0` is non-blocking, as in CPython: every connect fails with BlockingIOError.
   */
  timeout?: number | null;
  /** Local `[host, port]` to bind before connecting. */
  sourceAddress?: readonly [string, number];
  /** Fail with an `AggregateError` of every attempt's error instead of the first one. */
  allErrors?: boolean;
  /** Aborts resolution and the attempts (never a connection already made). */
  signal?: AbortSignal;
  /**
   * Starts TLS with this context once connected and resolves to the TLS socket after the
   * handshake (sending `host` as the server's name); `timeout` and `signal` cover both.
   */
  tls?: SSLContext;
}

/** Delay between starting connection attempts (RFC 8305's "Connection Attempt Delay"). */
export const HAPPY_EYEBALLS_DELAY_MS = 250;

/** Interleaves address families, first family first (RFC 8305 section 4). */
function interleave<T extends { family: number }>(items: T[]): T[] {
  const first = items[0]?.family;
  const a = items.filter((i) => i.family === first);
  const b = items.filter((i) => i.family !== first);
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}

const DONE: Promise<void> = Promise.resolve();

/** Resolves after `ms` (through the clock seam), or as soon as `wake` is called. */
function pause(ms: number): { promise: Promise<void>; wake: () => void } {
  let wake = (): void => {};
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  return { promise: race(woken, now() + ms, undefined, () => undefined), wake };
}

/** One {@link createConnection} call, its arguments checked. */
interface Plan {
  readonly host: string;
  readonly port: number;
  /** `[host, port]` as written, for messages. */
  readonly label: string;
  /** When resolution and connecting must be done (`now()` ms; infinite: no deadline). */
  readonly deadline: number;
  /** The call's timeout: 0 is non-blocking. */
  readonly timeout: number | null;
  readonly sourceAddress: readonly [string, number] | undefined;
  readonly allErrors: boolean;
  readonly tls: SSLContext | undefined;
  readonly signal: AbortSignal | undefined;
  /**
   * The addresses to try when known without asking the resolver: an IPv4 address in plain
   * dotted-decimal form with a valid port is its own and only answer, as getaddrinfo would give.
   */
  readonly targets: Target[] | undefined;
}

/** One address to try. */
interface Target {
  readonly family: number;
  readonly addr: Address;
}

/** Checks createConnection's arguments (TypeError, RangeError) and plans the call. */
function planConnection(address: readonly [string, number], given: unknown): Plan {
  if (!Array.isArray(address) || address.length !== 2) {
    throw new TypeError(
      `createConnection(): address must be [host, port], got ${typeName(address)}`,
    );
  }
  const [host, port] = address;
  if (typeof given === "number") {
    throw new TypeError(
      `createConnection(): options must be an options object, got number ${given} (for a timeout, pass { timeout: ${given} })`,
    );
  }
  const options = checkOptions<CreateConnectionOptions>(given, "createConnection(): options") ?? {};
  const timeout =
    options.timeout === undefined
      ? getDefaultTimeout()
      : checkTimeout(options.timeout, "createConnection(): options.timeout");
  const allErrors = checkBoolean(options.allErrors, "createConnection(): options.allErrors");
  const tls = options.tls;
  if (tls !== undefined && !(tls instanceof SSLContext)) {
    throw new TypeError(
      `createConnection(): options.tls must be an SSLContext (createDefaultContext()), got ${describe(tls)}`,
    );
  }
  const signal = checkSignal(options.signal, "createConnection(): options.signal");
  signal?.throwIfAborted();
  const literal =
    typeof host === "string" &&
    isDottedQuad(host) &&
    Number.isInteger(port) &&
    port >= 0 &&
    port <= 65535;
  return {
    host,
    port,
    label: formatAddress([host, port]),
    // Timeout 0 is non-blocking mode, as in CPython: resolution still completes, and each
    // connect then fails at once with BlockingIOError (EINPROGRESS).
    deadline: timeout === null || timeout === 0 ? Number.POSITIVE_INFINITY : now() + timeout * 1000,
    timeout,
    sourceAddress: options.sourceAddress,
    allErrors,
    tls,
    signal,
    targets: literal ? [{ family: AF_INET, addr: [host, port] }] : undefined,
  };
}

/** The addresses getaddrinfo gives for the plan's `[host, port]`, families interleaved. */
async function resolveTargets(plan: Plan): Promise<Target[]> {
  const infos = await race(
    getaddrinfo(plan.host, plan.port, { type: SOCK_STREAM }),
    plan.deadline,
    plan.signal,
    () => Promise.reject(new TimeoutError({ op: "connect", address: plan.label })),
  );
  return interleave(infos.map(([family, , , , addr]) => ({ family, addr })));
}

/** One socket connected to `addr`, or closed and the error raised. */
async function connectOne(
  plan: Plan,
  family: number,
  addr: Address,
  signal: AbortSignal | undefined,
): Promise<Socket> {
  const sock = new Socket(family, SOCK_STREAM);
  try {
    if (plan.sourceAddress !== undefined) await sock.bind(plan.sourceAddress);
    const remaining = plan.deadline - now();
    if (remaining <= 0) throw new TimeoutError({ op: "connect", address: plan.label });
    const timeout =
      plan.timeout === 0 ? 0 : remaining === Number.POSITIVE_INFINITY ? null : remaining / 1000;
    await sock.connect(addr as AddressInput, { timeout, signal });
    return sock;
  } catch (error) {
    sock.close();
    throw error;
  }
}

/** The one address's socket, or undefined with its error added to `errors`. */
async function connectOnly(
  plan: Plan,
  target: Target,
  errors: unknown[],
): Promise<Socket | undefined> {
  try {
    return await connectOne(plan, target.family, target.addr, plan.signal);
  } catch (error) {
    errors.push(error);
    return undefined;
  }
}

/**
 * Happy Eyeballs over several addresses: a new attempt every 250 ms or as soon as one fails; the
 * first to connect wins and the others are cancelled. Failed attempts' errors go to `errors`.
 */
async function connectFirst(
  plan: Plan,
  targets: readonly Target[],
  errors: unknown[],
): Promise<Socket | undefined> {
  const { signal } = plan;
  let winner: Socket | undefined;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const attempts: Promise<void>[] = [];
  /** The wait between two attempts; none before the first. */
  let stagger: { promise: Promise<void>; wake: () => void } = { promise: DONE, wake: () => {} };
  const attempt = async (family: number, addr: Address): Promise<void> => {
    try {
      const sock = await connectOne(plan, family, addr, controller.signal);
      if (winner === undefined) {
        winner = sock;
        controller.abort();
      } else {
        sock.close();
      }
    } catch (error) {
      if (winner === undefined && !controller.signal.aborted) errors.push(error);
    } finally {
      stagger.wake();
    }
  };
  try {
    for (const { family, addr } of targets) {
      if (winner !== undefined || controller.signal.aborted) break;
      attempts.push(attempt(family, addr));
      stagger = pause(HAPPY_EYEBALLS_DELAY_MS);
      await stagger.promise;
    }
    await Promise.all(attempts);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stagger.wake();
  }
  return winner;
}

/** The connected socket, keeping the call's timeout; with TLS, once its handshake is done. */
async function finishConnection(plan: Plan, sock: Socket): Promise<Socket> {
  sock.setTimeout(plan.timeout);
  const { tls } = plan;
  if (tls === undefined) return sock;
  // The handshake gets what is left of the timeout; a non-blocking socket leaves it to
  // do_handshake().
  const left =
    plan.deadline === Number.POSITIVE_INFINITY ? null : Math.max(plan.deadline - now(), 1) / 1000;
  try {
    return await tls.wrapSocket(sock, {
      serverHostname: plan.host,
      ...(plan.timeout === 0 ? { doHandshakeOnConnect: false } : { timeout: left }),
      signal: plan.signal,
    });
  } catch (error) {
    sock.close(); // if it was not detached yet
    throw error;
  }
}

/** The error of a call whose every attempt failed. */
function connectionFailed(plan: Plan, errors: unknown[]): unknown {
  if (plan.signal?.aborted) return plan.signal.reason;
  if (plan.allErrors) {
    return new AggregateError(
      errors,
      `create_connection failed for every address of ${plan.label}`,
    );
  }
  // As CPython's create_connection: the last attempt's error.
  return errors.at(-1) ?? new SocketError("EAI_NONAME", { op: "connect", address: plan.label });
}

/**
 * Connects to `[host, port]`, trying every resolved address with Happy Eyeballs (a new attempt
 * every 250 ms or as soon as one fails; the first to connect wins). The returned socket keeps
 * `timeout`.
 *
 * @example
 * ```ts
 * await using sock = await createConnection(["localhost", 8080], { timeout: 5 });
 * ```
 */
export async function createConnection(
  address: readonly [string, number],
  options?: CreateConnectionOptions,
): Promise<Socket> {
  // The work is in the functions this one calls: with thousands of connections started at
  // once, V8 compiles this function before any of them resumes after an await, and again
  // when they do, so the less it holds, the less that costs.
  const plan = planConnection(address, options);
  const targets = plan.targets ?? (await resolveTargets(plan));
  const errors: unknown[] = [];
  const winner =
    targets.length === 1
      ? await connectOnly(plan, targets[0]!, errors)
      : await connectFirst(plan, targets, errors);
  if (winner === undefined) throw connectionFailed(plan, errors);
  return finishConnection(plan, winner);
}
