/**
 * TLS errors as Python's `ssl` module raises them, and the one function that turns what
 * `node:tls` reports (OpenSSL errors, certificate verification results, host name checks) into
 * them.
 *
 * Python's fields: `library` is OpenSSL's short library name (`"SSL"`, `"X509"`, `"PEM"`),
 * `reason` its reason mnemonic (`"CERTIFICATE_VERIFY_FAILED"`, `"WRONG_VERSION_NUMBER"`); `code`
 * and `errno` are Python's `errno` of an SSLError, the `SSL_ERROR_*` name and number.
 *
 * @module
 */

import { checkOptions, describe } from "../core/checks.js";
import { SocketError, type SocketErrorOptions } from "../core/errors.js";
import { verifyCodeOf } from "./verify-codes.js";

/** Python's `SSL_ERROR_*` numbers (an SSLError's `errno`). */
const SSL_ERRNO = { SSL_ERROR_SSL: 1, SSL_ERROR_EOF: 8 } as const;

/** OpenSSL's library names as Node.js reports them → the short names Python reports. */
const LIBRARIES: Readonly<Record<string, string>> = {
  "SSL routines": "SSL",
  "x509 certificate routines": "X509",
  "X509 certificate routines": "X509",
  "X.509 certificate routines": "X509",
  "PEM routines": "PEM",
  "asn1 encoding routines": "ASN1",
  "DECODER routines": "DECODER",
  "Provider routines": "PROV",
  "digital envelope routines": "EVP",
  "rsa routines": "RSA",
  "elliptic curve routines": "EC",
  "BIO routines": "BIO",
  "system library": "SYS",
};

/** BoringSSL's reasons (Bun) that OpenSSL (Node.js, Python) names otherwise. */
const OPENSSL_REASONS: Readonly<Record<string, string>> = {
  TLSV1_ALERT_CERTIFICATE_REQUIRED: "TLSV13_ALERT_CERTIFICATE_REQUIRED",
};

/** What an SSLError knows besides a socket error's fields. */
export interface SSLErrorOptions extends SocketErrorOptions {
  /** OpenSSL's short library name, e.g. `"SSL"`, or null. */
  library?: string | null | undefined;
}

/**
 * Python's `ssl.SSLError`: the TLS layer failed (a handshake the peer refused, a certificate or
 * key that OpenSSL rejects). `reason` is OpenSSL's mnemonic, e.g. `"WRONG_VERSION_NUMBER"`;
 * `code` is `"SSL_ERROR_SSL"` (errno 1).
 */
export class SSLError extends SocketError {
  /** OpenSSL's short library name, e.g. `"SSL"`, `"X509"`, `"PEM"`, or null. */
  readonly library: string | null;
  /** OpenSSL's reason mnemonic, e.g. `"CERTIFICATE_VERIFY_FAILED"`. */
  declare readonly reason: string;
  declare readonly errno: number;
  /** What went wrong, as Python's `strerror`: `"[SSL: REASON] text"`. */
  readonly strerror: string;

  constructor(
    reason: string,
    text: string,
    options: SSLErrorOptions = {},
    code: keyof typeof SSL_ERRNO = "SSL_ERROR_SSL",
  ) {
    const name = new.target.name;
    checkText(reason, `${name}(): reason`);
    checkText(text, `${name}(): text`);
    if (!Object.hasOwn(SSL_ERRNO, code)) {
      throw new TypeError(
        `${name}(): code must be "SSL_ERROR_SSL" or "SSL_ERROR_EOF", got ${describe(code)}`,
      );
    }
    const library = checkOptions<SSLErrorOptions>(options, `${name}(): options`)?.library ?? null;
    if (library !== null) checkText(library, `${name}(): options.library`);
    const strerror = `[${library ?? "SSL"}: ${reason}] ${text}`;
    super(code, options, strerror);
    Object.defineProperty(this, "reason", { value: reason, enumerable: true });
    Object.defineProperty(this, "errno", { value: SSL_ERRNO[code], enumerable: true });
    this.library = library;
    this.strerror = strerror;
  }
}

