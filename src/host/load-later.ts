import { RefciError } from '../errors.ts';

/**
 * A module imported on its first use, once: a command that never needs it
 * (the pre-receive hook, `refci --help`) does not compile it at start. A
 * failed import is not kept, so the next call tries again, and it says what
 * it means: the installed refci changed under the running command.
 */
export function loadLater<T>(name: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      const cause = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new RefciError('tool', `refci could not load its ${name} module: ${cause}`, 'refci was reinstalled or upgraded while this command ran: run the command again');
    });
    return loading;
  };
}
