// Bytes as text, one way for the whole service: UTF-8, hexadecimal, base64 and base64url. workerd has the
// ES2026 base64 and hex methods on Uint8Array, which TypeScript's es2023 library does not declare.

type Base64Options = { alphabet?: "base64" | "base64url"; omitPadding?: boolean };
type Base64Bytes = Uint8Array & { toBase64(options?: Base64Options): string; toHex(): string };
const fromBase64 = (Uint8Array as unknown as { fromBase64(text: string, options?: Base64Options): Uint8Array }).fromBase64;

/** Base64url without padding, as tokens and cursors are written. */
const BASE64URL: Base64Options = { alphabet: "base64url", omitPadding: true };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Text as UTF-8 bytes (one encoder for the isolate: every request hashes a token with it). */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** UTF-8 bytes as text, a malformed sequence as U+FFFD (a request body is judged strictly: json-body.ts). */
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

/** Bytes in lowercase hexadecimal (natively: every request hashes its token, and a byte-by-byte join cost 9 times as much). */
export const toHex = (bytes: Uint8Array): string => (bytes as Base64Bytes).toHex();

/** Bytes in base64 (standard alphabet, padded). */
export const toBase64 = (bytes: Uint8Array): string => (bytes as Base64Bytes).toBase64();

/** Bytes in base64url without padding. */
export const toBase64Url = (bytes: Uint8Array): string => (bytes as Base64Bytes).toBase64(BASE64URL);

/**
 * The bytes of base64url text as toBase64Url writes it; undefined for any other text. Decoding
 * ignores the spare low bits of the last character, so several spellings decode alike: only the
 * one this module writes is accepted, and any altered character is noticed.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text, BASE64URL);
  } catch {
    return undefined;
  }
  return toBase64Url(bytes) === text ? bytes : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** The bytes of base64 text (standard or URL-safe alphabet, padding optional); undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!BASE64.test(standard)) return undefined;
  return Uint8Array.from(atob(standard), (char) => char.charCodeAt(0));
}
