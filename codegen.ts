import 'reflect-metadata';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './src/schema/index.js';

/**
 * Prints the Pothos schema to schema/schema.graphql (committed; CI fails when it is stale) and
 * generates typed documents for the tests' graphql(`...`) calls into test/gql.
 */
const config: CodegenConfig = {
  schema: printSchema(schema),
  overwrite: true,
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    'schema/schema.graphql': { plugins: ['schema-ast'] },
    'test/gql/': {
      preset: 'client',
      documents: ['test/**/*.ts', '!test/gql/**'],
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Date: 'string', DateTime: 'string', JSON: 'unknown', ID: 'string' },
      },
    },
  },
};

export default config;
