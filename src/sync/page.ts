// A page of the Daily Papers API as it must look before any of it is merged: a JSON array of
// entries, each with a paper id and a title. A page that is not (an error object, HTML from a
// proxy, a body cut short, an entry without its identity) says the response is not what we
// think it is, so none of it is trusted; a record that only has a bad value is skipped alone
// (see sync-days.ts), as the importer does.

/** The page cannot be used; `reason` says why, for the day's failure record. */
export class BadPage extends Error {
  override name = 'BadPage';
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const filled = (v: unknown) => typeof v === 'string' && v.trim() !== '';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (isObject(value)) {
    const error = value.error ?? value.message;
    return typeof error === 'string' ? `an object: ${JSON.stringify(error).slice(0, 120)}` : 'an object';
  }
  return typeof value;
}

/** The entries of a page body, in order; throws BadPage when the page cannot be trusted. */
export function parsePage(body: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const cut = /end of (JSON )?input|Unterminated/i.test((error as Error).message) ? ' (truncated?)' : '';
    throw new BadPage(`not valid JSON${cut}: ${(error as Error).message} (${body.length} bytes)`);
  }
  if (!Array.isArray(value)) throw new BadPage(`not a JSON array but ${kindOf(value)}`);
  value.forEach((entry, i) => {
    if (!isObject(entry)) throw new BadPage(`entry ${i + 1} is not an object`);
    const paper = isObject(entry.paper) ? entry.paper : entry;
    if (!filled(paper.id)) throw new BadPage(`entry ${i + 1} has no paper.id`);
    if (!filled(paper.title) && !filled(entry.title))
      throw new BadPage(`entry ${i + 1} (${String(paper.id)}) has no title`);
  });
  return value;
}
