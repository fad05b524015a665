/**
 * `createDefaultContext`: Python's defaults, every option checked at the call, and certificates,
 * keys and CA files in the wrong shape refused there with typed errors.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  createDefaultContext,
  SocketError,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
} from "../src/index.js";
import { checkLeaks, isCode } from "./helpers.js";
import { HAVE_OPENSSL, testCertificates } from "./tls-certs.js";
import { clientContext, serverContext, tlsPair } from "./tls-helpers.js";

checkLeaks();

const T = { timeout: 10_000, skip: HAVE_OPENSSL ? false : "needs the openssl command" };

describe("createDefaultContext", () => {
  test("verifies certificates and host names and allows TLS 1.2 and newer by default", () => {
    const context = createDefaultContext();
    assert.ok(context instanceof SSLContext);
    assert.equal(context.verifyMode, CERT_REQUIRED);
    assert.equal(context.checkHostname, true);
    assert.equal(context.requestCert, false);
    assert.equal(context.minimumVersion, "TLSv1.2");
    assert.equal(context.maximumVersion, "TLSv1.3");
    assert.deepEqual(context.alpnProtocols, []);
    assert.deepEqual([CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED], [0, 1, 2]);
  });

  test("CERT_NONE turns the host name check off unless asked for, which is an error", () => {
    assert.equal(createDefaultContext({ verifyMode: CERT_NONE }).checkHostname, false);
    assert.throws(
      () => createDefaultContext({ verifyMode: CERT_NONE, checkHostname: true }),
      RangeError,
    );
  });

  test(
    "the default store does not trust the test CA: the handshake fails verification",
    T,
    async () => {
      await assert.rejects(
        tlsPair({ client: createDefaultContext() }),
        (error: unknown) => error instanceof SSLCertVerificationError,
      );
    },
  );

  test("unknown options and wrong types are TypeErrors; wrong values RangeErrors", () => {
    for (const bad of [
      { caFile: "x" },
      { verify_mode: 2 },
      { verifyMode: 3 },
      { verifyMode: "required" },
      { checkHostname: 1 },
      { requestCert: "yes" },
      { minimumVersion: "TLSv1_2" },
      { alpnProtocols: "h2" },
      { alpnProtocols: [1] },
      { cert: 42 },
      { cafile: 1 },
      { password: 1 },
    ]) {
      assert.throws(() => createDefaultContext(bad as never), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => createDefaultContext(7 as never), TypeError);
    assert.throws(() => createDefaultContext({ alpnProtocols: [""] }), RangeError);
    assert.throws(() => createDefaultContext({ alpnProtocols: ["x".repeat(256)] }), RangeError);
    assert.throws(
      () => createDefaultContext({ minimumVersion: "TLSv1.3", maximumVersion: "TLSv1.2" }),
      RangeError,
    );
  });

  test("a key that does not match the certificate is Python's X509 KEY_VALUES_MISMATCH", T, () => {
    const { server, client } = testCertificates();
    assert.throws(
      () => createDefaultContext({ cert: server.pem, key: client.key }),
      (error: unknown) => {
        assert.ok(error instanceof SSLError, String(error));
        assert.equal(error.library, "X509");
        assert.equal(error.reason, "KEY_VALUES_MISMATCH");
        assert.equal(error.code, "SSL_ERROR_SSL");
        assert.equal(error.op, "createDefaultContext");
        return true;
      },
    );
  });

  test("a certificate or key that is not PEM is an SSLError", T, () => {
    const { server } = testCertificates();
    assert.throws(
      () => createDefaultContext({ cert: "not a certificate", key: server.key }),
      SSLError,
    );
    assert.throws(() => createDefaultContext({ cert: server.pem, key: "not a key" }), SSLError);
  });

  test("a certificate needs its key, and a key its certificate", T, () => {
    const { server } = testCertificates();
    assert.throws(() => createDefaultContext({ cert: server.pem }), TypeError);
    assert.throws(() => createDefaultContext({ key: server.key }), TypeError);
    // Both in one PEM, as Python's certfile may hold them.
    const both = createDefaultContext({ cert: server.pem + server.key });
    assert.ok(both instanceof SSLContext);
  });

  test("CA certificates that are not certificates are refused, as Python refuses them", T, () => {
    const { dir, server } = testCertificates();
    for (const ca of ["junk", Buffer.from("junk"), [testCertificates().ca.pem, "junk"]]) {
      assert.throws(
        () => createDefaultContext({ ca }),
        (error: unknown) => {
          assert.ok(error instanceof SSLError, String(error));
          assert.equal(error.reason, "NO_CERTIFICATE_OR_CRL_FOUND");
          assert.equal(error.library, "X509");
          return true;
        },
      );
    }
    assert.throws(() => createDefaultContext({ cafile: server.keyFile }), SSLError);
    assert.throws(
      () => createDefaultContext({ cafile: join(dir, "no-such-file.pem") }),
      isCode(SocketError, "ENOENT"),
    );
  });

  test("CA certificates may come from a file, as PEM text or as DER bytes", T, async () => {
    const { ca } = testCertificates();
    const der = Buffer.from(ca.pem.replace(/-----[A-Z ]+-----|\s+/g, ""), "base64");
    for (const context of [
      createDefaultContext({ cafile: ca.certFile }),
      createDefaultContext({ ca: der }),
      createDefaultContext({ ca: [Buffer.from(ca.pem)] }),
    ]) {
      await using pair = await tlsPair({ client: context });
      assert.equal(pair.client.version(), "TLSv1.3");
    }
  });

  test("an encrypted key needs its password", T, async () => {
    const { dir, server } = testCertificates();
    const encrypted = join(dir, "server-encrypted.key");
    execFileSync("openssl", [
      "pkey",
      "-in",
      server.keyFile,
      "-out",
      encrypted,
      "-aes256",
      "-passout",
      "pass:sesame",
    ]);
    const key = (await import("node:fs")).readFileSync(encrypted, "utf8");
    assert.throws(() => createDefaultContext({ cert: server.pem, key }), SSLError);
    assert.throws(
      () => createDefaultContext({ cert: server.pem, key, password: "wrong" }),
      SSLError,
    );
    const context = createDefaultContext({ cert: server.pem, key, password: "sesame" });
    await using pair = await tlsPair({ server: context });
    assert.equal(pair.server.version(), "TLSv1.3");
  });

  test("protocol versions bound what the handshake may agree on", T, async () => {
    await using pair = await tlsPair({ client: clientContext({ maximumVersion: "TLSv1.2" }) });
    assert.equal(pair.client.version(), "TLSv1.2");
    assert.equal(pair.client.cipher()![1], "TLSv1.2");
    await assert.rejects(
      tlsPair({
        client: clientContext({ minimumVersion: "TLSv1.3" }),
        server: serverContext({ maximumVersion: "TLSv1.2" }),
      }),
      SSLError,
    );
  });
});
