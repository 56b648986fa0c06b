// An optional cache of whole responses to public reads (RESPONSE_CACHE=memory or redis; off by
// default), Yoga's response-cache plugin with three decisions of ours:
// - what is stored, and for how long, comes from the schema's cache hints (schema/cache-hints.ts),
//   the same ones HTTP caches get: an answer is kept for the shortest time of what it selects,
//   and an answer selecting anything undeclared is not kept;
// - only requests without an API key are served from it or stored in it: a key is checked on
//   every request (revocation is immediate), and some fields show more to some keys;
// - writes invalidate by what they touch, not by what the mutation happens to select: the paper a
//   paper mutation names (every stored answer that holds it goes), everything for a new paper, a
//   topic change or an unknown mutation. That runs before the mutation's answer is sent, so a
//   client's next read shows its write. Answers computed while an invalidation ran are not
//   stored (they may predate the write). New papers from other processes and from the daily
//   sync, and topic changes, arrive as events (through the pub/sub) and invalidate the same way.
// Lists whose order moves without a mutation of theirs (upvotes reorder a list) are never older
// than their declared time: entries expire then.
import {
  type Cache,
  createInMemoryCache,
  type UseResponseCacheParameter,
  useResponseCache,
} from '@graphql-yoga/plugin-response-cache';
import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  getArgumentValues,
  getVariableValues,
  Kind,
} from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { PapersPubSub } from '../pubsub.ts';
import { cachedMaxAgeOf } from '../schema/cache-hints.ts';
import { decodeGlobalId, encodeGlobalId } from '../schema/global-id.ts';
import { operationOf } from './persisted-documents.ts';

export type ResponseCacheMode = 'off' | 'memory' | 'redis';

type Entity = { typename: string; id?: string | number };

/** Every stored answer holds the root object (the plugin tags each answer with its types). */
const EVERYTHING: Entity = { typename: 'Query' };

/** Mutations that change one paper, named by `input.id`. */
const PAPER_MUTATIONS = new Set(['upvotePaper', 'removeUpvote', 'updatePaper', 'deletePaper', 'setPaperTopics']);

/** The entities a mutation's root fields touch, from their arguments. */
export function touchedEntities(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): Entity[] {
  const operation = operationOf(document, operationName);
  const mutation = schema.getMutationType();
  if (operation?.operation !== 'mutation' || !mutation) return [];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  const entities: Entity[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return [EVERYTHING];
    const name = selection.name.value;
    if (name === '__typename') continue;
    const field = mutation.getFields()[name];
    if (!field || coerced.errors) return [EVERYTHING];
    if (!PAPER_MUTATIONS.has(name)) return [EVERYTHING];
    let id: unknown;
    try {
      id = (getArgumentValues(field, selection as FieldNode, coerced.coerced).input as { id?: unknown } | undefined)
        ?.id;
      const decoded = decodeGlobalId(String(id));
      entities.push({ typename: decoded.typename, id: encodeGlobalId(decoded.typename, decoded.id) });
    } catch {
      // A malformed id: the mutation fails and changes nothing.
    }
  }
  return entities;
}

const PREFIX = 'papergraph-rc:';

/**
 * The answers in Redis, shared by every server process: `r:<key>` holds an answer (expiring
 * with it), `e:<entity>` a sorted set of the answers holding the entity, scored by when they
 * expire (trimmed on every write, so it never outgrows the live answers). Keys are prefixed;
 * no command scans the key space. Redis failing is a miss, and a failed invalidation is
 * reported (its answers then live out their time).
 */
