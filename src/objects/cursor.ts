// Opaque, tamper-evident paging cursors: JSON signed with HMAC-SHA-256 under a key that only
// the issuing object holds, so a cursor altered, or issued to another user, fails to open.

const encoder = new TextEncoder();

const toBase64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
  // atob ignores the spare low bits of the last character, so several spellings decode alike:
  // only the one this module writes is accepted, and any altered character is noticed.
  return toBase64Url(bytes) === text ? bytes : undefined;
}

/** The object's own cursor key, made on first use and kept in its `cursor_key` table. */
export function storedCursorKey(sql: SqlStorage): Promise<CryptoKey> {
  let raw = sql.exec<{ raw: ArrayBuffer }>("SELECT raw FROM cursor_key").toArray()[0]?.raw;
  if (!raw) {
    raw = crypto.getRandomValues(new Uint8Array(32)).buffer;
    sql.exec("INSERT INTO cursor_key (singleton, raw) VALUES (1, ?)", raw);
  }
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** The SQL condition that continues a keyset walk, newest first, after (sortMs, id). */
export const AFTER_KEYSET = (sortColumn: string, idColumn: string) =>
  `(${sortColumn} < ? OR (${sortColumn} = ? AND ${idColumn} < ?))`;

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
