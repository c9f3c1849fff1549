/** Identity for commits refci writes through the git CLI (merges, the sample repository). */
export function identityEnv(name: string, email: string, dateSec?: number): Record<string, string> {
  const env: Record<string, string> = { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
  if (dateSec !== undefined) env.GIT_AUTHOR_DATE = env.GIT_COMMITTER_DATE = `@${dateSec} +0000`;
  return env;
}