export function createRedisCache(
  redis: Redis,
  { prefix = PREFIX, onFailure = () => {} }: { prefix?: string; onFailure?: (error: unknown) => void } = {},
): Cache {
  return {
    async get(key) {
      try {
        const text = await redis.get(`${prefix}r:${key}`);
        return text ? (JSON.parse(text) as ExecutionResult) : null;
      } catch (error) {
        onFailure(error);
        return null;
      }
    },
    async set(key, result, entities, ttl) {
      const now = Date.now();
      const expires = now + ttl;
      const pipeline = redis.pipeline().set(`${prefix}r:${key}`, JSON.stringify(result), 'PX', ttl);
      for (const { typename, id } of entities) {
        for (const entity of id === undefined ? [typename] : [typename, `${typename}:${id}`]) {
          const set = `${prefix}e:${entity}`;
          pipeline
            .zadd(set, expires, key)
            .zremrangebyscore(set, '-inf', now)
            .pexpire(set, ttl, 'NX')
            .pexpire(set, ttl, 'GT');
        }
      }
      try {
        await pipeline.exec();
      } catch (error) {
        onFailure(error);
      }
    },
    async invalidate(entities) {
      const sets = [...entities].map(
        ({ typename, id }) => `${prefix}e:${id === undefined ? typename : `${typename}:${id}`}`,
      );
      if (sets.length === 0) return;
      const members = await Promise.all(sets.map((set) => redis.zrange(set, 0, -1)));
      const keys = [...new Set(members.flat())].map((key) => `${prefix}r:${key}`);
      await redis.del(...keys, ...sets);
    },
  };
}

export interface ResponseCacheOptions {
  schema: GraphQLSchema;
  cache: Cache;
  pubsub: PapersPubSub;
  /** Called when an invalidation fails (Redis down): its answers then live out their time. */
  onInvalidationFailure?: ((error: unknown) => void) | undefined;
}

/** An in-process cache of at most `max` answers. */
export const createMemoryCache = (max = 10_000): Cache => createInMemoryCache({ max });

/** The response cache with its invalidation: plugins to place after the persisted documents. */
export function useAppResponseCache(options: ResponseCacheOptions): Plugin[] {
  const { schema, cache, pubsub } = options;
  /** Bumped by each invalidation: an answer computed across one is not stored. */
  let generation = 0;
  const started = new WeakMap<object, { generation: number; maxAge: number }>();

  const invalidate = async (entities: Entity[]) => {
    if (entities.length === 0) return;
    generation++;
    try {
      await cache.invalidate(entities);
    } catch (error) {
      options.onInvalidationFailure?.(error);
    }
  };
  // Upvote events are published per paper (no topic carries them all): another process's
  // upvote reaches this one's in-process cache through the declared time, 60 s.
  for (const topic of ['paper:added', 'taxonomy:changed'] as const) {
    void (async () => {
      for await (const _ of pubsub.subscribe(topic)) await invalidate([EVERYTHING]);
    })().catch(() => {});
  }

  const keyless = (request: Request) => !request.headers.has('authorization');
  const settings: UseResponseCacheParameter<YogaInitialContext> = {
    cache,
    // Only public reads reach the cache: one shared entry per document, variables and operation.
    session: () => null,
    enabled: (request) => keyless(request),
    // Invalidation is ours (below): by what a mutation touches, and for keyed requests too.
    invalidateViaMutation: false,
    includeExtensionMetadata: false,
    onTtl: ({ ttl, context }) => {
      const run = started.get(context as object);
      if (!run || run.generation !== generation) return 0;
      return Math.min(ttl, run.maxAge * 1000);
    },
  };
  const ages: Plugin = {
    onExecute({ args }) {
      const maxAge = cachedMaxAgeOf(args.schema, args.document, args.operationName);
      started.set(args.contextValue as object, { generation, maxAge });
    },
  };
  const invalidation: Plugin = {
    onExecute({ args }) {
      const operation = operationOf(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      return {
        async onExecuteDone() {
          await invalidate(
            touchedEntities(
              schema,
              args.document,
              args.operationName,
              (args.variableValues ?? {}) as Record<string, unknown>,
            ),
          );
        },
      };
    },
  };
  return [ages, invalidation, useResponseCache(settings)];
}
