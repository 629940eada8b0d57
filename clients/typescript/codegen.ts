// Types for src/operations.graphql from the repository's schema (the API contract), written to
// src/generated/ (not committed). typescript-operations emits the result and variables type of
// each operation together with the enums and input types they use, so it needs no other plugin.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema/schema.graphql',
  documents: ['src/operations.graphql'],
  errorsOnly: true, // quiet unless something is wrong
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations'],
      config: { enumType: 'string-literal', strictScalars: true, useTypeImports: true },
    },
  },
};

export default config;
