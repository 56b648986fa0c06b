// The generated interface is the truth (npm run db:types; CI runs it with --verify);
// this file only adds the row aliases the code uses.
import type { Selectable } from 'kysely';
import type { DB, Organizations, Papers, Topics } from './types.generated.ts';

export type { DB };
export type PaperRow = Selectable<Papers>;
/** A topic as the API reads it: its timestamps are not exposed, so they are not read (or parsed). */
export type TopicRow = Omit<Selectable<Topics>, 'created_at' | 'updated_at'>;
export type OrganizationRow = Selectable<Organizations>;
