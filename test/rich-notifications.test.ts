// Rich notifications' cryptography: the encryptionCertificate read (RSA 2048 to 4096 only, its thumbprint
// as OpenSSL computes it), encryptedContent made as Graph makes it and decrypted as Microsoft's guide
// decrypts it, and the validationTokens the service signs, verified against the key set it publishes.
import { env } from "cloudflare:workers";
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { certificateProblem, readCertificate } from "../src/notifications/certificate";
import { encryptContent } from "../src/notifications/encrypted-content";
import { publicKeySet, signingConfigured, validationToken } from "../src/notifications/validation-tokens";
import { call, ORIGIN } from "./support/api";
import { CERTIFICATES, decryptContent, PRIVATE_KEYS } from "./support/certificates";
import { expectGraphError, seen } from "./support/graph";
import { batch, errorAnswer, expectBatchAnswer } from "./support/batch";

/** `openssl x509 -in <file>-cert.pem -noout -fingerprint -sha1`, as it printed them (test/fixtures/certificates/README.md). */
const OPENSSL_FINGERPRINTS = {
  rsa2048: "sha1 Fingerprint=7B:3C:FC:40:9D:D4:7A:64:79:C6:30:D0:BB:DE:A3:C3:7E:E8:51:C0",
  rsa2048V1: "sha1 Fingerprint=72:F3:8B:50:F2:79:F7:12:AA:99:0D:D0:43:C1:69:C2:C2:85:BF:17",
  rsa4096: "sha1 Fingerprint=DA:54:27:86:B4:FC:09:1B:4C:27:53:92:FA:3B:E2:7E:8D:4E:CC:79",
};

/** Graph's encryptionCertificateThumbprint for OpenSSL's fingerprint line: the hex digits alone. */
const thumbprint = (fingerprint: string) => fingerprint.split("=")[1]!.replaceAll(":", "");

const base64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

/** An RSA public key imported for RSA-OAEP with SHA-1, to encrypt only, of this size. */
const oaepKey = (modulusLength: number) => ({
  type: "public",
  extractable: false,
  usages: ["encrypt"],
  algorithm: { name: "RSA-OAEP", modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: { name: "SHA-1" } },
});

/** What a test compares of a CryptoKey. */
const keyOf = (key: CryptoKey) => ({ type: key.type, extractable: key.extractable, usages: key.usages, algorithm: key.algorithm });

const RSA_EXPECTED = "expected RSA of 2048 to 4096 bits.";

describe("readCertificate and certificateProblem: an encryptionCertificate", () => {
  it.each([
    ["RSA 2048, base64 DER", CERTIFICATES.rsa2048, 2048, OPENSSL_FINGERPRINTS.rsa2048],
    ["RSA 2048 as PEM, after a line of text", CERTIFICATES.rsa2048Pem, 2048, OPENSSL_FINGERPRINTS.rsa2048],
    [
      "RSA 2048, base64 wrapped at 64 characters with CRLF and spaces",
      ` ${CERTIFICATES.rsa2048.replace(/.{64}/g, "$&\r\n")}\n`,
      2048,
      OPENSSL_FINGERPRINTS.rsa2048,
    ],
    ["RSA 2048, version 1 (no [0] version field)", CERTIFICATES.rsa2048V1, 2048, OPENSSL_FINGERPRINTS.rsa2048V1],
    ["RSA 4096", CERTIFICATES.rsa4096, 4096, OPENSSL_FINGERPRINTS.rsa4096],
  ])("accepts %s: its key for RSA-OAEP (SHA-1), and OpenSSL's SHA-1 fingerprint as thumbprint", async (_name, text, bits, fingerprint) => {
    const reading = await readCertificate(text);
    expect("publicKey" in reading && { publicKey: keyOf(reading.publicKey), thumbprint: reading.thumbprint }).toEqual({
      publicKey: oaepKey(bits),
      thumbprint: thumbprint(fingerprint),
    });
    expect(await certificateProblem(text)).toBeNull();
  });

  it.each([
    ["RSA 1024", CERTIFICATES.rsa1024, `The certificate's key is 1024-bit RSA; ${RSA_EXPECTED}`],
    ["RSA 8192", CERTIFICATES.rsa8192, `The certificate's key is 8192-bit RSA; ${RSA_EXPECTED}`],
    ["EC P-256", CERTIFICATES.ecP256, `The certificate's key is EC (P-256); ${RSA_EXPECTED}`],
    ["truncated", CERTIFICATES.truncated, "Not an X.509 certificate: the element at byte 0 runs past the end of what holds it."],
    ["not base64", CERTIFICATES.notBase64, "Not base64: expected an X.509 certificate's DER bytes in base64, or a PEM certificate."],
    ["empty", " \n", "Expected an X.509 certificate in base64; the value is empty."],
    ["a private key's PEM", PRIVATE_KEYS.rsa2048, "This is a private key: send the certificate, which holds only the public key."],
    [
      "a public key's PEM",
      "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----",
      "Expected a certificate; the PEM holds a PUBLIC KEY.",
    ],
    ["two PEM certificates", `${CERTIFICATES.rsa2048Pem}\n${CERTIFICATES.rsa2048Pem}`, "Expected one certificate; the PEM holds 2 blocks."],
    [
      "a PEM without its END line",
      "-----BEGIN CERTIFICATE-----\nMAA=\n",
      "The PEM certificate has no END CERTIFICATE line after its base64.",
    ],
    [
      "bytes after the certificate",
      btoa(atob(CERTIFICATES.rsa2048) + "\0"),
      "Not an X.509 certificate: it has 1 bytes after the certificate.",
    ],
    [
      "a SEQUENCE of one INTEGER",
      base64([0x30, 0x03, 0x02, 0x01, 0x01]),
      "Not an X.509 certificate: the outermost SEQUENCE does not hold the fields X.509 gives it.",
    ],
    [
      "an indefinite length",
      base64([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]),
      "Not an X.509 certificate: the element at byte 0 has an indefinite length, which DER forbids.",
    ],
    [
      "a length of five bytes",
      base64([0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00]),
      "Not an X.509 certificate: the element at byte 0 has a length of 5 bytes.",
    ],
    ["a length cut short", base64([0x30, 0x82, 0x01]), "Not an X.509 certificate: it ends inside the length of the element at byte 0."],
    ["not a SEQUENCE", base64([0x02, 0x01, 0x01]), "Not an X.509 certificate: it does not begin with a SEQUENCE."],
  ])("refuses %s, naming what is wrong", async (_name, text, problem) => {
    expect(await readCertificate(text)).toEqual({ problem });
    expect(await certificateProblem(text)).toBe(problem);
  });
});

