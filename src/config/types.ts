import type * as z from '../protocol/zod.ts';
import type { AllowedSigner } from '../protocol/allowed-signers.ts';
import type { KeywordClassMap } from '../qa/classes.ts';
import type { Excludes } from '../qa/excludes.ts';
import type { fleetConfigSchema, forgeSettingsSchema, gentooSchema, pipelineSchema, stepSchema, toolSchema, workerRuleSchema } from './schema.ts';

/**
 * The types of the fleet configuration, inferred from the schema (schema.ts,
 * where each field is explained); nothing here restates it. The one
 * differences: a host resolves `gentoo.classes` and `gentoo.excludes`, which
 * config.json may give as file names, into the maps themselves, and reads the
 * `allowed_signers` file beside config.json into `allowedSigners`.
 */
export type StepConfig = z.output<typeof stepSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;
export type ToolConfig = z.output<typeof toolSchema>;
export type WorkerRule = z.output<typeof workerRuleSchema>;
export type ForgeSettings = z.output<typeof forgeSettingsSchema>;
export type GentooConfig = Omit<z.output<typeof gentooSchema>, 'classes' | 'excludes'> & {
  /** Keyword classes (pkgcheck2html.conf.json shape); Gentoo CI's built-in map when absent. */
  classes?: KeywordClassMap;
  /** Excludes (Gentoo CI excludes.json shape). */
  excludes?: Excludes;
};
export type FleetConfig = Omit<z.output<typeof fleetConfigSchema>, 'gentoo'> & {
  gentoo: GentooConfig;
  /** The workers' signing keys, from `allowed_signers` beside config.json; absent when there is no such file. */
  allowedSigners?: AllowedSigner[];
};
