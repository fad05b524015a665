/**
 * `SSLContext` and `createDefaultContext`: Python's `ssl.create_default_context()`, on
 * `node:tls`. A context holds what every connection made with it shares (trusted CAs, the
 * certificate and key, the verification policy, ALPN) and wraps connected sockets in TLS.
 *
 * Everything is checked, and the OpenSSL context built, when the context is made: a certificate
 * in the wrong format, a key that does not match it or an unknown option fails there, with a
 * typed error, never later as an event.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import * as tls from "node:tls";
import { checkBoolean, checkOptions, describe } from "../core/checks.js";
import { fromNodeError } from "../core/errors.js";
import type { Socket } from "../socket/socket.js";
import { SSLError, toSSLError } from "./errors.js";
import type { SSLSocket } from "./ssl-socket.js";
import { type TlsSettings, wrapSocket } from "./wrap.js";

/** `verifyMode`: do not verify the peer's certificate (Python's `ssl.CERT_NONE`). */
export const CERT_NONE = 0;
/** `verifyMode`: verify a certificate if the peer sends one (Python's `ssl.CERT_OPTIONAL`). */
export const CERT_OPTIONAL = 1;
/** `verifyMode`: the peer must send a valid certificate (Python's `ssl.CERT_REQUIRED`). */
export const CERT_REQUIRED = 2;

/** A TLS protocol version, named as `version()` reports it. */
export type TLSVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

const VERSIONS: readonly TLSVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/** PEM text, or bytes holding PEM (or, for `ca`, DER). */
export type CertificateData = string | Uint8Array;

/** Options of {@link createDefaultContext}. */
export interface SSLContextOptions {
  /** A PEM file of CA certificates to trust instead of the system's (Python's `cafile`). */
  cafile?: string | undefined;
  /** CA certificates to trust instead of the system's: PEM text, or DER bytes (Python's `cadata`). */
  ca?: CertificateData | readonly CertificateData[] | undefined;
  /** This side's certificate chain, PEM (a server needs one; a client may send one). */
  cert?: CertificateData | undefined;
  /** The private key of `cert`, PEM (it may also be in `cert`, as in Python's `certfile`). */
  key?: CertificateData | undefined;
  /** The passphrase of an encrypted `key`. */
  password?: string | undefined;
  /** ALPN protocols to offer (client) or accept (server), most preferred first, e.g. `["h2", "http/1.1"]`. */
  alpnProtocols?: readonly string[] | undefined;
  /** The oldest protocol version allowed (default `"TLSv1.2"`). */
  minimumVersion?: TLSVersion | undefined;
  /** The newest protocol version allowed (default `"TLSv1.3"`). */
  maximumVersion?: TLSVersion | undefined;
  /**
   * Clients: whether the server's certificate must be for `serverHostname` (default true;
   * false by default when `verifyMode` is `CERT_NONE`).
   */
  checkHostname?: boolean | undefined;
  /**
   * How the peer's certificate is verified: `CERT_REQUIRED` (default), `CERT_OPTIONAL` or
   * `CERT_NONE`. A client treats `CERT_OPTIONAL` as `CERT_REQUIRED`, as OpenSSL and Python do;
   * a server applies it to client certificates when `requestCert` is set.
   */
  verifyMode?: number | undefined;
  /** Servers: ask clients for a certificate, verified as `verifyMode` says (default false). */
  requestCert?: boolean | undefined;
}

const OPTION_NAMES = new Set<string>([
  "cafile",
  "ca",
  "cert",
  "key",
  "password",
  "alpnProtocols",
  "minimumVersion",
  "maximumVersion",
  "checkHostname",
  "verifyMode",
  "requestCert",
]);

/** Options of {@link SSLContext.wrapSocket}. */
export interface WrapSocketOptions {
  /**
   * Clients: the server's name, sent as SNI (unless it is an IP address) and checked against its
   * certificate. Default: the host the socket was connected to.
   */
  serverHostname?: string | undefined;
  /** This side is the TLS server (an accepted connection). Default false. */
  server?: boolean | undefined;
  /**
   * Do the handshake before the promise resolves (default true). False resolves at once: call
   * `doHandshake()`, or let the first data call wait for it; the way to go on a non-blocking
   * socket.
   */
  doHandshakeOnConnect?: boolean | undefined;
  /** Seconds for the handshake, instead of the socket's timeout. */
  timeout?: number | null | undefined;
  /** Aborting rejects the handshake with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** The CA certificates of the system's store, where the runtime can read it (Node.js >= 22.15). */
let systemCAs: string[] | null | undefined;

function defaultCAs(): string[] | null {
  if (systemCAs === undefined) {
    const read = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
    systemCAs =
      typeof read === "function" ? [...new Set([...read("default"), ...read("system")])] : null;
  }
  return systemCAs;
}

/**
 * Python's `ssl.SSLContext`, made by {@link createDefaultContext}. Its settings are fixed when it
 * is made; read them back from its properties.
 */
export class SSLContext {
  readonly #settings: TlsSettings;
  readonly #minimumVersion: TLSVersion;
  readonly #maximumVersion: TLSVersion;