describe("encryptContent: encryptedContent as Graph makes it", () => {
  // Not a multiple of 16 bytes, and more than one byte per character: the padding and the UTF-8 both count.
  const json = JSON.stringify({ id: "a1", visualElements: { displayText: "Ünïcödé ✓ 😀 — ".repeat(5) } });

  it.each([
    ["RSA 2048", CERTIFICATES.rsa2048, PRIVATE_KEYS.rsa2048, OPENSSL_FINGERPRINTS.rsa2048],
    ["RSA 4096", CERTIFICATES.rsa4096, PRIVATE_KEYS.rsa4096, OPENSSL_FINGERPRINTS.rsa4096],
    ["RSA 2048 given as PEM", CERTIFICATES.rsa2048Pem, PRIVATE_KEYS.rsa2048, OPENSSL_FINGERPRINTS.rsa2048],
  ])("%s: Graph's five properties, and the receiver gets the JSON back exactly", async (_name, certificate, privateKey, fingerprint) => {
    const content = await encryptContent(json, certificate, "my-certificate/2026");
    const base64Text = expect.stringMatching(/^[A-Za-z0-9+/]+=*$/);
    expect(content).toEqual({
      data: base64Text,
      dataSignature: base64Text,
      dataKey: base64Text,
      encryptionCertificateId: "my-certificate/2026",
      encryptionCertificateThumbprint: thumbprint(fingerprint),
    });
    expect(Object.keys(content)).toEqual([
      "data",
      "dataSignature",
      "dataKey",
      "encryptionCertificateId",
      "encryptionCertificateThumbprint",
    ]);
    // PKCS #7 always pads: up to the next whole block of 16 bytes, a whole block when the text fills its last.
    const length = new TextEncoder().encode(json).length;
    expect(atob(content.data).length).toBe((Math.floor(length / 16) + 1) * 16);
    expect(atob(content.dataSignature).length).toBe(32);
    expect(atob(content.dataKey).length).toBe(privateKey === PRIVATE_KEYS.rsa4096 ? 512 : 256);
    expect(await decryptContent(content, privateKey)).toBe(json);
  });

  it("a text of exactly two blocks gets a third, all padding", async () => {
    const content = await encryptContent("0123456789abcdef0123456789abcdef", CERTIFICATES.rsa2048, "c");
    expect(atob(content.data).length).toBe(48);
    expect(await decryptContent(content, PRIVATE_KEYS.rsa2048)).toBe("0123456789abcdef0123456789abcdef");
  });

  it("every encryption has a fresh key: two of the same JSON share nothing but the certificate", async () => {
    const [first, second] = await Promise.all([
      encryptContent(json, CERTIFICATES.rsa2048, "c"),
      encryptContent(json, CERTIFICATES.rsa2048, "c"),
    ]);
    expect(first!.dataKey).not.toBe(second!.dataKey);
    expect(first!.data).not.toBe(second!.data);
    expect(first!.dataSignature).not.toBe(second!.dataSignature);
    expect(await decryptContent(first!, PRIVATE_KEYS.rsa2048)).toBe(json);
    expect(await decryptContent(second!, PRIVATE_KEYS.rsa2048)).toBe(json);
  });

  it("altered data fails the receiver's dataSignature check", async () => {
    const content = await encryptContent(json, CERTIFICATES.rsa2048, "c");
    const bytes = Uint8Array.from(atob(content.data), (char) => char.charCodeAt(0));
    bytes[0]! ^= 1;
    await expect(decryptContent({ ...content, data: btoa(String.fromCharCode(...bytes)) }, PRIVATE_KEYS.rsa2048)).rejects.toThrow(
      "dataSignature does not match data",
    );
  });

  it("a certificate that cannot be read is an Error naming the problem", async () => {
    await expect(encryptContent(json, CERTIFICATES.rsa1024, "c")).rejects.toThrow(
      `A subscription's encryptionCertificate cannot be used: The certificate's key is 1024-bit RSA; ${RSA_EXPECTED}`,
    );
  });
});

