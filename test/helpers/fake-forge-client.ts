/** Builds a refci Forge talking to a FakeForge, with a sleep that only moves the fake clock. */
import { ForgejoForge } from '../../src/forge/forgejo.ts';
import { GitHubForge } from '../../src/forge/github.ts';
import type { Forge, ForgeOptions } from '../../src/forge/types.ts';
import { startFakeForge, type FakeForge, type FakeForgeOptions, type Flavor } from './fake-forge.ts';

export const TEST_TOKEN = 'ghp_T0kenThatMustNeverLeak1234567890abcd';

export interface Harness {
  fake: FakeForge;
  forge: Forge;
  /** Every wait refci asked for, in ms. */
  sleeps: number[];
  logs: string[];
  /** Another client on the same fake (other options). */
  client(overrides?: Partial<ForgeOptions>): Forge;
}

export async function harness(flavor: Flavor, options: Partial<FakeForgeOptions> = {}, overrides: Partial<ForgeOptions> = {}): Promise<Harness> {
  const fake = await startFakeForge({ flavor, token: TEST_TOKEN, ...options });
  const sleeps: number[] = [];
  const logs: string[] = [];
  const client = (more: Partial<ForgeOptions> = {}): Forge => {
    const all: ForgeOptions = {
      repo: `${fake.owner}/${fake.repo}`,
      token: TEST_TOKEN,
      apiUrl: fake.apiUrl,
      // The fake forge serves plain http on 127.0.0.1.
      allowHttp: true,
      log: (line) => logs.push(line),
      ...overrides,
      ...more,
      retry: {
        sleep: async (ms) => {
          sleeps.push(ms);
          fake.advance(ms);
        },
        now: () => fake.now,
        ...overrides.retry,
        ...more.retry,
      },
    };
    return flavor === 'github' ? new GitHubForge(all) : new ForgejoForge(all);
  };
  return { fake, forge: client(), sleeps, logs, client };
}

export const FLAVORS: Flavor[] = ['github', 'forgejo'];
