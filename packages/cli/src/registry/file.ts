import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Registry } from '@candor/protocol';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { UsageError } from '../errors.js';
import { checkRegistry, formatIssue } from './check.js';

/** Reads a registry file (YAML, or JSON by its .json extension) into plain data, with a clear error when it cannot. */
export async function readRegistryFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      code === 'ENOENT' ? `registry file ${path} does not exist` : `cannot read registry file ${path}`,
    );
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const at = error.linePos?.[0];
      throw new UsageError(
        `${path}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${error.message.split('\n')[0]}`,
      );
    }
    throw new UsageError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads and checks a registry file; any error refuses it, naming each metric and field; warnings (a metric about
 * to expire, ...) go to `warn`. The day for expiry is today (UTC).
 */
export async function loadRegistry(
  path: string,
  today = new Date().toISOString().slice(0, 10),
  warn: (line: string) => void = () => {},
): Promise<Registry> {
  const { registry, issues } = checkRegistry(await readRegistryFile(path), today);
  const errors = issues.filter((i) => i.severity === 'error');
  if (!registry || errors.length > 0) {
    throw new UsageError(
      `registry file ${path} has ${errors.length} error(s) (candor registry check ${path}):\n${errors.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    );
  }
  for (const issue of issues) if (issue.severity === 'warning') warn(`${path}: ${formatIssue(issue)}`);
  return registry;
}
