/** Flags shared by `refci enqueue` and `refci collect` to reach a forge. */
import type { FleetConfig, ForgeSettings } from '../config/types.ts';
import { RefciError } from '../errors.ts';
import { createForge, resolveToken, type Forge, type ForgeKind } from '../forge/index.ts';
import type { Io } from './command.ts';

export const forgeOptions = {
  github: { type: 'string' },
  codeberg: { type: 'string' },
  'api-url': { type: 'string' },
  'token-file': { type: 'string' },
  'status-context': { type: 'string' },
  login: { type: 'string' },
} as const;

export const forgeHelp = [
  '--github OWNER/REPO     a GitHub repository (token from GITHUB_TOKEN or --token-file)',
  '--codeberg OWNER/REPO   a Codeberg/Forgejo repository (token from CODEBERG_TOKEN or --token-file)',
  '--api-url URL       API root: GitHub Enterprise (https://host/api/v3), another Forgejo (https://host/api/v1)',
  '--token-file FILE   file holding only the token (mode 0600); wins over the variable',
  '                    --api-url, --token-file, --login, --status-context and --report-url may instead be set',
  '                    per forge in the configuration (forges.github, forges.codeberg); a flag wins',
  '--status-context NAME   commit status context, also names the report comment (default gentoo-ci)',
  '--login NAME        the token user\'s login when GET /user cannot tell (a GitHub App: <app>[bot])',
];

const PER_FORGE = ['api-url', 'token-file', 'login'] as const;

/**
 * The forges named by --github / --codeberg (none when neither is given). `both` allows one of
 * each (collect publishes for both in one process); --api-url, --token-file and --login then
 * cannot say which forge they are for, so they need a single forge.
 */
export async function forgesFromFlags(
  flags: Record<string, unknown>,
  io: Io,
  command: string,
  options: { both: boolean; log?: (line: string) => void; forges?: FleetConfig['forges'] },
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
    const settings = forgeSettings(flags, kind, options.forges);
    const token = await resolveToken({ forge: kind, env: io.env, tokenFile: settings.tokenFile });
    const forge = createForge(kind, { repo: flags[kind] as string, token, apiUrl: settings.apiUrl, login: settings.login, log: options.log });
    forges.push({ forge, settings });
  }
  return forges;
}

/**
 * The forge a job names (`forge: "github:gentoo/gentoo"`) when no --github / --codeberg flag
 * names it: the configuration's settings for that forge, --report-url and --status-context from
 * the command line, the token from the environment or the token files.
 */
export async function forgeForJobs(
  kind: ForgeKind,
  repo: string,
  flags: Record<string, unknown>,
  io: Io,
  configured: FleetConfig['forges'] = {},
  log?: (line: string) => void,
): Promise<{ forge: Forge; settings: ForgeSettings }> {
  const fromConfig = configured[kind] ?? {};
  const settings: ForgeSettings = {
    ...fromConfig,
    statusContext: (flags['status-context'] as string | undefined) ?? fromConfig.statusContext,
    reportUrl: (flags['report-url'] as string | undefined) ?? fromConfig.reportUrl,
  };
  const token = await resolveToken({ forge: kind, env: io.env, tokenFile: settings.tokenFile });
  return { forge: createForge(kind, { repo, token, apiUrl: settings.apiUrl, login: settings.login, log }), settings };
}

/** A forge's settings: each flag given wins over the configuration's `forges.<kind>`. */
function forgeSettings(flags: Record<string, unknown>, kind: ForgeKind, configured: FleetConfig['forges'] = {}): ForgeSettings {
  const fromConfig = configured[kind] ?? {};
  const flag = (name: string) => flags[name] as string | undefined;
  return {
    apiUrl: flag('api-url') ?? fromConfig.apiUrl,
    tokenFile: flag('token-file') ?? fromConfig.tokenFile,
    login: flag('login') ?? fromConfig.login,
    statusContext: flag('status-context') ?? fromConfig.statusContext,
    reportUrl: flag('report-url') ?? fromConfig.reportUrl,
  };
}
