import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { node24Binary, node24Version } from './node-binaries.ts';

describe('the image’s Node beside the development one', () => {
  it('is the pinned Node 24, installed where node24Binary() says', () => {
    expect(node24Version()).toMatch(/^24\.\d+\.\d+$/);
    expect(execFileSync(node24Binary(), ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${node24Version()}`);
  });

  it('is the release both Dockerfile stages are built from (by tag; a digest may follow)', () => {
    const bases = [...readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8').matchAll(/^FROM ([^\s@]+)/gm)].map((match) => match[1]);
    expect(bases).toEqual([`node:${node24Version()}-bookworm-slim`, `node:${node24Version()}-bookworm-slim`]);
  });

  it('leaves npm scripts on the development Node: no `node` in node_modules/.bin', () => {
    expect(existsSync(new URL('../node_modules/.bin/node', import.meta.url))).toBe(false);
  });
});
