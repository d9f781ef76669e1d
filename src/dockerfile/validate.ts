/**
 * Every generated Dockerfile is parsed with dockerfile-ast and checked by dockerfile-utils'
 * validator before anything is built; any diagnostic fails, so a template bug surfaces here
 * with line numbers instead of as a cryptic BuildKit error ten minutes into an emulated build.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { MabError } from '../errors.js';

export interface DockerfileSummary {
  stages: { name?: string; base: string }[];
  instructions: number;
}

export function validateDockerfile(content: string, where: string): DockerfileSummary {
  const problems = validate(content);
  if (problems.length > 0) {
    const list = problems.map((d) => `  line ${d.range.start.line + 1}: ${d.message}`).join('\n');
    throw new MabError(
      'E_DOCKERFILE',
      `generated Dockerfile for ${where} has ${problems.length} problem(s):\n${list}`,
      'this is a bug in the template or the recipe values; run `mab generate` to inspect the file',
    );
  }
  const ast = DockerfileParser.parse(content);
  const stages = ast.getFROMs().map((f) => ({ name: f.getBuildStage() ?? undefined, base: f.getImage() ?? '' }));
  return { stages, instructions: ast.getInstructions().length };
}
