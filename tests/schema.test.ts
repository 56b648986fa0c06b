import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  printSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';

describe('schema', () => {
  it('matches the committed SDL in schema/schema.graphql (npm run schema rewrites it)', async () => {
    await expect(printSchema(schema)).toMatchFileSnapshot('../schema/schema.graphql');
  });

  it('describes every type, field, argument and enum value (GraphiQL docs are the manual)', () => {
    const missing: string[] = [];
    const check = (what: string, item: { description?: string | null | undefined }) => {
      if (!item.description?.trim()) missing.push(what);
    };
    const types = Object.values(schema.getTypeMap()).filter((t: GraphQLNamedType) => !t.name.startsWith('__'));
    for (const type of types) {
      check(type.name, type);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields()) as (GraphQLField<unknown, unknown> | GraphQLInputField)[]) {
          check(`${type.name}.${field.name}`, field);
          for (const arg of ('args' in field ? field.args : []) as GraphQLArgument[]) {
            check(`${type.name}.${field.name}(${arg.name})`, arg);
          }
        }
      }
      if (isEnumType(type)) for (const value of type.getValues()) check(`${type.name}.${value.name}`, value);
    }
    expect(missing).toEqual([]);
  });
});
