/** The forge layer's entry point: `createForge` and the types discovery and publishing use. */
import { ForgejoForge } from './forgejo.ts';
import { GitHubForge } from './github.ts';
import type { Forge, ForgeKind, ForgeOptions } from './types.ts';

export * from './types.ts';
export { resolveToken, ForgeToken, TOKEN_ENV, scrub } from './token.ts';
export { cutDescription, reportMarker, STATUS_DESCRIPTION_MAX } from './text.ts';
export { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
export { GitHubForge, GITHUB_API } from './github.ts';
export { ForgejoForge, CODEBERG_API } from './forgejo.ts';
export * from './discovery-plan.ts';

/** A Forge for one repository on one forge. */
export function createForge(kind: ForgeKind, options: ForgeOptions): Forge {
  return kind === 'github' ? new GitHubForge(options) : new ForgejoForge(options);
}
