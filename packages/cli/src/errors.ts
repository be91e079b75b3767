// One exit-code convention for every `candor` command (documented in packages/cli/README.md):
//   0  done
//   1  a finding reached --fail-on, or a check failed (`candor registry check`)
//   2  bad usage or bad input: an unknown option, an invalid value, a file that cannot be read
//   3  a runtime failure: a busy port, a locked store, an unreachable ClickHouse or NATS
import { type ParseArgsConfig, parseArgs } from 'node:util';
export const EXIT = { ok: 0, finding: 1, usage: 2, runtime: 3 } as const;

/**
 * Parses a command's flags the one way every command does: a bad flag prints `candor CMD: why` and the usage
 * (exit 2), `--help` prints the usage (exit 0). Returns the parsed values, or the exit code to end with.
 */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  usage: string,
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ options: O; args: string[]; strict: true }>>['values'] | number {
  let values: ReturnType<typeof parseArgs<{ options: O; args: string[]; strict: true }>>['values'];
  try {
    values = parseArgs({ args: argv, options, strict: true }).values;
  } catch (error) {
    console.error(`candor ${command}: ${(error as Error).message}\n\n${usage}`);
    return EXIT.usage;
  }
  if ((values as { help?: unknown }).help) {
    console.log(usage);
    return EXIT.ok;
  }
  return values;
}

/** Bad usage or bad input: exits 2 with its message and nothing else. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

const hasCode = (error: unknown): error is SystemError =>
  error instanceof Error && typeof (error as SystemError).code === 'string';

/**
 * Turns an error into one line a newcomer can act on, and the exit code to leave with. System error codes
 * (EADDRINUSE, ENOENT, ...) and DuckDB's lock message are translated; their raw names never reach the terminal.
 */
export function describeFailure(error: unknown): { message: string; code: number } {
  if (error instanceof UsageError) return { message: error.message, code: EXIT.usage };
  const text = error instanceof Error ? error.message : String(error);
  const lock = /Could not set lock on file "([^"]+)"/.exec(text);
  if (lock) {
    return {
      message: `the store ${lock[1]} is in use by another process (another "candor serve"?); stop it or pass another --store`,
      code: EXIT.runtime,
    };
  }
  if (hasCode(error)) {
    const where = error.address && error.port ? `${error.address}:${error.port}` : (error.hostname ?? '');
    switch (error.code) {
      case 'EADDRINUSE':
        return {
          message: `port ${error.port ?? ''} on ${error.address ?? 'this host'} is already in use; stop what holds it or pass another --port`,
          code: EXIT.runtime,
        };
      case 'EACCES':
        return error.syscall === 'listen'
          ? { message: `not allowed to listen on port ${error.port}; use a port above 1023`, code: EXIT.runtime }
          : { message: `permission denied: ${error.path ?? text}`, code: EXIT.usage };
      case 'ENOENT':
        return { message: `no such file or folder: ${error.path ?? text}`, code: EXIT.usage };
      case 'EEXIST':
        return { message: `cannot create folder ${error.path ?? ''}: a file is in the way`, code: EXIT.usage };
      case 'ENOTDIR':
        return { message: `not a folder: ${error.path ?? text}`, code: EXIT.usage };
      case 'ECONNREFUSED':
        return { message: `nothing answers at ${where || text}: is the server running?`, code: EXIT.runtime };
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return { message: `cannot resolve host ${error.hostname ?? text}`, code: EXIT.runtime };
    }
  }
  return { message: withoutErrorCodes(text), code: EXIT.runtime };
}

/** Replaces Node's error codes inside a library's message with words. */
export function withoutErrorCodes(text: string): string {
  return text
    .replace(/\bconnect ECONNREFUSED ([^\s,;)]+)/g, 'nothing answers at $1')
    .replace(/\bgetaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([^\s,;)]+)/g, 'cannot resolve host $1')
    .replace(/\bECONNREFUSED\b/g, 'connection refused')
    .replace(/\bENOTFOUND\b/g, 'host not found')
    .replace(/\bETIMEDOUT\b/g, 'timed out')
    .replace(/\bECONNRESET\b/g, 'connection reset')
    .replace(/\bENOENT: no such file or directory, \w+ '([^']+)'/g, 'no such file or folder: $1')
    .replace(/\bENOENT\b/g, 'not found');
}