/** The configured development keys' public halves, as the key set publishes them. */
const devPublicKeys = () =>
  JSON.parse(env.NOTIFICATION_SIGNING_KEY).keys.map(({ kty, n, e, kid }: JWK) => ({ kty, n, e, kid, alg: "RS256", use: "sig" }));

/** A private key set of fresh RS256 keys with these kids, as NOTIFICATION_SIGNING_KEY holds one. */
async function privateKeySet(...kids: string[]): Promise<string> {
  const keys = await Promise.all(
    kids.map(async (kid) => ({
      ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey)),
      kid,
      alg: "RS256",
    })),
  );
  return JSON.stringify({ keys });
}

const JWKS = "/.well-known/jwks.json";
const APP = "8e460676-ae3f-4b1e-8790-ee0fb5d6148f";
const TENANT = "84bd8158-6d4d-4958-8b9f-9d6445542f95";

describe("validationTokens and the key set at /.well-known/jwks.json", () => {
  it("the key set: every public key, no auth, JSON, cacheable for an hour", async () => {
    const answer = await call("GET", JWKS, { token: null });
    expect(seen(answer)).toEqual({
      status: 200,
      contentType: "application/json",
      requestId: expect.any(String),
      clientRequestId: expect.any(String),
      cacheControl: "public, max-age=3600",
      contentTypeOptions: "nosniff",
      body: { keys: devPublicKeys() },
    });
    expect(devPublicKeys()).toHaveLength(1);
  });

  it("a token verifies against the key set the Worker serves: RS256, its kid, iss, aud, tid, an hour's lifetime", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await validationToken({ env, issuer: `${ORIGIN}/`, audience: APP, tenantId: TENANT });
    const after = Math.floor(Date.now() / 1000);
    const keys = createLocalJWKSet((await call("GET", JWKS, { token: null })).body);
    const { payload, protectedHeader } = await jwtVerify(token, keys, { issuer: ORIGIN, audience: APP, algorithms: ["RS256"] });
    expect(protectedHeader).toEqual({ alg: "RS256", typ: "JWT", kid: "dev-notifications-2026-1" });
    expect(payload).toEqual({ iss: ORIGIN, aud: APP, tid: TENANT, iat: payload.iat, nbf: payload.iat, exp: payload.iat! + 3600 });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    await expect(
      jwtVerify(token, keys, { issuer: ORIGIN, audience: APP, currentDate: new Date((payload.exp! + 1) * 1000) }),
    ).rejects.toThrow('"exp" claim timestamp check failed');
  });

  it("rotation: the first key signs, every key is published, and a token of either verifies", async () => {
    const secret = await privateKeySet("old", "new");
    const swapped = JSON.stringify({ keys: JSON.parse(secret).keys.reverse() });
    const published = await publicKeySet({ NOTIFICATION_SIGNING_KEY: secret });
    expect(published.keys.map((key) => key.kid)).toEqual(["old", "new"]);
    expect(published.keys.every((key) => Object.keys(key).join() === "kty,n,e,kid,alg,use")).toBe(true);
    const options = { issuer: ORIGIN, audience: APP, tenantId: TENANT };
    const signedOld = await validationToken({ env: { NOTIFICATION_SIGNING_KEY: secret }, ...options });
    const signedNew = await validationToken({ env: { NOTIFICATION_SIGNING_KEY: swapped }, ...options });
    expect([decodeProtectedHeader(signedOld).kid, decodeProtectedHeader(signedNew).kid]).toEqual(["old", "new"]);
    for (const token of [signedOld, signedNew]) await jwtVerify(token, createLocalJWKSet(published), { issuer: ORIGIN, audience: APP });
  });

  it("without the secret: no signing, an empty key set", async () => {
    expect(signingConfigured(env)).toBe(true);
    for (const NOTIFICATION_SIGNING_KEY of ["", undefined]) {
      expect(signingConfigured({ NOTIFICATION_SIGNING_KEY })).toBe(false);
      const answer = await call("GET", JWKS, { token: null, vars: { NOTIFICATION_SIGNING_KEY } as Partial<Env> });
      expect({ status: answer.status, cacheControl: answer.headers.get("cache-control"), body: answer.body }).toEqual({
        status: 200,
        cacheControl: "public, max-age=3600",
        body: { keys: [] },
      });
      await expect(validationToken({ env: { NOTIFICATION_SIGNING_KEY }, issuer: ORIGIN, audience: APP, tenantId: TENANT })).rejects.toThrow(
        "NOTIFICATION_SIGNING_KEY is not set: rich notifications cannot be signed.",
      );
    }
  });

  it.each([
    ["not JSON", async () => "{keys: []", "it is not JSON"],
    ["no keys", async () => '{"keys":[]}', 'it has no "keys" array with a key in it'],
    ["a key without a kid", async () => (await privateKeySet("k")).replace('"kid":"k",', ""), "key 1 has no kid"],
    ["a kid twice", async () => privateKeySet("k", "k"), "the kid k is used twice"],
    ["a public key", async () => JSON.stringify({ keys: devPublicKeys() }), "key 1 (dev-notifications-2026-1) is not an RSA private key"],
    [
      "a key for PS256",
      async () => (await privateKeySet("k")).replace('"alg":"RS256"', '"alg":"PS256"'),
      "key 1 (k) is for PS256, not RS256",
    ],
  ])("a malformed secret (%s) is an Error naming the variable, never a token", async (_name, secret, problem) => {
    const NOTIFICATION_SIGNING_KEY = await secret();
    const message = `NOTIFICATION_SIGNING_KEY is not a JSON Web Key Set of RSA private keys (RS256): ${problem}.`;
    expect(signingConfigured({ NOTIFICATION_SIGNING_KEY })).toBe(true);
    await expect(validationToken({ env: { NOTIFICATION_SIGNING_KEY }, issuer: ORIGIN, audience: APP, tenantId: TENANT })).rejects.toThrow(
      message,
    );
    await expect(publicKeySet({ NOTIFICATION_SIGNING_KEY })).rejects.toThrow(message);
    expectGraphError(
      await call("GET", JWKS, { token: null, vars: { NOTIFICATION_SIGNING_KEY } }),
      500,
      "generalException",
      "An internal error occurred; quote the request-id if you report it.",
    );
  });

  it("a 1024-bit key is refused", async () => {
    // jose makes no key under 2048 bits; WebCrypto does.
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) };
    const { privateKey } = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
    const NOTIFICATION_SIGNING_KEY = JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: "small" }] });
    await expect(validationToken({ env: { NOTIFICATION_SIGNING_KEY }, issuer: ORIGIN, audience: APP, tenantId: TENANT })).rejects.toThrow(
      "NOTIFICATION_SIGNING_KEY is not a JSON Web Key Set of RSA private keys (RS256): key 1 (small) has 1024 bits, fewer than 2048.",
    );
  });

  it("served once, at the root: not under a version, not in $batch; GET only", async () => {
    for (const prefix of ["/v1.0", "/beta"]) {
      expectGraphError(
        await call("GET", `${prefix}${JWKS}`, { token: null }),
        404,
        "itemNotFound",
        `No resource exists at '${prefix}${JWKS}'.`,
      );
    }
    expectGraphError(
      await call("POST", JWKS, { token: null }),
      405,
      "notAllowed",
      "The method POST is not allowed on this resource; use GET.",
    );
    const sent = await batch([{ id: "1", method: "GET", url: JWKS }]);
    expectBatchAnswer(sent, [
      errorAnswer(
        sent.body.responses[0],
        "1",
        400,
        "invalidRequest",
        `The url '${JWKS}' is not a path of this API; a batch request's url is relative to the version, such as /me/activities.`,
      ),
    ]);
  });
});
