// Reading an import file as text: plain or gzipped (by its magic number), UTF-8 checked as it
// streams (binary data is refused, saying where), and its format told from its beginning.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { hasPageHeader } from './daily-page.ts';
import { ImportError, type ImportFormat } from './import-error.ts';

/** The bytes of a file: its content, gunzipped when it is gzip (by its magic number). */
export async function openBytes(path: string): Promise<{ raw: ReturnType<typeof createReadStream>; bytes: Readable }> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(path, { start: 0, end: 1 })
      .on('data', (c) => chunks.push(Buffer.from(c)))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
  const raw = createReadStream(path);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  return { raw, bytes: gzip ? raw.pipe(createGunzip()) : raw };
}

/**
 * The text of a file, decoded as UTF-8 as it streams: invalid UTF-8 or a NUL byte (binary
 * data, not text) ends it with an ImportError saying where.
 */
export async function* decodeText(bytes: Readable, source: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      const nul = chunk.indexOf(0);
      if (nul !== -1) {
        throw new ImportError(source, `not a text file: a NUL byte at byte ${offset + nul} (binary data?)`);
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new ImportError(source, `not a text file: invalid UTF-8 near byte ${offset} (binary data?)`);
      }
      offset += chunk.length;
      if (text) yield text.replace(/^\uFEFF/, '');
    }
    decoder.decode();
  } catch (error) {
    if (error instanceof ImportError) throw error;
    // zlib's errors for a damaged gzip stream, or a read error.
    throw new ImportError(source, `cannot be read: ${(error as Error).message}`);
  }
}

/**
 * The format of a text, from its beginning: `{` JSONL, `[` a JSON array, the Daily Papers
 * header page text; undefined for anything else.
 */
export function formatOf(head: string): ImportFormat | undefined {
  const start = head.trimStart();
  if (start.startsWith('{')) return 'hf-jsonl';
  if (start.startsWith('[')) return 'hf-json';
  return hasPageHeader(start) ? 'daily-page' : undefined;
}

export const UNKNOWN_FORMAT =
  'not a format papergraph reads: expected Daily Papers API records (JSON lines, or a JSON array) or the text of a Daily Papers page (starting with its "Daily Papers" header); --format forces one';

/** The format of a file, from its content; ImportError when it is none papergraph reads. */
export async function detectFormat(path: string): Promise<ImportFormat> {
  const opened = await openBytes(path);
  try {
    const { head } = await peek(decodeText(opened.bytes, path));
    const format = formatOf(head);
    if (!format) throw new ImportError(path, UNKNOWN_FORMAT);
    return format;
  } finally {
    opened.raw.destroy();
  }
}

/** A text stream with its first characters looked at, and then given back whole. */
export async function peek(
  text: AsyncGenerator<string>,
  length = 4096,
): Promise<{ head: string; text: AsyncGenerator<string> }> {
  let head = '';
  while (head.length < length) {
    const next = await text.next();
    if (next.done) break;
    head += next.value;
  }
  async function* whole() {
    if (head) yield head;
    yield* text;
  }
  return { head, text: whole() };
}
