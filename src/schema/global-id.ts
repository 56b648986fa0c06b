import { badUserInput } from './graphql-errors.ts';

// Opaque ids: base64url("Paper:42"). Clients must not build or parse them; the encoding
// is ours to change. Malformed input is the client's error (BAD_USER_INPUT), not a 500.
export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${id}`).toString('base64url');
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const text = /^[A-Za-z0-9_-]+={0,2}$/.test(globalId) ? Buffer.from(globalId, 'base64url').toString('utf8') : '';
  const match = /^([A-Z][A-Za-z]*):([1-9][0-9]{0,9})$/.exec(text);
  if (!match?.[1] || !match[2] || Number(match[2]) > 2147483647) {
    throw badUserInput(`"${globalId.slice(0, 100)}" is not a valid papergraph ID.`, 'id');
  }
  return { typename: match[1], id: match[2] };
}

/** The numeric database id behind a global id of the expected type. */
export function parseGlobalId(globalId: string, typename: string): number {
  const decoded = decodeGlobalId(globalId);
  if (decoded.typename !== typename) {
    throw badUserInput(`ID "${globalId.slice(0, 100)}" belongs to a ${decoded.typename}, not a ${typename}.`, 'id');
  }
  return Number(decoded.id);
}
