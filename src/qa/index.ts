/** The QA diff core: parse pkgcheck output, key findings, diff two scans, judge, render. Pure. */
export * from './types.ts';
export { KEYWORD_ALIASES, publicKeyword } from './aliases.ts';
export { detectFormat, parsePkgcheckOutput } from './parse.ts';
export { findingKey, coarseKey, normaliseAttributes, normaliseMessage, placeOf, detailOf } from './key.ts';
export { GENTOO_KEYWORD_CLASSES, keywordClass, classCounts, validateKeywordClasses, type KeywordClassMap } from './classes.ts';
export { isExcluded, validateExcludes, type Excludes } from './excludes.ts';
export { diffFindings, compareEntries, type DiffEntry, type DiffOptions, type FindingStatus, type QaDiff } from './diff.ts';
export { verdictOf, type Verdict, type VerdictStatus, type VerdictOptions } from './verdict.ts';
export { renderMarkdown, MARKDOWN_MAX_LENGTH, type MarkdownOptions } from './report-markdown.ts';
export { renderHtml } from './report-html.ts';
export { renderJson, toJsonReport, type JsonReport, type JsonFinding } from './report-json.ts';
export type { QaReport, ReportMeta } from './report-model.ts';
export { withReplayMessages, type WithMessages } from './replay-messages.ts';
export { runQaDiff, buildQaReport, renderQaReport, type RunQaDiffInput, type RunQaDiffResult, type ReportFormat } from './run.ts';
