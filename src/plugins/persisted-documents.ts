// Persisted (trusted) documents: a client built with graphql-codegen's client preset sends the
// hash of a document (`documentId`, as in the GraphQL-over-HTTP draft, in a POST body or a GET
// query string) instead of its text, from a manifest written at build time
// (PERSISTED_DOCUMENTS=persisted-documents.json). The manifest's documents are parsed and
// validated once, when the server starts: a request naming one skips parsing and validation.
// With PERSISTED_DOCUMENTS_ONLY=on the server runs nothing else (a locked-down public API);
// otherwise free-form queries are accepted too.
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** The documents of a manifest, parsed and validated, by id. */
export interface PersistedDocuments {
  /** The number of documents. */
  size: number;
  /** The document of an id (`sha256:<hex>` or a bare manifest key). */
  get(id: string): DocumentNode | undefined;
  /** Whether this text is one of the manifest's documents, character for character. */
  hasText(text: string): boolean;
  /**
   * The document behind a `query` parameter as the plugin leaves it: the persisted document
   * for its placeholder text, else undefined (the caller parses the text).
   */
  forQuery(query: string): DocumentNode | undefined;
}

export class PersistedDocumentsError extends Error {
  override name = 'PersistedDocumentsError';
}

/** The key of an id: the draft's `sha256:<hex>` and a bare manifest key name the same document. */
const keyOf = (id: string) => (id.startsWith('sha256:') ? id.slice('sha256:'.length) : id);

/**
 * Parses and validates a manifest (`{ "<hash>": "<document>" }`, as the client preset writes
 * it) against the schema. Throws PersistedDocumentsError naming every bad document: a manifest
 * the schema no longer fits is a deployment mistake, caught at start-up rather than per request.
 */
export function persistedDocuments(manifest: unknown, schema: GraphQLSchema): PersistedDocuments {
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new PersistedDocumentsError('a manifest must be a JSON object of document id → document text');
  }
  const byId = new Map<string, DocumentNode>();
  const texts = new Set<string>();
  const problems: string[] = [];
  for (const [id, text] of Object.entries(manifest)) {
    if (typeof text !== 'string') {
      problems.push(`${id}: not a string`);
      continue;
    }
    try {
      const document = parse(text);
      const errors = validate(schema, document);
      if (errors.length > 0) {
        problems.push(`${id}: ${errors.map((e) => e.message).join(' ')}`);
        continue;
      }
      byId.set(keyOf(id), document);
      texts.add(text);
    } catch (error) {
      problems.push(`${id}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new PersistedDocumentsError(
      `${problems.length} persisted document(s) do not fit the schema:\n  ${problems.join('\n  ')}`,
    );
  }
  return {
    size: byId.size,
    get: (id) => byId.get(keyOf(id)),
    hasText: (text) => texts.has(text),
    forQuery: (query) => {
      const id = /^__PERSISTED_OPERATION_(.+)__$/.exec(query)?.[1];
      return id === undefined ? undefined : byId.get(keyOf(id));
    },
  };
}

/** Reads manifest files (PERSISTED_DOCUMENTS, the page's), merged; see persistedDocuments. */
export function loadPersistedDocuments(files: readonly string[], schema: GraphQLSchema): PersistedDocuments {
  const merged: Record<string, unknown> = {};
  for (const file of files) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new PersistedDocumentsError(`cannot read the persisted documents ${file}: ${(error as Error).message}`);
    }
    try {
      persistedDocuments(manifest, schema);
    } catch (error) {
      if (error instanceof PersistedDocumentsError) throw new PersistedDocumentsError(`${file}: ${error.message}`);
      throw error;
    }
    Object.assign(merged, manifest);
  }
  return persistedDocuments(merged, schema);
}

const refusal = (message: string, code: string) =>
  new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

/** The id a request names: `documentId` (body or query string), else Apollo's persistedQuery hash. */
function documentIdOf(params: Record<string, unknown>, request: Request): string | null {
  if (typeof params.documentId === 'string' && params.documentId !== '') return params.documentId;
  // Yoga's GET parser keeps only the four standard parameters: read the query string itself.
  if (request.method === 'GET') {
    const id = new URL(request.url).searchParams.get('documentId');
    if (id) return id;
  }
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  if (persisted?.version === 1 && typeof persisted.sha256Hash === 'string') return persisted.sha256Hash;
  return null;
}

export interface PersistedDocumentsOptions {
  documents: PersistedDocuments;
  /** Run the manifest's documents only: any other query is refused (PERSISTED_QUERY_ONLY). */
  only: boolean;
}

/**
 * Runs documents by id (Yoga's persisted-operations plugin, reading the draft's `documentId`)
 * and, with `only`, refuses every other document on every transport (over WebSocket, where no
 * id can be sent, the text of a manifest document is accepted). Place it before any plugin that
 * reads `params.query` (the response cache keys on it).
 */
export function usePersistedDocuments({ documents, only }: PersistedDocumentsOptions): Plugin {
  const inner = usePersistedOperations({
    // Whether free-form text is allowed is decided below, before this plugin sees the request.
    allowArbitraryOperations: true,
    // One key per document (`sha256:` or not): the placeholder text and the caches' keys agree.
    extractPersistedOperationId: (params, request) => {
      const id = documentIdOf(params as Record<string, unknown>, request);
      return id === null ? null : keyOf(id);
    },
    getPersistedOperation: (id) => documents.get(id) ?? null,
    // Validated once, when the manifest was read.
    skipDocumentValidation: true,
    customErrors: {
      notFound: () =>
        refusal(
          'No persisted document has this documentId: the client and the server’s manifest differ (rebuild or redeploy the client, or send the query text where the server allows it).',
          'PERSISTED_QUERY_NOT_FOUND',
        ),
    },
  });
  return {
    onParams(payload) {
      const { params, request } = payload;
      const id = documentIdOf(params as unknown as Record<string, unknown>, request);
      if (params.query && typeof (params as { documentId?: unknown }).documentId === 'string') {
        throw refusal('Send either `query` or `documentId`, not both.', 'BAD_REQUEST');
      }
      if (params.query) {
        if (only && !documents.hasText(params.query)) {
          throw refusal(
            'This server runs persisted documents only: send the `documentId` of a document it knows, not the query text.',
            'PERSISTED_QUERY_ONLY',
          );
        }
        return;
      }
      if (id === null) {
        if (only) {
          throw refusal('This server runs persisted documents only: send a `documentId`.', 'PERSISTED_QUERY_ONLY');
        }
        // Neither query nor id: Yoga's own check answers ("Must provide query string.").
        return;
      }
      return inner.onParams?.(payload);
    },
    onParse(payload) {
      // Transports that do not pass through onParams (graphql-ws) meet the same rule here.
      if (only) {
        const source = payload.params.source;
        const text = typeof source === 'string' ? source : source.body;
        if (!documents.forQuery(text) && !documents.hasText(text)) {
          throw refusal('This server runs persisted documents only.', 'PERSISTED_QUERY_ONLY');
        }
      }
      return inner.onParse?.(payload);
    },
    onValidate: inner.onValidate,
  };
}

/** The operation of a document that a request names (by operationName, or its only one). */
export function operationOf(
  document: DocumentNode,
  operationName?: string | null,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}
