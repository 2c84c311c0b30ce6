import { decodeBase64, toHex } from "../graph/encoding";
import { excerpt } from "../graph/errors";

// A subscription's encryptionCertificate, read as Graph reads it: only its public key matters (Graph
// never checks the issuer or the dates), which must be RSA of 2048 to 4096 bits. The DER is walked
// just far enough to reach the key (Certificate → TBSCertificate → SubjectPublicKeyInfo), so that
// WebCrypto, which has no X.509 parser, can import it.

/** A certificate's public key, ready to encrypt rich notifications' keys, and its thumbprint; or why it is refused. */
export type CertificateReading = { publicKey: CryptoKey; thumbprint: string } | { problem: string };

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;
const RSA_EXPECTED = `expected RSA of ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`;

/** DER tags the walk meets. */
const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OBJECT_IDENTIFIER = 0x06;
/** TBSCertificate's optional `[0] EXPLICIT Version`. */
const VERSION = 0xa0;

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";

/** Key algorithms and EC curves a refusal names, by object identifier. */
const ALGORITHM_NAMES: Record<string, string> = {
  [EC_PUBLIC_KEY]: "EC",
  "1.2.840.113549.1.1.10": "RSASSA-PSS (for signatures only)",
  "1.2.840.10040.4.1": "DSA",
  "1.3.101.110": "X25519",
  "1.3.101.111": "X448",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

/** One DER element: its tag, where its header begins, and where its content begins and ends. */
interface Element {
  tag: number;
  at: number;
  start: number;
  end: number;
}

/** Why the bytes are not a DER certificate; caught within this module and turned into a problem. */
class Malformed extends Error {}

/** The element at `at`, which must end by `within`. */
function element(der: Uint8Array, at: number, within: number): Element {
  if (at + 2 > within) throw new Malformed(`it ends inside the element at byte ${at}`);
  const tag = der[at]!;
  // Certificates use only one-byte tags; the high-tag-number form would need a longer read.
  if ((tag & 0x1f) === 0x1f) throw new Malformed(`the element at byte ${at} has a multi-byte tag`);
  let length = der[at + 1]!;
  let start = at + 2;
  if (length === 0x80) throw new Malformed(`the element at byte ${at} has an indefinite length, which DER forbids`);
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4) throw new Malformed(`the element at byte ${at} has a length of ${count} bytes`);
    if (start + count > within) throw new Malformed(`it ends inside the length of the element at byte ${at}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > within) throw new Malformed(`the element at byte ${at} runs past the end of what holds it`);
  return { tag, at, start, end: start + length };
}

/** The elements inside a constructed element, in order. */
function children(der: Uint8Array, parent: Element): Element[] {
  const found: Element[] = [];
  for (let at = parent.start; at < parent.end; at = found.at(-1)!.end) found.push(element(der, at, parent.end));
  return found;
}

/** `parts`, when they begin with elements of these `tags`; otherwise `what` is not what X.509 makes it. */
function shaped(parts: Element[], tags: number[], what: string): Element[] {
  if (parts.length < tags.length || tags.some((tag, i) => parts[i]!.tag !== tag)) {
    throw new Malformed(`${what} does not hold the fields X.509 gives it`);
  }
  return parts;
}

/** An object identifier's content, dotted. */
function dotted(der: Uint8Array, oid: Element): string {
  const arcs: number[] = [];
  let arc = 0;
  for (let i = oid.start; i < oid.end; i++) {
    arc = arc * 128 + (der[i]! & 0x7f);
    if (der[i]! & 0x80) continue;
    if (arcs.length === 0) arcs.push(arc < 80 ? Math.floor(arc / 40) : 2, arc < 80 ? arc % 40 : arc - 80);
    else arcs.push(arc);
    arc = 0;
  }
  return arcs.join(".");
}

/** The bits of a DER INTEGER's magnitude (a positive one has a leading zero byte when its top bit is set). */
function integerBits(der: Uint8Array, integer: Element): number {
  let i = integer.start;
  while (i < integer.end && der[i] === 0) i++;
  return i === integer.end ? 0 : (integer.end - i - 1) * 8 + (32 - Math.clz32(der[i]!));
}

/** The SubjectPublicKeyInfo of a DER certificate. */
function subjectPublicKeyInfo(der: Uint8Array): Element {
  const certificate = element(der, 0, der.length);
  if (certificate.tag !== SEQUENCE) throw new Malformed("it does not begin with a SEQUENCE");
  if (certificate.end !== der.length) throw new Malformed(`it has ${der.length - certificate.end} bytes after the certificate`);
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  const [signed] = shaped(children(der, certificate), [SEQUENCE, SEQUENCE, BIT_STRING], "the outermost SEQUENCE");
  const fields = children(der, signed!);
  // TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
  const rest = fields[0]?.tag === VERSION ? fields.slice(1) : fields;
  const tbs = shaped(rest, [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE], "the TBSCertificate");
  return tbs[5]!;
}

/** Why the key in `spki` cannot encrypt rich notifications, or null when it is RSA of an accepted size. */
function keyProblem(der: Uint8Array, spki: Element): string | null {
  const [algorithm, key] = shaped(children(der, spki), [SEQUENCE, BIT_STRING], "the SubjectPublicKeyInfo");
  const [oid, parameters] = shaped(children(der, algorithm!), [OBJECT_IDENTIFIER], "the key's AlgorithmIdentifier");
  const name = dotted(der, oid!);
  if (name === EC_PUBLIC_KEY) {
    const curve = parameters?.tag === OBJECT_IDENTIFIER ? dotted(der, parameters) : "an unnamed curve";
    return `The certificate's key is EC (${ALGORITHM_NAMES[curve] ?? curve}); ${RSA_EXPECTED}.`;
  }
  if (name !== RSA_ENCRYPTION) return `The certificate's key is ${ALGORITHM_NAMES[name] ?? `of the algorithm ${name}`}; ${RSA_EXPECTED}.`;
  // The BIT STRING holds RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, after its unused-bits byte.
  if (key!.start === key!.end || der[key!.start] !== 0) throw new Malformed("the RSA key's bit string is not whole bytes");
  const rsaKey = element(der, key!.start + 1, key!.end);
  const [modulus] = shaped(rsaKey.tag === SEQUENCE ? children(der, rsaKey) : [], [INTEGER, INTEGER], "the RSAPublicKey");
  const bits = integerBits(der, modulus!);
  return bits < MIN_RSA_BITS || bits > MAX_RSA_BITS ? `The certificate's key is ${bits}-bit RSA; ${RSA_EXPECTED}.` : null;
}

