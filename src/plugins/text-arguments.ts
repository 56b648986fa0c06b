// One rule for text the API is given: the NUL character (U+0000) is never valid, since
// PostgreSQL's text cannot hold it. Writes report it per field (ValidationError, from the
// services' value checks); here reads refuse it as BAD_USER_INPUT before any resolver runs, so
// that no lookup, filter or search sends it to the database.
import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** The path of the first string holding NUL in a variable's value, e.g. `$filter.topics[2]`. */
function nulIn(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? at : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulIn(item, `${at}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = nulIn(item, `${at}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Documents already looked at: Yoga reuses the parsed document of a query text it has seen. */
const literals = new WeakMap<DocumentNode, string | null>();

/** The argument whose literal holds NUL, by name, in this document (its fragments included). */
function nulLiteral(document: DocumentNode): string | undefined {
  const known = literals.get(document);
  if (known !== undefined) return known ?? undefined;
  const found = findNulLiteral(document);
  literals.set(document, found ?? null);
  return found;
}

function findNulLiteral(document: DocumentNode): string | undefined {
  let argument: string | undefined;
  let found: string | undefined;
  visit(document, {
    Argument: {
      enter: (node) => {
        argument = node.name.value;
      },
    },
    StringValue: (node) => {
      if (!found && node.value.includes('\0')) found = argument ?? 'a string';
    },
  });
  return found;
}

const refusal = (what: string) =>
  new GraphQLError(`${what} must not contain the NUL character (U+0000).`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });

export function useTextArguments(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const document = args.document as DocumentNode;
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      if (!operation || operation.operation === 'mutation') return;
      const variable = nulIn(args.variableValues ?? {}, '$');
      const literal = variable ? undefined : nulLiteral(document);
      if (variable) setResultAndStopExecution({ errors: [refusal(`The variable ${variable.replace('$.', '$')}`)] });
      else if (literal) setResultAndStopExecution({ errors: [refusal(`\`${literal}\``)] });
    },
  };
}