  /** Makes a context; see {@link createDefaultContext} for the options. */
  constructor(options?: SSLContextOptions) {
    const where = "createDefaultContext(): options";
    const o = checkOptions<SSLContextOptions>(options, where) ?? {};
    for (const name of Object.keys(o)) {
      if (!OPTION_NAMES.has(name)) {
        throw new TypeError(
          `${where} has an unknown option ${JSON.stringify(name)} (allowed: ${[...OPTION_NAMES].join(", ")})`,
        );
      }
    }
    const verifyMode = o.verifyMode ?? CERT_REQUIRED;
    if (verifyMode !== CERT_NONE && verifyMode !== CERT_OPTIONAL && verifyMode !== CERT_REQUIRED) {
      throw new TypeError(
        `${where}.verifyMode must be CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED, got ${describe(verifyMode)}`,
      );
    }
    const checkHostname = checkBoolean(
      o.checkHostname,
      `${where}.checkHostname`,
      verifyMode !== CERT_NONE,
    );
    if (checkHostname && verifyMode === CERT_NONE) {
      throw new RangeError(
        `${where}: checkHostname needs a verified certificate: with verifyMode CERT_NONE, set checkHostname false`,
      );
    }
    const requestCert = checkBoolean(o.requestCert, `${where}.requestCert`, false);
    this.#minimumVersion = checkVersion(o.minimumVersion, `${where}.minimumVersion`, "TLSv1.2");
    this.#maximumVersion = checkVersion(o.maximumVersion, `${where}.maximumVersion`, "TLSv1.3");
    if (VERSIONS.indexOf(this.#minimumVersion) > VERSIONS.indexOf(this.#maximumVersion)) {
      throw new RangeError(`${where}: minimumVersion is newer than maximumVersion`);
    }
    const alpnProtocols = checkAlpn(o.alpnProtocols, `${where}.alpnProtocols`);
    const ca = trustedCAs(o, where);
    const cert = checkData(o.cert, `${where}.cert`);
    let key = checkData(o.key, `${where}.key`);
    if (cert !== undefined && key === undefined) {
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text(cert))) {
        throw new TypeError(`${where}.key is missing: give the private key of cert`);
      }
      key = cert;
    }
    if (key !== undefined && cert === undefined) {
      throw new TypeError(`${where}.cert is missing: give the certificate of key`);
    }
    if (o.password !== undefined && typeof o.password !== "string") {
      throw new TypeError(`${where}.password must be a string, got ${describe(o.password)}`);
    }
    let secureContext: tls.SecureContext;
    try {
      secureContext = tls.createSecureContext({
        ...(ca === null ? {} : { ca }),
        ...(cert === undefined ? {} : { cert: forNode(cert), key: forNode(key!) }),
        ...(o.password === undefined ? {} : { passphrase: o.password }),
        minVersion: this.#minimumVersion,
        maxVersion: this.#maximumVersion,
      });
    } catch (error) {
      throw toSSLError(error, { op: "createDefaultContext" }) ?? error;
    }
    this.#settings = {
      secureContext,
      verifyMode,
      checkHostname,
      requestCert,
      alpnProtocols,
      hasCert: cert !== undefined,
    };
  }

  /** How the peer's certificate is verified: `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. */
  get verifyMode(): number {
    return this.#settings.verifyMode;
  }

  /** Whether a client checks that the server's certificate is for `serverHostname`. */
  get checkHostname(): boolean {
    return this.#settings.checkHostname;
  }

  /** Whether a server asks clients for a certificate. */
  get requestCert(): boolean {
    return this.#settings.requestCert;
  }

  /** The oldest protocol version allowed. */
  get minimumVersion(): TLSVersion {
    return this.#minimumVersion;
  }

  /** The newest protocol version allowed. */
  get maximumVersion(): TLSVersion {
    return this.#maximumVersion;
  }

  /** The ALPN protocols offered or accepted, or an empty array. */
  get alpnProtocols(): string[] {
    return [...(this.#settings.alpnProtocols ?? [])];
  }

  /**
   * Starts TLS on a connected (or accepted, with `server: true`) socket and resolves to the TLS
   * socket once the handshake is done. The handshake follows the socket's mode: it waits, or
   * fails with `TimeoutError` after the socket's timeout (or `options.timeout`); the socket must
   * not be non-blocking unless `doHandshakeOnConnect` is false. `sock` itself is detached, as in
   * Python: its calls fail with `EBADF` from now on, while the TLS socket owns the connection.
   * Bytes `sock` had received and not read go to TLS first (STARTTLS loses nothing).
   * If the handshake fails, times out or is aborted, the connection is closed.
   */
  wrapSocket(sock: Socket, options?: WrapSocketOptions): Promise<SSLSocket> {
    return wrapSocket(this, this.#settings, sock, options);
  }
}

/**
 * Python's `ssl.create_default_context()`: a context that verifies the peer's certificate
 * against the system's CA store (or `cafile`/`ca`), checks the host name, and allows TLS 1.2
 * and newer. Give `cert` and `key` for a server (or a client that authenticates itself).
 *
 * @example
 * ```ts
 * const context = createDefaultContext();
 * await using sock = await createConnection(["example.com", 443], { tls: context });
 * await sock.sendAll("HEAD / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
 * const status = await sock.recvUntil("\r\n");
 * ```
 */
export function createDefaultContext(options?: SSLContextOptions): SSLContext {
  return new SSLContext(options);
}

function checkVersion(value: unknown, where: string, fallback: TLSVersion): TLSVersion {
  if (value === undefined) return fallback;
  const version = VERSIONS.find((v) => v === value);
  if (version === undefined) {
    throw new TypeError(`${where} must be one of ${VERSIONS.join(", ")}, got ${describe(value)}`);
  }
  return version;
}

function checkAlpn(value: unknown, where: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError(`${where} must be an array of strings, got ${describe(value)}`);
  }
  for (const protocol of value) {
    if (typeof protocol !== "string") {
      throw new TypeError(`${where} must hold strings, got ${describe(protocol)}`);
    }
    const bytes = Buffer.byteLength(protocol);
    if (bytes === 0 || bytes > 255) {
      throw new RangeError(`${where}: each protocol must be 1-255 bytes, got ${bytes}`);
    }
  }
  return value.length === 0 ? undefined : [...(value as string[])];
}

function checkData(value: unknown, where: string): CertificateData | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  throw new TypeError(`${where} must be PEM text (a string or bytes), got ${describe(value)}`);
}

