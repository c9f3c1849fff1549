/** Flags shared by `refci enqueue` and `refci collect` to reach a forge. */
import type { FleetConfig, ForgeSettings } from '../config/types.ts';
import { RefciError } from '../errors.ts';
import { createForge, DEFAULT_RETRY, resolveToken, TOKEN_ENV, type Forge, type ForgeKind } from '../forge/index.ts';
import { WritePacer } from '../forge/pacer.ts';
import { writeBudgetLimits, type WriteBudgetLimits } from '../forge/write-budget.ts';
import { integer } from './command.ts';
import type { Io } from './command.ts';

export const forgeOptions = {
  github: { type: 'string' },
  codeberg: { type: 'string' },
  'api-url': { type: 'string' },
  'token-file': { type: 'string' },
  'status-context': { type: 'string' },
  login: { type: 'string' },
  'allow-http-api': { type: 'boolean' },
  'writes-per-hour': { type: 'string' },
  'progress-per-hour': { type: 'string' },
} as const;

export const forgeHelp = [
  '--github OWNER/REPO     a GitHub repository (token from GITHUB_TOKEN or --token-file)',
  '--codeberg OWNER/REPO   a Codeberg/Forgejo repository (token from CODEBERG_TOKEN or --token-file)',
  '--api-url URL       API root: GitHub Enterprise (https://host/api/v3), another Forgejo (https://host/api/v1);',
  '                    also REFCI_GITHUB_API_URL / REFCI_CODEBERG_API_URL. Never taken from the configuration branch',
  '--token-file FILE   file holding only the token (mode 0600); wins over the variable. Never taken from the branch',
  '--allow-http-api    accept an http:// API URL (a forge on this machine, tests); the token otherwise goes only over https',
  '                    --login, --status-context and --report-url may instead be set per forge in the',
  '                    configuration (forges.github, forges.codeberg); a flag wins',
  '--status-context NAME   commit status context, also names the report comment (default gentoo-ci)',
  '--login NAME        the token user\'s login when GET /user cannot tell (a GitHub App: <app>[bot])',
  '--writes-per-hour N     statuses and comments this command posts on the forge in any hour (default 300;',
  '                    GitHub allows 500); verdicts first, progress statuses only within --progress-per-hour',
  '--progress-per-hour N   "queued, position N" and "running on" statuses in any hour (default 60)',
];

/** The write budget from --writes-per-hour and --progress-per-hour; the defaults for what is not given. */
export function writeBudgetFlags(flags: Record<string, unknown>, command: string): WriteBudgetLimits {
  const read = (name: string) => {
    const value = integer(flags, name, command);
    if (value !== undefined && value < 0) throw new RefciError('usage', `--${name} must be 0 or more, not ${value}`, `see refci ${command} --help`);
    return value;
  };
  return writeBudgetLimits({ writesPerHour: read('writes-per-hour'), progressPerHour: read('progress-per-hour') });
}

const PER_FORGE = ['api-url', 'token-file', 'login'] as const;

/** The write pacer of each forge in this process: clients of one forge (one token) share it, so all their writes are spaced. */
export type ForgePacers = (kind: ForgeKind) => WritePacer;

export function processPacers(): ForgePacers {
  const made = new Map<ForgeKind, WritePacer>();
  return (kind) => {
    let pacer = made.get(kind);
    if (!pacer) {
      pacer = new WritePacer(DEFAULT_RETRY.writeGapMs, DEFAULT_RETRY);
      made.set(kind, pacer);
    }
    return pacer;
  };
}

/**
 * The forges named by --github / --codeberg (none when neither is given). `both` allows one of
 * each (collect publishes for both in one process); --api-url, --token-file and --login then
 * cannot say which forge they are for, so they need a single forge.
 */
