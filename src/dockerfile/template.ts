/**
 * A deliberately small template language for Dockerfile templates (a Mustache subset):
 *   {{name}}             the value of name (must be a string; an unknown name is an error, so a
 *                        typo in a template fails loudly instead of rendering an empty line)
 *   {{#name}}…{{/name}}  repeated for each item of a list ({{.}} is the item), kept once for a
 *                        non-empty string or true, dropped for empty / false / missing
 * A section tag alone on its line takes the line with it, so templates stay readable.
 */
import { MabError } from '../errors.js';

export type TemplateValue = string | boolean | string[] | undefined;
export type TemplateVars = Record<string, TemplateValue>;

// One pass over the template, sections and variables alike: what a value puts in is never read
// again as template text (a build step "{{keep}}" stays those characters).
const TOKEN = /\{\{#([\w.]+)\}\}([\s\S]*?)\{\{\/\1\}\}|\{\{([\w.]+)\}\}/g;

export function renderTemplate(template: string, vars: TemplateVars, name = 'template'): string {
  const standalone = template.replace(/^[ \t]*(\{\{[#/][\w.]+\}\})[ \t]*\r?\n/gm, '$1');
  return render(standalone, vars, name);
}

function render(text: string, vars: TemplateVars, name: string): string {
  return text.replace(TOKEN, (_, section: string | undefined, body: string, key: string) => {
    if (section !== undefined) {
      const v = lookup(vars, section, name, true);
      if (Array.isArray(v)) return v.map((item) => render(body, { ...vars, '.': item }, name)).join('');
      return v ? render(body, vars, name) : '';
    }
    const v = lookup(vars, key, name, false);
    if (typeof v !== 'string')
      throw new MabError(
        'E_TEMPLATE',
        `${name}: {{${key}}} is ${Array.isArray(v) ? 'a list' : typeof v}, expected text`,
        `use {{#${key}}}…{{/${key}}} for lists and flags`,
      );
    return v;
  });
}

function lookup(vars: TemplateVars, key: string, name: string, optional: boolean): TemplateValue {
  if (!(key in vars) && !optional)
    throw new MabError('E_TEMPLATE', `${name}: unknown variable {{${key}}}`, `known: ${Object.keys(vars).join(', ')}`);
  return vars[key];
}