/**
 * Python's `ssl.SSLCertVerificationError`: the peer's certificate is untrusted, expired, not
 * yet valid or for another name. `verifyCode` is OpenSSL's `X509_V_ERR_*` number (e.g. 10 for
 * an expired certificate, 62 for a host name mismatch), `verifyMessage` its text.
 */
export class SSLCertVerificationError extends SSLError {
  /** OpenSSL's verification result, an `X509_V_ERR_*` number. */
  readonly verifyCode: number;
  /** What the verification result means, in OpenSSL's (and Python's) words. */
  readonly verifyMessage: string;

  constructor(verifyCode: number, verifyMessage: string, options: SocketErrorOptions = {}) {
    if (!Number.isInteger(verifyCode)) {
      throw new TypeError(
        `SSLCertVerificationError(): verifyCode must be an integer, got ${describe(verifyCode)}`,
      );
    }
    checkText(verifyMessage, "SSLCertVerificationError(): verifyMessage");
    checkOptions(options, "SSLCertVerificationError(): options");
    super("CERTIFICATE_VERIFY_FAILED", `certificate verify failed: ${verifyMessage}`, {
      ...options,
      library: "SSL",
    });
    this.verifyCode = verifyCode;
    this.verifyMessage = verifyMessage;
  }
}

/**
 * Python's `ssl.SSLEOFError`: the connection ended in the middle of the TLS handshake (`code`
 * `"SSL_ERROR_EOF"`, errno 8).
 */
export class SSLEOFError extends SSLError {
  constructor(options: SocketErrorOptions = {}) {
    checkOptions(options, "SSLEOFError(): options");
    super(
      "UNEXPECTED_EOF_WHILE_READING",
      "EOF occurred in violation of protocol",
      { ...options, library: "SSL" },
      "SSL_ERROR_EOF",
    );
  }
}

function checkText(value: unknown, where: string): void {
  if (typeof value !== "string")
    throw new TypeError(`${where} must be a string, got ${describe(value)}`);
}

/** Where a TLS error happened, and the host name the certificate was checked against. */
export interface TlsErrorContext extends SocketErrorOptions {
  hostname?: string | null | undefined;
}

/**
 * The SSLError for an error `node:tls` reported, or undefined when it is not a TLS error (a
 * reset, a broken pipe: those stay socket errors).
 */
export function toSSLError(error: unknown, context: TlsErrorContext): SSLError | undefined {
  if (error instanceof SSLError) return error;
  if (!(error instanceof Error)) return undefined;
  const { code, library, reason } = error as Error & {
    code?: unknown;
    library?: unknown;
    reason?: unknown;
  };
  if (typeof code !== "string") return undefined;
  const options = { op: context.op, address: context.address, cause: error };
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const host = context.hostname ?? String((error as { host?: unknown }).host ?? "");
    const ip = /^[\d.]+$|:/.test(host);
    return new SSLCertVerificationError(
      ip ? 64 : 62,
      `${ip ? "IP address" : "Hostname"} mismatch, certificate is not valid for '${host}'.`,
      options,
    );
  }
  const verifyCode = verifyCodeOf(code);
  if (verifyCode !== undefined) {
    return new SSLCertVerificationError(verifyCode, error.message, options);
  }
  const isOpenSSL = code.startsWith("ERR_SSL_") || code.startsWith("ERR_OSSL_");
  if (!isOpenSSL && !code.startsWith("ERR_TLS_")) return undefined;
  const raw =
    typeof reason === "string" && reason !== ""
      ? reason.toUpperCase().replace(/[\s-]+/g, "_")
      : code.replace(/^ERR_(SSL|OSSL|TLS)_/, "");
  const mnemonic = Object.hasOwn(OPENSSL_REASONS, raw) ? OPENSSL_REASONS[raw]! : raw;
  const text = typeof reason === "string" && reason !== "" ? reason : error.message;
  const lib =
    typeof library === "string"
      ? Object.hasOwn(LIBRARIES, library)
        ? LIBRARIES[library]!
        : library
      : isOpenSSL
        ? "SSL"
        : null;
  return new SSLError(mnemonic, text, { ...options, library: lib });
}
