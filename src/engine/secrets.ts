/**
 * Build secrets: a recipe names them (`secrets: [ID]`), the user supplies each with
 * `--secret id=ID,env=VAR` or `--secret id=ID,src=FILE` (buildx's own syntax), and BuildKit mounts
 * each as /run/secrets/ID in the build steps only. mab passes buildx the variable's name or the
 * file's path, never the value; it reads the values only to blank them out of its logs and errors,
 * in case a step prints one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MabError } from '../errors.js';
import { SECRET_ID_RE } from '../recipe/load.js';

export interface BuildSecret {
  id: string;
  env?: string;
  src?: string;
}

const USAGE = 'write --secret id=ID,env=VARIABLE or --secret id=ID,src=FILE';

export function parseSecret(spec: string, cwd: string): BuildSecret {
  const fields = new Map(
    spec.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
  );
  const id = fields.get('id');
  const env = fields.get('env');
  const src = fields.get('src');
  const unknown = [...fields.keys()].filter((k) => !['id', 'env', 'src'].includes(k));
  if (!id || !SECRET_ID_RE.test(id) || unknown.length || (env === undefined) === (src === undefined)) {
    throw new MabError(
      'E_USAGE',
      `--secret "${spec.replace(/=.*/, '=…')}" is not id=ID with one of env= or src=`,
      USAGE,
    );
  }
  return env !== undefined ? { id, env } : { id, src: path.resolve(cwd, src!) };
}

/**
 * Checks that the secrets given are exactly those the recipe declares and can be read, and
 * returns their values (for redaction only).
 */
export async function secretValues(
  declared: string[],
  given: BuildSecret[],
  env: NodeJS.ProcessEnv,
  recipeFile: string,
): Promise<string[]> {
  for (const g of given) {
    if (!declared.includes(g.id))
      throw new MabError(
        'E_SECRET',
        `--secret ${g.id}: recipe ${recipeFile} declares no such build secret${declared.length ? ` (it declares ${declared.join(', ')})` : ''}`,
        'a secret reaches a build only when the recipe lists it under secrets:',
      );
  }
  const values: string[] = [];
  for (const id of declared) {
    const g = given.find((s) => s.id === id);
    if (!g)
      throw new MabError(
        'E_SECRET',
        `recipe ${recipeFile} needs the build secret "${id}"`,
        USAGE.replaceAll('=ID,', `=${id},`),
      );
    const value = g.env !== undefined ? env[g.env] : await readFile(g.src!, 'utf8').catch(() => undefined);
    if (!value)
      throw new MabError(
        'E_SECRET',
        `build secret "${id}": ${g.env !== undefined ? `the variable ${g.env} is unset or empty` : `cannot read ${g.src}, or it is empty`}`,
        USAGE,
      );
    values.push(value, value.trim());
  }
  return [...new Set(values.filter((v) => v.length > 0))];
}

/** A secret as buildx (and bake) names it: id with a variable's name or a file's path, never the value. */
export const secretSpec = (g: BuildSecret) =>
  g.env !== undefined ? `id=${g.id},env=${g.env}` : `id=${g.id},src=${g.src}`;

/** buildx arguments for the secrets. */
export function secretArgs(given: BuildSecret[]): string[] {
  return given.flatMap((g) => ['--secret', secretSpec(g)]);
}

/** Replaces every secret value in a text with ***. */
export function redactor(values: string[]): (text: string) => string {
  const longestFirst = [...values].sort((a, b) => b.length - a.length);
  return (text) => longestFirst.reduce((t, v) => t.split(v).join('***'), text);
}
