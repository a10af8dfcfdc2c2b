import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: JSON lines when stderr is not a TTY (for collectors),
 * short readable lines when it is. Level from MILLRACE_LOG_LEVEL (default info;
 * tests set "silent" or "warn").
 */
function createRootLogger(): Logger {
  const level = process.env.MILLRACE_LOG_LEVEL ?? 'info';
  const opts = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (process.stderr.isTTY) {
    return pino(opts, {
      write(line: string) {
        const o = JSON.parse(line) as Record<string, unknown>;
        const { level: lv, time, msg, ...rest } = o;
        const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
        process.stderr.write(`${String(time).slice(11, 23)} ${pino.levels.labels[lv as number] ?? lv} ${msg}${extra}\n`);
      },
    });
  }
  return pino(opts, pino.destination({ fd: 2, sync: false }));
}

export const logger: Logger = createRootLogger();
