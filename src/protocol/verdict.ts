/**
 * What a contributor is told about a job: its status and a one-line reason.
 * `cancelled` only comes from the queue (superseded or cancelled by hand),
 * never from a QA diff.
 */
export const VERDICT_STATUSES = ['success', 'failure', 'error', 'cancelled'] as const;
export type VerdictStatus = (typeof VERDICT_STATUSES)[number];

export interface Verdict<Status extends VerdictStatus = VerdictStatus> {
  status: Status;
  reason: string;
}
