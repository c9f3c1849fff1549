/**
 * The words a contributor reads: the error comment, the comment without a report, the notice of
 * a turned-around verdict. Same layout and escaping as the QA comment (test/qa/report-markdown),
 * and none of refci's inside words.
 */
import test, { type ExecutionContext } from 'ava';
import { touchedPackages } from '../../src/collect/deciders.ts';
import { ForgePublisher } from '../../src/collect/forge-publisher.ts';
import { bareReport, plainReport } from '../../src/collect/verdict.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import type { Forge } from '../../src/forge/types.ts';
import { newJob } from '../../src/protocol/job.ts';
import { sha } from '../helpers/fake-forge.ts';
import { tempDir } from '../helpers/temp.ts';

const INTERNAL = /\b(job|jobs|worker|workers|pipeline|attempt|lease|collector|verdict|counting|shard|coordination|refci)\b|refs\/ci/i;

function assertContributorWords(t: ExecutionContext, text: string): void {
  const visible = text.replace(/<!--[\s\S]*?-->/g, '').replace(/\]\([^)]*\)/g, ']');
  t.notRegex(visible, INTERNAL, visible);
}

const job = newJob({
  repo: 'https://github.com/gentoo/gentoo.git',
  base: sha('base'),
  head: sha('head'),
  baseRef: 'refs/heads/master',
  headRef: 'refs/pull/12/head',
  pr: 12,
  prUrl: 'https://github.com/gentoo/gentoo/pull/12',
  pipeline: 'gentoo',
  createdAt: '2025-03-01T10:00:00.000Z',
});

function failedRun(reason: string) {
  const result = closingResult(job.id, 'error', reason, 'w1', 1, Date.parse('2025-03-01T10:07:41Z'));
  result.tools = { pkgcheck: '0.10.30', pmaint: '0.12.28' };
  result.steps = [
    { name: 'regen', argv: ['pmaint', 'regen'], exitCode: 1, signal: null, timedOut: false, cancelled: false, durationMs: 3200, logBytes: 0, logTruncated: false, sandboxed: true },
    { name: 'scan|head', argv: ['pkgcheck'], exitCode: null, signal: null, timedOut: true, cancelled: false, durationMs: 2_700_000, logBytes: 0, logTruncated: false, sandboxed: true },
  ];
  return result;
}

test('the error comment: the QA comment\'s layout, the steps, the facts; nothing from the run can inject Markdown', (t) => {
  const text = plainReport(job, failedRun('pmaint regen exited with 1 <img src=x> @gentoo/qa #1234'), 'https://ci.example.org/r/report.html');
  t.is(
    text,
    [
      '## ⚠️ The check could not be completed',
      '',
      'pmaint regen exited with 1 &lt;img src=x&gt; @\u200bgentoo/qa \\#\u200b1234',
      '',
      '| Step | Result | Time |',
      '| --- | --- | --- |',
      '| regen | exit 1 | 3.2s |',
      '| scan\\|head | timed out | 2700.0s |',
      '',
      '---',
      `- Checked: ${sha('head')} merged onto ${sha('base')} (\`master\`)`,
      '- When: 2025-03-01 10:07 UTC',
      '- Tools: pkgcheck 0.10.30, pmaint 0.12.28',
      '- Links: [pull request #12](https://github.com/gentoo/gentoo/pull/12) · [full report](https://ci.example.org/r/report.html)',
      '',
    ].join('\n'),
  );
  assertContributorWords(t, text);
});

test('without a report (the result could not be read) the comment keeps the layout', (t) => {
  const text = bareReport(job, 'error', 'the result cannot be read: invalid JSON');
  t.true(text.startsWith('## ⚠️ The check could not be completed\n\nthe result cannot be read: invalid JSON\n\n---\n'), text);
  t.true(text.includes(`- Checked: ${sha('head')} merged onto ${sha('base')}`));
  assertContributorWords(t, text);
});

test('the report comment carries the verdict it shows in a hidden line; the notice is short and escaped', (t) => {
  const forge = { kind: 'github', repo: 'gentoo/gentoo', cloneUrl: 'https://github.com/gentoo/gentoo.git' } as unknown as Forge;
  const publisher = new ForgePublisher({ forge, stateDir: tempDir(t), reportUrl: 'https://ci.example.org/{job}/report.html' });
  const prJob = job as typeof job & { pr: number };
  const body = publisher.commentBody(prJob, { status: 'failure', reason: '1 new error', reports: {} });
  t.true(body.startsWith('<!-- refci:verdict failure -->\n## ❌ The check failed\n\n1 new error\n'), body);
  t.true(body.includes(`[full report](https://ci.example.org/${job.id}/report.html)`));
  assertContributorWords(t, body);

  const notice = publisher.noticeBody(prJob, { status: 'failure', reason: '1 new error: @someone said `x` <b>', reports: {} }, 'https://github.com/gentoo/gentoo/pull/12#issuecomment-7');
  t.is(
    notice,
    `❌ This pull request has new problems since the last check (checked ${sha('head')}): 1 new error: @\u200bsomeone said \\\`x\\\` &lt;b&gt;\n\n` +
      `Details: [the report comment](https://github.com/gentoo/gentoo/pull/12#issuecomment-7) · [full report](https://ci.example.org/${job.id}/report.html)\n`,
  );
  const back = publisher.noticeBody(prJob, { status: 'success', reason: 'no new errors', reports: {} }, 'https://github.com/gentoo/gentoo/pull/12#issuecomment-7');
  t.true(back.startsWith(`✅ The new problems are gone: this pull request passes the check again (checked ${sha('head')}).`));
  assertContributorWords(t, notice);
  assertContributorWords(t, back);
});

test('touched packages: those with a changed or removed file and the versions added, not those inheriting a changed eclass', (t) => {
  const details = {
    scope: {
      reasons: [
        { target: 'dev-libs/foo', why: 'changed: foo-1.ebuild' },
        { target: 'dev-libs/gone', why: 'package removed (gone-1.ebuild); nothing left to scan' },
        { target: 'eclass/bar.eclass', why: 'changed; 2 inheriting packages scanned' },
        { target: 'dev-libs/user', why: 'inherits bar.eclass (changed)' },
        { target: 'repo', why: 'repository-level checks: profiles/ changed' },
        'junk',
      ],
    },
    addedVersions: ['app-misc/new/1.0'],
  };
  t.deepEqual(touchedPackages({ details }), ['app-misc/new', 'dev-libs/foo', 'dev-libs/gone']);
  t.is(touchedPackages({ details: {} }), undefined, 'an older result does not say');
});
