import { historyShard } from '../protocol/ids.ts';
import type { JobDescriptor } from '../protocol/job.ts';

/**
 * A job's report link from the operator's template: `{job}`, `{shard}` (the
 * history folder, jobs/{shard}/{job}/), `{pr}` and `{head}` are filled in,
 * each URL-encoded.
 */
export function fillReportUrl(template: string, job: Pick<JobDescriptor, 'id' | 'pr' | 'head'>): string {
  const values: Record<string, string> = { job: job.id, shard: historyShard(job.id), pr: String(job.pr ?? ''), head: job.head };
  return template.replace(/\{(job|shard|pr|head)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
}
