// Writes schema/recipe.schema.json from the recipe loader's own definitions (src/recipe/shape.ts):
// `npm run schema` builds, then runs this. src/recipe/schema.test.ts fails when the committed file
// differs from what this writes.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE, recipeSchemaText } from '../dist/recipe/schema.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const text = recipeSchemaText();
await writeFile(path.join(root, SCHEMA_FILE), text);
process.stdout.write(`${SCHEMA_FILE}: ${text.length} bytes\n`);
