/**
 * What `candor bench sdk` counts as the core: the entry and every chunk it loads statically, whatever the import
 * form. A chunk kept only for its side effects (`import "./chunk.js"`) loads on every page like any other.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the build script is plain ESM JavaScript without type declarations
import { coreFiles } from '../scripts/build-browser.mjs';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'candor-core-'));
  await mkdir(join(dir, 'chunks'));
  const files: Record<string, string> = {
    // esbuild's minified output: no spaces, several statements on one line.
    'candor.min.js':
      'import"./chunks/helpers.js";import{a as x}from"./chunks/named.js";export{b}from"./chunks/reexport.js";' +
      'export*from"./chunks/star.js";var y=()=>import("./chunks/lazy.js");export{x,y};',
    'chunks/helpers.js': 'var h=1;export{h as a};',
    'chunks/named.js': 'import"./empty.js";var a=1;export{a};',
    'chunks/reexport.js': 'var b=2;export{b};',
    'chunks/star.js': 'import{a as h}from"./helpers.js";export var s=h;',
    'chunks/empty.js': '',
    'chunks/lazy.js': 'import"./lazy-only.js";export var l=3;',
    'chunks/lazy-only.js': 'export var o=4;',
    'other-entry.min.js': 'import"./chunks/helpers.js";',
  };
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('core files of the browser bundle', () => {
  it('follows every static import form transitively and stops at dynamic import()', async () => {
    const core: Set<string> = await coreFiles(dir, 'candor.min.js');
    expect([...core].sort()).toEqual([
      'candor.min.js',
      'chunks/empty.js',
      'chunks/helpers.js',
      'chunks/named.js',
      'chunks/reexport.js',
      'chunks/star.js',
    ]);
  });

  it('rejects an import that is not a chunk of the bundle', async () => {
    await writeFile(join(dir, 'bare.min.js'), 'import"zod";');
    await expect(coreFiles(dir, 'bare.min.js')).rejects.toThrow(/bare\.min\.js imports zod/);
  });
});
