import { RefciError } from '../errors.ts';
import { checkRepoUrl, withoutCredentials } from '../protocol/repo-url.ts';

/**
 * The `repo` a new job gets: the URL without credentials (a job is read by every
 * host of the fleet and kept forever in the history), checked as the job schema
 * will check it. Each URL that carried credentials is warned about once, with
 * the credentials left out of the warning.
 */
export function jobRepoUrls(warn: (line: string) => void): (url: string) => string {
  const warned = new Set<string>();
  return (url) => {
    const stripped = withoutCredentials(url);
    const repo = stripped ?? url.trim();
    if (stripped !== undefined && !warned.has(stripped)) {
      warned.add(stripped);
      warn(`warning: repository URL ${stripped} carried credentials; they were left out of the job (workers need their own access)`);
    }
    const check = checkRepoUrl(repo);
    if (!check.ok) throw new RefciError('invalid-input', `repository URL ${JSON.stringify(repo)} ${check.reason}`, 'give an https, ssh or git URL, user@host:path, or an absolute path');
    return repo;
  };
}
