/**
 * The environment a command runs with. The CLI passes its Io's env down to
 * every place that reads a variable or starts a program, so a command run in
 * process (tests run several at once) sees its own environment, never
 * another's; a real process passes process.env.
 */
export type HostEnv = NodeJS.ProcessEnv;

/** os.tmpdir() for `env` rather than process.env: TMPDIR, TMP, TEMP, else /tmp (POSIX). */
export function tmpdirOf(env: HostEnv): string {
  const dir = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}
