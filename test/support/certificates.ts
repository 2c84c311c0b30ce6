// Rich notifications as their receiver sees them: the test-only certificates a subscription sends
// (test/fixtures/certificates/, README.md there), their private keys, and encryptedContent decrypted
// the way Microsoft's guide does it (check dataSignature, then decrypt), with WebCrypto.
import notBase64 from "../fixtures/certificates/test-only-not-base64-cert.txt?raw";
import ecP256 from "../fixtures/certificates/test-only-ec-p256-cert.b64?raw";
import rsa1024 from "../fixtures/certificates/test-only-rsa-1024-cert.b64?raw";
import rsa2048 from "../fixtures/certificates/test-only-rsa-2048-cert.b64?raw";
import rsa2048Key from "../fixtures/certificates/test-only-rsa-2048-key.pem?raw";
import rsa2048Pem from "../fixtures/certificates/test-only-rsa-2048-cert.pem?raw";
import rsa2048V1 from "../fixtures/certificates/test-only-rsa-2048-v1-cert.b64?raw";
import rsa4096 from "../fixtures/certificates/test-only-rsa-4096-cert.b64?raw";
import rsa4096Key from "../fixtures/certificates/test-only-rsa-4096-key.pem?raw";
import rsa8192 from "../fixtures/certificates/test-only-rsa-8192-cert.b64?raw";
import truncated from "../fixtures/certificates/test-only-truncated-cert.b64?raw";
import type { EncryptedContent } from "../../src/notifications/encrypted-content";

/** Each fixture's text, as a subscription's encryptionCertificate would carry it. */
export const CERTIFICATES = { rsa2048, rsa2048Pem, rsa2048V1, rsa4096, rsa1024, rsa8192, ecP256, truncated, notBase64 };

/** The private keys (PKCS #8 PEM, after a line of explanatory text) of the certificates that are accepted. */
export const PRIVATE_KEYS = { rsa2048: rsa2048Key, rsa4096: rsa4096Key };

/** The bytes of a PEM block's base64, whatever text surrounds it. */
function pemBytes(pem: string): Uint8Array {
  const base64 = /-----BEGIN [^-]+-----([^-]+)-----END /.exec(pem)![1]!.replace(/\s+/g, "");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/**
 * The JSON inside `content`, decrypted as Microsoft's guide does it: the dataKey with the private key
 * (RSA-OAEP, SHA-1), the dataSignature checked (HMAC-SHA256 of data's bytes) before anything is
 * decrypted, then data with AES-256-CBC (PKCS #7) and the key's first 16 bytes as IV. Throws when
 * the signature does not match, as a receiver must refuse the notification then.
 */
export async function decryptContent(content: EncryptedContent, privateKeyPem: string): Promise<string> {
  const privateKey = await crypto.subtle.importKey("pkcs8", pemBytes(privateKeyPem), { name: "RSA-OAEP", hash: "SHA-1" }, false, [
    "decrypt",
  ]);
  const key = new Uint8Array(await crypto.subtle.decrypt({ name: "RSA-OAEP" }, privateKey, fromBase64(content.dataKey)));
  const data = fromBase64(content.data);
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  if (!(await crypto.subtle.verify("HMAC", hmacKey, fromBase64(content.dataSignature), data))) {
    throw new Error("dataSignature does not match data: the notification was tampered with");
  }
  const aesKey = await crypto.subtle.importKey("raw", key, "AES-CBC", false, ["decrypt"]);
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-CBC", iv: key.slice(0, 16) }, aesKey, data));
}
