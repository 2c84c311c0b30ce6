import { toBase64, utf8 } from "../graph/encoding";
import { type CertificateReading, readCertificate } from "./certificate";

// A rich notification's encryptedContent, made exactly as Graph makes it, so that a receiver following
// Microsoft's "Decrypting resource data from change notifications" decrypts it unchanged: a fresh
// 32-byte key per notification; the resource's JSON under AES-256-CBC with PKCS7 padding and the
// key's first 16 bytes as IV; the key under the subscriber's RSA key with OAEP (SHA-1, MGF1 SHA-1);
// an HMAC-SHA256 of the ciphertext under the same key, which the receiver checks before decrypting.

/** Graph's changeNotificationEncryptedContent, its properties in the order of Graph's own example. */
export interface EncryptedContent {
  /** The resource's JSON, encrypted (base64). */
  data: string;
  /** HMAC-SHA256 of the bytes of `data` under the key (base64). */
  dataSignature: string;
  /** The key, encrypted with the certificate's public key (base64). */
  dataKey: string;
  /** The subscription's encryptionCertificateId, as the subscriber gave it. */
  encryptionCertificateId: string;
  /** SHA-1 of the certificate's DER, uppercase hexadecimal. */
  encryptionCertificateThumbprint: string;
}

/** How many certificates an isolate keeps read: a feed holds at most 100 subscriptions, most sharing one certificate. */
const CERTIFICATES_KEPT = 16;

/** Certificates read by this isolate, by their text, least recently used first. */
const certificates = new Map<string, Promise<CertificateReading>>();

/** The certificate read once per isolate (a Map keeps insertion order, so re-inserting marks it recently used). */
function readOnce(text: string): Promise<CertificateReading> {
  let reading = certificates.get(text);
  if (reading) certificates.delete(text);
  else reading = readCertificate(text);
  certificates.set(text, reading);
  if (certificates.size > CERTIFICATES_KEPT) certificates.delete(certificates.keys().next().value!);
  return reading;
}

/**
 * Encrypts `json` for the holder of `certificate` (a subscription's encryptionCertificate, which the
 * routes checked with certificateProblem), as Graph encrypts a rich notification's resource data.
 * A certificate that cannot be read is an Error: it was accepted when the subscription was made.
 */
export async function encryptContent(json: string, certificate: string, certificateId: string): Promise<EncryptedContent> {
  const reading = await readOnce(certificate);
  if ("problem" in reading) throw new Error(`A subscription's encryptionCertificate cannot be used: ${reading.problem}`);
  const key = crypto.getRandomValues(new Uint8Array(32));
  const aesKey = await crypto.subtle.importKey("raw", key, "AES-CBC", false, ["encrypt"]);
  // WebCrypto's AES-CBC always pads with PKCS #7, as Graph's AES/CBC/PKCS5PADDING does.
  const data = await crypto.subtle.encrypt({ name: "AES-CBC", iv: key.slice(0, 16) }, aesKey, utf8(json));
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const dataSignature = await crypto.subtle.sign("HMAC", hmacKey, data);
  const dataKey = await crypto.subtle.encrypt({ name: "RSA-OAEP" }, reading.publicKey, key);
  return {
    data: toBase64(new Uint8Array(data)),
    dataSignature: toBase64(new Uint8Array(dataSignature)),
    dataKey: toBase64(new Uint8Array(dataKey)),
    encryptionCertificateId: certificateId,
    encryptionCertificateThumbprint: reading.thumbprint,
  };
}
