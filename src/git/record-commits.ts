import { encodeCancel, CANCEL_FILE, type CancelRecord } from '../protocol/cancel.ts';
import { encodeJob, JOB_FILE, type JobDescriptor } from '../protocol/job.ts';
import { encodeLock, LOCK_FILE, type LockRecord } from '../protocol/lock.ts';
import { cancelMessage, enqueueMessage, lockMessage, resultMessage } from '../protocol/messages.ts';
import { encodeResult, RESULT_FILE, type ResultRecord } from '../protocol/result.ts';
import { writeRecordCommit, type FileTree, type Signature } from './objects.ts';

/**
 * Each record is one commit whose tree holds the record file (plus artifacts
 * for results) and whose parents chain it to the job: job <- claim <- heartbeat
 * ... <- result. Archiving one commit that reaches the result keeps all of it.
 */
export function writeJobCommit(gitdir: string, job: JobDescriptor, author: Signature): Promise<string> {
  return writeRecordCommit(gitdir, { files: { [JOB_FILE]: encodeJob(job) }, parents: [], message: enqueueMessage(job), author });
}

export function writeLockCommit(gitdir: string, lock: LockRecord, parent: string, author: Signature): Promise<string> {
  return writeRecordCommit(gitdir, { files: { [LOCK_FILE]: encodeLock(lock) }, parents: [parent], message: lockMessage(lock), author });
}

export function writeCancelCommit(gitdir: string, cancel: CancelRecord, jobOid: string, author: Signature): Promise<string> {
  return writeRecordCommit(gitdir, {
    files: { [CANCEL_FILE]: encodeCancel(cancel) },
    parents: [jobOid],
    message: cancelMessage(cancel),
    author,
  });
}

export function writeResultCommit(
  gitdir: string,
  result: ResultRecord,
  artifacts: FileTree,
  parent: string,
  author: Signature,
): Promise<string> {
  return writeRecordCommit(gitdir, {
    files: { ...artifacts, [RESULT_FILE]: encodeResult(result) },
    parents: [parent],
    message: resultMessage(result),
    author,
  });
}
