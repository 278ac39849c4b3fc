import { Type, type Static } from '@sinclair/typebox';

/**
 * The workspace format. One schema serves the engine's validator, the renderer's forms and,
 * later, the Monaco editor. Sections added by later features are optional properties, so an
 * older workspace stays valid; an incompatible change raises `schemaVersion`.
 */
export const WORKSPACE_SCHEMA_VERSION = 1;

export const WorkspaceSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Optional pointer to this JSON Schema, for editors.' })),
    schemaVersion: Type.Literal(WORKSPACE_SCHEMA_VERSION, {
      description: 'Version of the workspace format. Headroom refuses files from a newer version rather than guess.',
    }),
    name: Type.String({ minLength: 1, maxLength: 200, description: 'Title of the planning study.' }),
    description: Type.String({ maxLength: 10_000, default: '', description: 'What the study is for, shown on report title pages.' }),
    owner: Type.Optional(Type.String({ maxLength: 200, description: 'Who is responsible for the study.' })),
    createdAt: Type.String({ format: 'date-time', description: 'When the workspace was created (ISO 8601).' }),
    updatedAt: Type.String({ format: 'date-time', description: 'When the workspace was last saved (ISO 8601).' }),
    notes: Type.Array(
      Type.Object(
        {
          title: Type.String({ minLength: 1, maxLength: 200 }),
          body: Type.String({ maxLength: 100_000 }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Free-form planning notes kept with the study.' },
    ),
  },
  {
    $id: 'https://headroom.invalid/schema/workspace.json',
    title: 'Headroom workspace',
    additionalProperties: false,
  },
);

export type Workspace = Static<typeof WorkspaceSchema>;

export const WORKSPACE_FILE_SUFFIX = '.headroom.json';

export function newWorkspace(name = 'Untitled study', now: Date = new Date()): Workspace {
  const stamp = now.toISOString();
  return { schemaVersion: WORKSPACE_SCHEMA_VERSION, name, description: '', createdAt: stamp, updatedAt: stamp, notes: [] };
}
