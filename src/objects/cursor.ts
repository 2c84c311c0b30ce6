// Opaque, tamper-evident paging cursors: JSON signed with HMAC-SHA-256 under a key that only
// the issuing object holds, so a cursor altered, or issued to another user, fails to open.

const encoder = new TextEncoder();

const toBase64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Imports raw key bytes for signing cursors. */
export function cursorKey(raw: ArrayBuffer): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** Seals a value into a cursor string. */
export async function sealCursor(key: CryptoKey, value: unknown): Promise<string> {
  const payload = encoder.encode(JSON.stringify(value));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, payload));
  return `${toBase64Url(payload)}.${toBase64Url(signature)}`;
}

/** Opens a cursor this key sealed; undefined when it is malformed, altered or foreign. */
export async function openCursor(key: CryptoKey, cursor: string): Promise<unknown> {
  const [payloadText, signatureText, extra] = cursor.split(".");
  if (payloadText === undefined || signatureText === undefined || extra !== undefined) return undefined;
  const payload = fromBase64Url(payloadText);
  const signature = fromBase64Url(signatureText);
  if (!payload || !signature) return undefined;
  if (!(await crypto.subtle.verify("HMAC", key, signature, payload))) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
}
