import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../graph/encoding";
import { limits } from "../limits";

// Keyset paging, newest first, with opaque, tamper-evident cursors: the position after the last
// row of a page, signed with HMAC-SHA-256 under a key that only the issuing object holds, so a
// cursor altered, issued to another user, or issued for another query fails to open.

/** A sealed or unsealed payload's JSON; undefined when it is not JSON. */
function parsePayload(payload: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(payload));
  } catch {
    return undefined;
  }
}

/** A token's payload read without checking any signature, for what may be told of a token whose key is gone; undefined when malformed. */
export function readPayload(token: string): unknown {
  const payload = fromBase64Url(token.split(".")[0]!);
  return payload ? parsePayload(payload) : undefined;
}

/** A payload as a token without a signature (base64url JSON), for one that grants nothing a request without it would not. */
export const unsealedToken = (state: object) => toBase64Url(utf8(JSON.stringify(state)));

/** A short, stable digest of a text: the first 16 bytes of its SHA-256, in base64url. */
export async function digestTag(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", utf8(text));
  return toBase64Url(new Uint8Array(digest, 0, 16));
}

/**
 * Cuts a page from rows read in order, one past its size: at most `top` rows, and at most
 * limits.pageChars of them by `charsOf` (but always the first), reading no further than one row
 * past the page; `more` when rows are left.
 */
export function cutPage<Row>(rows: Iterable<Row>, top: number, charsOf: (row: Row) => number): { page: Row[]; more: boolean } {
  const page: Row[] = [];
  let chars = 0;
  for (const row of rows) {
    chars += charsOf(row);
    if (page.length === top || (page.length > 0 && chars > limits.pageChars)) return { page, more: true };
    page.push(row);
  }
  return { page, more: false };
}

/** Where a walk stopped: the sort time and id of the last row it returned. */
export interface KeysetPosition {
  sortMs: number;
  id: string;
}

/** One page of rows and, when more follow, the cursor that continues after the last of them. */
export interface KeysetPage<Row> {
  rows: Row[];
  nextCursor: string | null;
}

interface CursorState extends KeysetPosition {
  /** The query the cursor continues (view, filter): a cursor is valid only for the same one. */
  scope: string;
}

const isCursorState = (value: unknown): value is CursorState => {
  const state = value as CursorState;
  return (
    typeof state === "object" &&
    state !== null &&
    typeof state.scope === "string" &&
    typeof state.sortMs === "number" &&
    typeof state.id === "string"
  );
};

/**
 * The SQL condition that continues a walk, newest first, after a position: bind it with
 * `keysetBindings(position)`.
 */
export const afterPosition = (sortColumn: string, idColumn: string) => `(${sortColumn} < ? OR (${sortColumn} = ? AND ${idColumn} < ?))`;

/** The bindings for `afterPosition`. */
export const keysetBindings = (position: KeysetPosition) => [position.sortMs, position.sortMs, position.id];

/**
 * An object's paging cursors, under a key kept in its `cursor_key` table. The key is made only
 * when a cursor is first sealed, so an object that never pages writes nothing for it.
 */
export class Keyset {
  private key: Promise<CryptoKey> | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** The position a cursor sealed for `scope` names; undefined when it is malformed, altered, foreign or for another scope. */
  async open(cursor: string, scope: string): Promise<KeysetPosition | undefined> {
    const state = await this.unseal(cursor);
    return isCursorState(state) && state.scope === scope ? { sortMs: state.sortMs, id: state.id } : undefined;
  }

  /** A token's payload, if this object sealed it (under its current key); undefined when malformed, altered or foreign. */
  async unseal(token: string): Promise<unknown> {
    const [payloadText, signatureText, extra] = token.split(".");
    if (payloadText === undefined || signatureText === undefined || extra !== undefined) return undefined;
    const payload = fromBase64Url(payloadText);
    const signature = fromBase64Url(signatureText);
    const key = await this.cursorKey(false);
    if (!payload || !signature || !key) return undefined;
    if (!(await crypto.subtle.verify("HMAC", key, signature, payload))) return undefined;
    return parsePayload(payload);
  }

  /** Seals a JSON payload: `{payload}.{signature}`, both base64url. */
  async seal(state: object): Promise<string> {
    const payload = utf8(JSON.stringify(state));
    const key = (await this.cursorKey(true))!;
    const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, payload));
    return `${toBase64Url(payload)}.${toBase64Url(signature)}`;
  }

  /**
   * Cuts a page from rows read in order, one past its size (`LIMIT top + 1`): at most `top` rows,
   * and at most limits.pageChars of them by `charsOf` (but always the first), reading no further
   * than one row past the page. When rows are left, the cursor continues after the page's last row.
   */
  async page<Row>(
    rows: Iterable<Row>,
    top: number,
    scope: string,
    positionOf: (row: Row) => KeysetPosition,
    charsOf: (row: Row) => number,
  ): Promise<KeysetPage<Row>> {
    const { page, more } = cutPage(rows, top, charsOf);
    const last = page.at(-1);
    return { rows: page, nextCursor: more && last ? await this.cursorAfter(positionOf(last), scope) : null };
  }

  /** The cursor that continues a walk of `scope` after `position`. */
  async cursorAfter(position: KeysetPosition, scope: string): Promise<string> {
    const state: CursorState = { scope, ...position };
    return this.seal(state);
  }

  /** The stored key; made and stored first when `create` is set and there is none. */
  private cursorKey(create: boolean): Promise<CryptoKey | undefined> {
    if (this.key) return this.key;
    let raw = this.sql.exec<{ raw: ArrayBuffer }>("SELECT raw FROM cursor_key").toArray()[0]?.raw;
    if (!raw) {
      if (!create) return Promise.resolve(undefined);
      raw = crypto.getRandomValues(new Uint8Array(32)).buffer;
      this.sql.exec("INSERT INTO cursor_key (singleton, raw) VALUES (1, ?)", raw);
    }
    this.key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    return this.key;
  }
}