/** The DER bytes of a certificate given in base64 or as PEM; a string is the problem. */
function certificateBytes(text: string): Uint8Array | string {
  let body = text;
  const labels = [...text.matchAll(/-----BEGIN ([^-\r\n]*)-----/g)].map((match) => match[1]!);
  if (labels.length > 1) return `Expected one certificate; the PEM holds ${labels.length} blocks.`;
  if (labels.length === 1) {
    const label = labels[0]!;
    if (/PRIVATE KEY/.test(label)) return "This is a private key: send the certificate, which holds only the public key.";
    if (label !== "CERTIFICATE") return `Expected a certificate; the PEM holds a ${excerpt(label)}.`;
    // RFC 7468: text before the BEGIN line and after the END line is explanatory, and ignored.
    const block = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/.exec(text);
    if (!block) return "The PEM certificate has no END CERTIFICATE line after its base64.";
    body = block[1]!;
  }
  body = body.replace(/\s+/g, "");
  if (!body) return "Expected an X.509 certificate in base64; the value is empty.";
  return decodeBase64(body) ?? "Not base64: expected an X.509 certificate's DER bytes in base64, or a PEM certificate.";
}

/**
 * Reads an `encryptionCertificate`: an X.509 certificate's DER in base64, as Graph takes it; a PEM
 * certificate (its BEGIN and END lines, and any text around them) and whitespace anywhere are
 * tolerated. The key is imported for RSA-OAEP with SHA-1 (encrypt only); the thumbprint is the
 * SHA-1 of the DER in uppercase hexadecimal, as Graph's encryptionCertificateThumbprint. Never throws.
 */
export async function readCertificate(base64: string): Promise<CertificateReading> {
  const der = certificateBytes(base64);
  if (typeof der === "string") return { problem: der };
  let spki: Element;
  try {
    spki = subjectPublicKeyInfo(der);
    const problem = keyProblem(der, spki);
    if (problem) return { problem };
  } catch (error) {
    // Only Malformed is expected; anything else is refused the same way rather than thrown.
    return { problem: `Not an X.509 certificate: ${error instanceof Malformed ? error.message : "its DER cannot be read"}.` };
  }
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey("spki", der.subarray(spki.at, spki.end), { name: "RSA-OAEP", hash: "SHA-1" }, false, [
      "encrypt",
    ]);
  } catch (error) {
    return { problem: `The certificate's RSA key cannot be used: ${error instanceof Error ? error.message : String(error)}.` };
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", der));
  const thumbprint = toHex(digest).toUpperCase();
  return { publicKey, thumbprint };
}

/** Why an `encryptionCertificate` is refused (a short sentence), or null when it is fine. */
export async function certificateProblem(base64: string): Promise<string | null> {
  const reading = await readCertificate(base64);
  return "problem" in reading ? reading.problem : null;
}