function forNode(data: CertificateData): string | Buffer {
  return typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}

function text(data: CertificateData): string {
  return typeof data === "string" ? data : Buffer.from(data).toString("latin1");
}

const PEM_CERTIFICATE =
  /-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----[\s\S]+?-----END (?:TRUSTED |X509 )?CERTIFICATE-----/g;

/**
 * The CA certificates to trust, as PEM: from `cafile` and `ca`, or the system's (null: the
 * runtime's default store). Each is parsed here, so a wrong one fails now.
 */
function trustedCAs(o: SSLContextOptions, where: string): string[] | null {
  const out: string[] = [];
  if (o.cafile !== undefined) {
    if (typeof o.cafile !== "string") {
      throw new TypeError(`${where}.cafile must be a path, got ${describe(o.cafile)}`);
    }
    let contents: Buffer;
    try {
      contents = readFileSync(o.cafile);
    } catch (error) {
      throw fromNodeError(error, { op: "createDefaultContext", address: o.cafile });
    }
    out.push(...certificatesIn(contents, `${where}.cafile`, false));
  }
  if (o.ca !== undefined) {
    const list: unknown[] = Array.isArray(o.ca) ? o.ca : [o.ca];
    for (const entry of list) {
      const data = checkData(entry, `${where}.ca`);
      if (data !== undefined) out.push(...certificatesIn(data, `${where}.ca`, true));
    }
  }
  if (o.cafile === undefined && o.ca === undefined) return defaultCAs();
  return out;
}

/** The certificates in PEM text (or, if `der` allows, DER bytes), each checked, as PEM. */
function certificatesIn(data: CertificateData, where: string, der: boolean): string[] {
  const blocks = text(data).match(PEM_CERTIFICATE) ?? [];
  const certificates: string[] = [];
  if (blocks.length === 0 && der && data instanceof Uint8Array) {
    try {
      certificates.push(new X509Certificate(data).toString());
    } catch {
      // Not DER either: no certificate found (below).
    }
  }
  try {
    for (const block of blocks) certificates.push(new X509Certificate(block).toString());
  } catch (error) {
    throw (
      toSSLError(error, { op: "createDefaultContext" }) ??
      new SSLError("BAD_CERTIFICATE", `${where}: ${String(error)}`, { library: "X509" })
    );
  }
  if (certificates.length === 0) {
    throw new SSLError("NO_CERTIFICATE_OR_CRL_FOUND", "no certificate or crl found", {
      op: "createDefaultContext",
      address: where.replace(/^.*options\./, ""),
      library: "X509",
    });
  }
  return certificates;
}
