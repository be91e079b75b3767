import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export interface LogOptions {
  level?: LoggerOptions['level'];
  /** Where log lines go (default stdout). Tests pass a file stream to search it afterwards. */
  destination?: DestinationStream;
  /** Use this logger as is. */
  logger?: Logger;
  /** The `service` field of every line (default candor-collector). */
  service?: string;
}

/**
 * The collector's logger. Nothing about a request's sender reaches it: routes log problem types, metrics and
 * fields only, and as a second fence the request/response serializers below keep just method, path and status,
 * and anything under a name that could hold an address or user agent is redacted.
 */
export function createLogger(options: LogOptions = {}): Logger {
  if (options.logger) return options.logger;
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service ?? 'candor-collector' },
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, path: req.url?.split('?')[0] }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
    },
    redact: {
      paths: [
        'ip',
        'remoteAddress',
        'address',
        'userAgent',
        'headers',
        '*.ip',
        '*.remoteAddress',
        '*.headers',
        '*.userAgent',
      ],
      remove: true,
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
