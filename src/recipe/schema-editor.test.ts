/**
 * The schema in the editor's own engine: yaml-language-server (what VS Code's YAML extension and
 * the other LSP editors run), spoken to over stdio as an editor does. A recipe's first line leads
 * it to schema/recipe.schema.json, relative to the recipe; it underlines what mab would refuse,
 * in the loader's words, shows each key's meaning on hover and completes keys.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES } from './rules.js';
import { RECIPE } from './shape.js';
import { STRATEGY_SECTIONS } from './types.js';

interface Diagnostic {
  range: { start: { line: number } };
  message: string;
}
type Message = { id?: number; method?: string; params?: unknown; result?: unknown };

/** A language client of the least an editor does: requests, notifications, diagnostics. */
class Client {
  private server = spawn(process.execPath, [
    createRequire(import.meta.url).resolve('yaml-language-server/bin/yaml-language-server'),
    '--stdio',
  ]);
  private input = Buffer.alloc(0);
  private lastId = 0;
  private replies = new Map<number, (result: unknown) => void>();
  private diagnostics = new Map<string, (d: Diagnostic[]) => void>();

  constructor() {
    this.server.stdout.on('data', (chunk: Buffer) => {
      this.input = Buffer.concat([this.input, chunk]);
      for (;;) {
        const end = this.input.indexOf('\r\n\r\n');
        const length = Number(/Content-Length: (\d+)/.exec(this.input.subarray(0, end).toString())?.[1]);
        if (end < 0 || this.input.length < end + 4 + length) return;
        this.receive(JSON.parse(this.input.subarray(end + 4, end + 4 + length).toString()) as Message);
        this.input = this.input.subarray(end + 4 + length);
      }
    });
  }

  private receive(m: Message): void {
    if (m.method === 'textDocument/publishDiagnostics') {
      const { uri, diagnostics } = m.params as { uri: string; diagnostics: Diagnostic[] };
      this.diagnostics.get(uri)?.(diagnostics);
    } else if (m.id !== undefined && m.method) {
      // The server asks for its settings (workspace/configuration) and registers capabilities.
      const items = (m.params as { items?: unknown[] })?.items;
      this.send({
        id: m.id,
        result: items ? items.map(() => ({ validate: true, hover: true, completion: true })) : null,
      });
    } else if (m.id !== undefined) this.replies.get(m.id)?.(m.result);
  }

  private send(m: object): void {
    const text = JSON.stringify({ jsonrpc: '2.0', ...m });
    this.server.stdin.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  request(method: string, params: object): Promise<unknown> {
    const id = ++this.lastId;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: object): void {
    this.send({ method, params });
  }

  /** Opens a document as the editor holds it, and gives the problems the server finds in it. */
  open(uri: string, text: string): Promise<Diagnostic[]> {
    const found = new Promise<Diagnostic[]>((resolve) => this.diagnostics.set(uri, resolve));
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    return found;
  }

  close(): void {
    this.server.kill();
  }
}

const recipes = path.resolve('recipes');
const uri = (file: string) => pathToFileURL(path.join(recipes, file)).href;
let client: Client;
let sysbench: string;

beforeAll(async () => {
  client = new Client();
  await client.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(path.resolve('.')).href,
    capabilities: { workspace: { configuration: true }, textDocument: { hover: { contentFormat: ['markdown'] } } },
  });
  client.notify('initialized', {});
  client.notify('workspace/didChangeConfiguration', {
    settings: { yaml: { validate: true, hover: true, completion: true, schemaStore: { enable: false } } },
  });
  sysbench = await readFile(path.join(recipes, 'sysbench.yaml'), 'utf8');
}, 60_000);
afterAll(() => client?.close());

describe('the recipe schema in yaml-language-server', () => {
  it('finds no problem in a shipped recipe, and shows what a key means on hover', async () => {
    expect(await client.open(uri('sysbench.yaml'), sysbench)).toEqual([]);
    const line = sysbench.split('\n').findIndex((l) => l.startsWith('build:'));
    const hover = (await client.request('textDocument/hover', {
      textDocument: { uri: uri('sysbench.yaml') },
      position: { line, character: 2 },
    })) as { contents: { value: string } };
    expect(hover.contents.value).toContain(RECIPE.keys.build!.doc);
  }, 30_000);

  it("underlines what mab refuses, in the loader's words", async () => {
    const sha = /sha256:\n\s+linux\/amd64: ([a-f0-9]{64})/.exec(sysbench)![1]!;
    const text = sysbench
      .replace('version: 1.0.20', 'version: 1.0.20\nentrypiont: [x]\nworkdir: srv')
      .replace(sha, sha.slice(0, 10));
    const lineOf = (s: string) => text.split('\n').findIndex((l) => l.includes(s));
    // Not on disk: the server reads the document from the editor, the schema beside it.
    const problems = (await client.open(uri('edited.yaml'), text)).map((d) => [d.range.start.line, d.message]);
    expect(problems).toEqual(
      expect.arrayContaining([
        [lineOf('entrypiont'), 'Property entrypiont is not allowed.'],
        [lineOf('workdir: srv'), `Expected ${RULES.workdir.what}.`],
        [lineOf(sha.slice(0, 10)), `Expected ${RULES.sha256.what}.`],
      ]),
    );
    expect(problems).toHaveLength(3);
  }, 30_000);

  it('completes the strategies a recipe may name', async () => {
    const text = '# yaml-language-server: $schema=../schema/recipe.schema.json\nname: x\nstrategies:\n  \n';
    await client.open(uri('new.yaml'), text);
    const got = (await client.request('textDocument/completion', {
      textDocument: { uri: uri('new.yaml') },
      position: { line: 3, character: 2 },
    })) as { items: { label: string }[] };
    const labels = got.items.map((i) => i.label);
    for (const s of STRATEGY_SECTIONS) expect(labels).toContain(s);
    expect(labels).not.toContain('keep');
  }, 30_000);
});
