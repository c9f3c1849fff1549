import { readConfigCommit } from './config-branch.ts';
import { defaultConfig } from '../config/defaults.ts';
import { checkConfigValue, describeProblems } from '../config/schema.ts';
import type { FleetConfig } from '../config/types.ts';
import type { CoordClone } from './clone.ts';
import { loadStateFile, saveStateFile } from './state-file.ts';
import { ALLOWED_SIGNERS_FILE, formatAllowedSigners } from '../protocol/allowed-signers.ts';
import { CONFIG_REF } from '../protocol/refs.ts';

export interface CurrentConfig {
  config: FleetConfig;
  /** The configuration branch commit it came from; undefined for a local file or the built-in defaults. */
  commit?: string;
  source: 'branch' | 'file' | 'defaults';
}

const CACHE_FILE = 'config-cache.json';

/**
 * A host's view of the configuration branch. After each fetch of
 * `refs/heads/config` it takes a new commit if the commit passes the schema;
 * a commit that does not is refused (logged once, with file, field and
 * reason) and the host goes on with the last valid configuration. That one is
 * cached in the state folder, so a restarted or cron-run worker keeps it too.
 * With a local file (`--config FILE`), the file is used and the branch is not
 * read.
 */
export class ConfigSource {
  private current: CurrentConfig | undefined;
  private readonly refused = new Set<string>();
  private warnedMissing = false;
  /** One object, so that a caller can tell by identity that nothing changed. */
  private readonly defaults: CurrentConfig = { config: defaultConfig(), source: 'defaults' };

  constructor(
    private readonly stateDir: string,
    private readonly log: (line: string) => void,
    private readonly override?: FleetConfig,
  ) {}

  /** Call after a fetch that included the configuration branch. */
  async refresh(clone: CoordClone): Promise<CurrentConfig> {
    if (this.override) return (this.current ??= { config: this.override, source: 'file' });
    this.current ??= this.loadCache();
    const tip = await clone.ref(CONFIG_REF);
    if (!tip) {
      if (!this.warnedMissing && !this.current) {
        this.log(`the coordination repository has no ${CONFIG_REF}; running on the built-in defaults (refci config init writes them there)`);
      }
      this.warnedMissing = true;
      return this.current ?? this.defaults;
    }
    if (tip === this.current?.commit || this.refused.has(tip)) return this.currentOrDefaults();
    const checked = await readConfigCommit(clone.gitdir, tip);
    if (!checked.ok) {
      this.refused.add(tip);
      const keeping = this.current?.commit ? `keeping configuration ${this.current.commit.slice(0, 12)}` : 'keeping the built-in defaults';
      this.log(`configuration ${tip.slice(0, 12)} refused: ${describeProblems(checked.problems)}; ${keeping}`);
      return this.currentOrDefaults();
    }
    const previous = this.current?.commit;
    this.current = { config: checked.config, commit: tip, source: 'branch' };
    this.saveCache(this.current);
    this.log(previous ? `configuration ${tip.slice(0, 12)} in use (was ${previous.slice(0, 12)})` : `configuration ${tip.slice(0, 12)} in use`);
    return this.current;
  }

  private currentOrDefaults(): CurrentConfig {
    return this.current ?? this.defaults;
  }

  /** The last valid configuration this host used, checked again: a newer refci may read it differently. */
  private loadCache(): CurrentConfig | undefined {
    const cached = loadStateFile<{ commit?: unknown; config?: unknown; allowedSigners?: unknown }>(this.stateDir, CACHE_FILE, () => ({}));
    if (typeof cached.commit !== 'string') return undefined;
    const signers = typeof cached.allowedSigners === 'string' ? cached.allowedSigners : undefined;
    const checked = checkConfigValue(cached.config, { file: CACHE_FILE, readFile: (name) => (name === ALLOWED_SIGNERS_FILE ? signers : undefined) });
    return checked.ok ? { config: checked.config, commit: cached.commit, source: 'branch' } : undefined;
  }

  /** The allowed signers are kept as the file's text, read back like the branch's file. */
  private saveCache(current: CurrentConfig): void {
    const { allowedSigners, ...config } = current.config;
    saveStateFile(this.stateDir, CACHE_FILE, { commit: current.commit, config, ...(allowedSigners ? { allowedSigners: formatAllowedSigners(allowedSigners) } : {}) });
  }
}
