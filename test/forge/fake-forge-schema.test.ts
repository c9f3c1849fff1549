/**
 * The fake GitHub answers like GitHub: every JSON body the GitHub client received during a run
 * through all operations is checked against GitHub's OpenAPI description (@octokit/openapi):
 * required fields present, types and enums right, nullable only where allowed, and no field the
 * description does not know.
 */
import { createRequire } from 'node:module';
import test from 'ava';
import { harness } from '../helpers/fake-forge-client.ts';

type Schema = Record<string, any>;
interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Schema> };
}

const require = createRequire(import.meta.url);
const spec = require('@octokit/openapi/generated/api.github.com.json') as Spec;

function deref(schema: Schema): Schema {
  let current = schema;
  for (let i = 0; i < 20 && current.$ref; i++) {
    const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(current.$ref as string)!;
    current = (spec.components as Record<string, Record<string, Schema>>)[kind!]![name!]!;
  }
  return current;
}

function typeOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

/** Errors of `value` against `schema` (OpenAPI 3.0 subset used by GitHub's description). */
function validate(input: Schema, value: unknown, at: string, strict = true): string[] {
  const schema = deref(input);
  if (value === null) return schema.nullable || input.nullable ? [] : [`${at}: null but not nullable`];
  const errors: string[] = [];
  const composite = schema.allOf ?? schema.anyOf ?? schema.oneOf;
  if (schema.allOf) for (const part of schema.allOf as Schema[]) errors.push(...validate(part, value, at, false));
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!schema[key]) continue;
    const results = (schema[key] as Schema[]).map((part) => validate(part, value, at, strict));
    if (!results.some((r) => r.length === 0)) errors.push(`${at}: matches none of ${key}: ${results.map((r) => r[0]).join(' | ')}`);
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (schema.type && !typeOk(schema.type as string, value)) return [...errors, `${at}: expected ${schema.type}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  if (schema.type === 'object' || schema.properties) {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) errors.push(`${at}.${name}: required but missing`);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, field] of Object.entries(object)) {
      if (properties[name]) errors.push(...validate(properties[name]!, field, `${at}.${name}`));
      else if (strict && !composite && schema.additionalProperties === undefined) errors.push(`${at}.${name}: not in the schema`);
    }
  }
  if (schema.type === 'array' && schema.items) (value as unknown[]).forEach((item, i) => errors.push(...validate(schema.items as Schema, item, `${at}[${i}]`)));
  return errors;
}

/** The spec's path template matching a concrete path, e.g. /repos/{owner}/{repo}/pulls/{pull_number}. */
function templateOf(path: string): string | undefined {
  const parts = path.split('/');
  return Object.keys(spec.paths).find((template) => {
    const t = template.split('/');
    return t.length === parts.length && t.every((seg, i) => seg.startsWith('{') || seg === parts[i]);
  });
}

test('every answer of the fake GitHub matches the OpenAPI description', async (t) => {
  const h = await harness('github', {}, { perPage: 2 });
  t.teardown(() => h.fake.close());
  const { fake, forge } = h;
  fake.openPull({ labels: ['priority-ci'] });
  fake.openPull({ headOwner: 'forker' }); // from a fork (a deleted fork gives head.repo null, which the description does not allow)
  fake.openPull({ draft: true });
  fake.closePull(fake.openPull().number, true);
  fake.addComment(1, 'dev1', 'looks fine\n/recheck');
  fake.addComment(fake.openIssue(), 'someone', 'an issue comment');
  fake.setPermission('maint', 'maintain');

  const pulls = await forge.listOpenPulls({ version: 1, pages: [] });
  await forge.getPull(4);
  await forge.setStatus(pulls[0]!.headSha, { state: 'success', context: 'refci', description: 'ok', targetUrl: 'https://ci.example/1' });
  await forge.upsertComment(1, '<!-- refci:report refci -->', 'first');
  await forge.upsertComment(1, '<!-- refci:report refci -->', 'second');
  await forge.listCommentsSince('2025-01-01T00:00:00Z');
  await forge.canTrigger('maint', 'dev1');
  await forge.canTrigger('nobody-known', 'dev1');
  await t.throwsAsync(forge.getPull(99));

  const checked = new Set<string>();
  for (const request of fake.requests) {
    if (request.response === '') continue;
    const template = templateOf(request.path);
    t.truthy(template, `no OpenAPI path for ${request.path}`);
    const operation = spec.paths[template!]![request.method.toLowerCase()]!;
    const response = deref(operation.responses[String(request.status)]!);
    t.truthy(response, `${request.method} ${template} has no ${request.status} answer in the description`);
    const schema = response.content?.['application/json']?.schema as Schema;
    const errors = validate(schema, JSON.parse(request.response), `${request.method} ${template} ${request.status}`);
    t.deepEqual(errors, []);
    checked.add(`${request.method} ${template} ${request.status}`);
  }
  t.deepEqual([...checked].sort(), [
    'GET /repos/{owner}/{repo}/collaborators/{username}/permission 200',
    'GET /repos/{owner}/{repo}/collaborators/{username}/permission 404',
    'GET /repos/{owner}/{repo}/issues/comments 200',
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments 200',
    'GET /repos/{owner}/{repo}/pulls 200',
    'GET /repos/{owner}/{repo}/pulls/{pull_number} 200',
    'GET /repos/{owner}/{repo}/pulls/{pull_number} 404',
    'GET /user 200',
    'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} 200',
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments 201',
    'POST /repos/{owner}/{repo}/statuses/{sha} 201',
  ]);
});

test('the validator itself catches a wrong shape', (t) => {
  const schema = spec.paths['/repos/{owner}/{repo}/pulls/{pull_number}']!.get!.responses['200']!.content['application/json'].schema as Schema;
  const errors = validate(schema, { number: '1', extra: true }, 'pull');
  t.true(errors.some((e) => e.includes('pull.number: expected integer')));
  t.true(errors.some((e) => e.includes('pull.head: required but missing')));
  t.true(errors.some((e) => e.includes('pull.extra: not in the schema')));
});