export async function forgesFromFlags(
  flags: Record<string, unknown>,
  io: Io,
  command: string,
  options: { both: boolean; log?: (line: string) => void; forges?: FleetConfig['forges']; pacers?: ForgePacers },
): Promise<Array<{ forge: Forge; settings: ForgeSettings }>> {
  const kinds = (['github', 'codeberg'] as const).filter((name) => typeof flags[name] === 'string');
  if (kinds.length === 0) {
    for (const flag of [...PER_FORGE, 'status-context']) {
      if (flags[flag] !== undefined) throw new RefciError('usage', `--${flag} needs --github or --codeberg`, `see refci ${command} --help`);
    }
    return [];
  }
  if (kinds.length > 1) {
    if (!options.both) throw new RefciError('usage', '--github and --codeberg cannot be used together', `run refci ${command} once per repository`);
    for (const flag of PER_FORGE) {
      if (flags[flag] !== undefined) throw new RefciError('usage', `--${flag} cannot tell --github from --codeberg`, 'with both forges, tokens come from GITHUB_TOKEN and CODEBERG_TOKEN and the public API URLs are used');
    }
  }
  const forges: Array<{ forge: Forge; settings: ForgeSettings }> = [];
  for (const kind of kinds as ForgeKind[]) {
    const settings = forgeSettings(flags, kind, io.env, options.forges, options.log ?? ((line) => io.err(line)));
    const token = await resolveToken({ forge: kind, env: io.env, tokenFile: settings.tokenFile });
    const allowHttp = allowHttpApi(flags, io.env);
    const forge = createForge(kind, { repo: flags[kind] as string, token, apiUrl: settings.apiUrl, allowHttp, login: settings.login, log: options.log, pacer: options.pacers?.(kind) });
    forges.push({ forge, settings });
  }
  return forges;
}

/** An http API URL is refused unless `--allow-http-api` or REFCI_ALLOW_HTTP_API=1 says a forge on this machine is meant (tests). */
function allowHttpApi(flags: Record<string, unknown>, env: Record<string, string | undefined>): boolean {
  return flags['allow-http-api'] === true || env.REFCI_ALLOW_HTTP_API === '1';
}

/**
 * The forge a job names (`forge: "github:gentoo/gentoo"`) when no --github / --codeberg flag
 * names it: this host's settings for that forge (forgeSettings), the token from the environment
 * or the token files.
 */
export async function forgeForJobs(
  kind: ForgeKind,
  repo: string,
  flags: Record<string, unknown>,
  io: Io,
  configured: FleetConfig['forges'] = {},
  log?: (line: string) => void,
  pacers?: ForgePacers,
): Promise<{ forge: Forge; settings: ForgeSettings }> {
  const settings = forgeSettings(flags, kind, io.env, configured, log ?? ((line) => io.err(line)));
  const token = await resolveToken({ forge: kind, env: io.env, tokenFile: settings.tokenFile });
  const allowHttp = allowHttpApi(flags, io.env);
  return { forge: createForge(kind, { repo, token, apiUrl: settings.apiUrl, allowHttp, login: settings.login, log, pacer: pacers?.(kind) }), settings };
}

/**
 * Settings the configuration branch may hold but this host never takes from it: keys other than this
 * host's push that branch (any key, without the repository's hook), and whoever sets the API URL or the token file decides where the token goes or
 * which file of the main host is sent as one. They come from this host's flags and environment only.
 */
export const HOST_ONLY_FORGE_SETTINGS = ['apiUrl', 'tokenFile'] as const;

/** Environment variable naming the API root of a forge on the main host (the flag wins). */
export const API_URL_ENV: Record<ForgeKind, string> = { github: 'REFCI_GITHUB_API_URL', codeberg: 'REFCI_CODEBERG_API_URL' };

/**
 * A forge's settings: each flag given wins over the configuration's `forges.<kind>`, except the
 * host-only ones, which the configuration cannot set (a warning line says they were ignored).
 */
export function forgeSettings(
  flags: Record<string, unknown>,
  kind: ForgeKind,
  env: Record<string, string | undefined>,
  configured: FleetConfig['forges'] = {},
  warn: (line: string) => void = () => {},
): ForgeSettings {
  const fromConfig = configured[kind] ?? {};
  const flag = (name: string) => flags[name] as string | undefined;
  const ignored = HOST_ONLY_FORGE_SETTINGS.filter((name) => fromConfig[name] !== undefined);
  if (ignored.length > 0) {
    const fields = ignored.map((name) => `forges.${kind}.${name}`).join(' and ');
    warn(`warning: configuration branch: ${fields} ignored: the API URL and token file come only from this host (--api-url or ${API_URL_ENV[kind]}, --token-file or ${TOKEN_ENV[kind]}); remove ${ignored.length > 1 ? 'them' : 'it'} from config.json`);
  }
  return {
    apiUrl: flag('api-url') ?? (env[API_URL_ENV[kind]] || undefined),
    tokenFile: flag('token-file'),
    login: flag('login') ?? fromConfig.login,
    statusContext: flag('status-context') ?? fromConfig.statusContext,
    reportUrl: flag('report-url') ?? fromConfig.reportUrl,
  };
}
