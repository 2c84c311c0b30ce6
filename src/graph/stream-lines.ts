/** One line of a byte stream, numbered from 1: its bytes without the newline, or none when it was longer than the cap. */
export type StreamLine = { number: number; bytes: Uint8Array } | { number: number; bytes: null };

const NEWLINE = 0x0a;

/**
 * Reads a byte stream (NDJSON) as lines, each handed over once its newline arrives (the last one at
 * the end, newline or not). A line is held only up to `maxBytes`: past that its bytes are dropped
 * as they come and it is handed over without them, so memory stays bounded whatever the stream
 * holds. Split at the byte 0x0A, which never occurs inside a multi-byte UTF-8 character.
 */
export async function* streamLines(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<StreamLine> {
  let parts: Uint8Array[] = [];
  let size = 0;
  let number = 0;
  const line = (): StreamLine => {
    const bytes = size > maxBytes ? null : concat(parts, size);
    parts = [];
    size = 0;
    return { number: ++number, bytes };
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, newline < 0 ? chunk.length : newline);
      size += piece.length;
      if (size > maxBytes) parts = [];
      else if (piece.length > 0) parts.push(piece);
      if (newline < 0) break;
      yield line();
      start = newline + 1;
    }
  }
  if (size > 0) yield line();
}

/** A byte stream read whole, unless it passes `maxBytes`: then null, and it is read (and held) no further. */
export async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream.
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return concat(chunks, size);
}

/** The parts as one array of `size` bytes (the one part itself, when there is one). */
export function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
