/**
 * Response bodies of the fake forge, shaped like the real ones. The GitHub shapes are checked
 * against @octokit/openapi in test/forge/fake-forge-schema.test.ts (required fields present,
 * types right, no field the schema does not know). The Forgejo shapes follow Forgejo's
 * modules/structs (PullRequest, PRBranchInfo, Repository, User, Label, Comment, CommitStatus,
 * RepoCollaboratorPermission).
 */

export interface FakePull {
  id: number;
  number: number;
  title: string;
  body: string;
  author: string;
  /** Owner of the repository holding the head branch (a fork); null when the fork was deleted. */
  headOwner: string | null;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  labels: string[];
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  /** The base repository's clone_url as the forge gives it, when a test wants it odd (hostile, shifted). */
  baseCloneUrl?: string;
}

export interface FakeComment {
  id: number;
  /** Issue or pull request number. */
  issue: number;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeStatus {
  id: number;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
  updatedAt: string;
}

export type FakePermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** Where things live: API root and web root of the fake, the repository, user ids. */
export interface ShapeContext {
  api: string;
  web: string;
  owner: string;
  repo: string;
  userId(login: string): number;
  repoId(owner: string): number;
  labelId(name: string): number;
}

const LABEL_COLORS = ['d73a4a', '0075ca', 'cfd3d7', 'a2eeef', '7057ff', '008672', 'e4e669'];

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64');
}

// ---------------------------------------------------------------- GitHub

export function ghUser(c: ShapeContext, login: string) {
  const id = c.userId(login);
  const url = `${c.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId('User', id),
    avatar_url: `${c.web}/avatars/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${c.web}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

export function ghPrivateUser(c: ShapeContext, login: string) {
  return {
    ...ghUser(c, login),
    user_view_type: 'private',
    name: 'refci bot',
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: 'Pull-request CI for the Gentoo ebuild repository',
    twitter_username: null,
    notification_email: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: '2024-01-02T03:04:05Z',
    updated_at: '2025-01-02T03:04:05Z',
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
  };
}

export function ghRepo(c: ShapeContext, owner: string) {
  const id = c.repoId(owner);
  const full = `${owner}/${c.repo}`;
  const url = `${c.api}/repos/${full}`;
  const html = `${c.web}/${full}`;
  return {
    id,
    node_id: nodeId('Repository', id),
    name: c.repo,
    full_name: full,
    owner: ghUser(c, owner),
    private: false,
    html_url: html,
    description: 'Gentoo ebuild repository mirror',
    fork: owner !== c.owner,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://${new URL(c.web).host}/${full}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@${new URL(c.web).hostname}:${full}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: 'https://www.gentoo.org',
    language: 'Shell',
    forks_count: 4200,
    stargazers_count: 2100,
    watchers_count: 2100,
    size: 1_500_000,
    default_branch: 'master',
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: false,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'public',
    pushed_at: '2025-03-01T09:00:00Z',
    created_at: '2015-08-09T12:00:00Z',
    updated_at: '2025-03-01T09:00:00Z',
    allow_forking: true,
    web_commit_signoff_required: false,
    license: { key: 'gpl-2.0', name: 'GNU General Public License v2.0', spdx_id: 'GPL-2.0', url: `${c.api}/licenses/gpl-2.0`, node_id: 'MDc6TGljZW5zZTg=' },
    forks: 4200,
    open_issues: 0,
    watchers: 2100,
  };
}

export function ghLabel(c: ShapeContext, name: string) {
  const id = c.labelId(name);
  return {
    id,
    node_id: nodeId('Label', id),
    url: `${c.api}/repos/${c.owner}/${c.repo}/labels/${encodeURIComponent(name)}`,
    name,
    description: '',
    color: LABEL_COLORS[id % LABEL_COLORS.length]!,
    default: false,
  };
}

function ghBranch(c: ShapeContext, owner: string | null, ref: string, sha: string) {
  const repoOwner = owner ?? c.owner;
  return { label: `${repoOwner}:${ref}`, ref, sha, user: ghUser(c, repoOwner), repo: ghRepo(c, repoOwner) };
}

export function ghPullSimple(c: ShapeContext, p: FakePull) {
  const url = `${c.api}/repos/${c.owner}/${c.repo}/pulls/${p.number}`;
  const issue = `${c.api}/repos/${c.owner}/${c.repo}/issues/${p.number}`;
  const html = `${c.web}/${c.owner}/${c.repo}/pull/${p.number}`;
  const statuses = `${c.api}/repos/${c.owner}/${c.repo}/statuses/${p.headSha}`;
  return {
    url,
    id: p.id,
    node_id: nodeId('PullRequest', p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: ghUser(c, p.author),
    body: p.body,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    merged_at: p.mergedAt,
    merge_commit_sha: p.merged ? p.headSha : null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: p.labels.map((name) => ghLabel(c, name)),
    milestone: null,
    draft: p.draft,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${c.api}/repos/${c.owner}/${c.repo}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: statuses,
    head: ghBranch(c, p.headOwner, p.headRef, p.headSha),
    base: p.baseCloneUrl ? withCloneUrl(ghBranch(c, c.owner, p.baseRef, p.baseSha), p.baseCloneUrl) : ghBranch(c, c.owner, p.baseRef, p.baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${c.api}/repos/${c.owner}/${c.repo}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statuses },
    },
    author_association: 'CONTRIBUTOR',
    auto_merge: null,
    active_lock_reason: null,
  };
}

export function ghPull(c: ShapeContext, p: FakePull) {
  return {
    ...ghPullSimple(c, p),
    merged: p.merged,
    mergeable: p.state === 'open' ? true : null,
    rebaseable: p.state === 'open' ? true : null,
    mergeable_state: p.state === 'open' ? 'clean' : 'unknown',
    merged_by: p.merged ? ghUser(c, c.owner) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: true,
    commits: 1,
    additions: 12,
    deletions: 3,
    changed_files: 2,
  };
}

export function ghComment(c: ShapeContext, comment: FakeComment, isPull: boolean) {
  const url = `${c.api}/repos/${c.owner}/${c.repo}/issues/comments/${comment.id}`;
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url,
    html_url: `${c.web}/${c.owner}/${c.repo}/${isPull ? 'pull' : 'issues'}/${comment.issue}#issuecomment-${comment.id}`,
    body: comment.body,
    user: ghUser(c, comment.author),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${c.api}/repos/${c.owner}/${c.repo}/issues/${comment.issue}`,
    author_association: 'NONE',
    performed_via_github_app: null,
    reactions: {
      url: `${url}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
    },
  };
}

export function ghStatus(c: ShapeContext, s: FakeStatus) {
  return {
    url: `${c.api}/repos/${c.owner}/${c.repo}/statuses/${s.sha}`,
    avatar_url: `${c.web}/avatars/u/${c.userId(s.creator)}?v=4`,
    id: s.id,
    node_id: nodeId('StatusContext', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    creator: ghUser(c, s.creator),
  };
}

/** GitHub's legacy `permission` (admin/write/read/none) and the finer `role_name`. */
export function ghPermission(c: ShapeContext, login: string, permission: FakePermission) {
  const legacy = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read', none: 'none' }[permission];
  const role = permission === 'none' ? 'read' : permission;
  return {
    permission: permission === 'none' ? 'read' : legacy, // a public repository: everyone can read
    role_name: role,
    user: {
      ...ghUser(c, login),
      permissions: {
        admin: permission === 'admin',
        maintain: ['admin', 'maintain'].includes(permission),
        push: ['admin', 'maintain', 'write'].includes(permission),
        triage: ['admin', 'maintain', 'write', 'triage'].includes(permission),
        pull: true,
      },
      role_name: role,
    },
  };
}

export function ghError(status: number, message: string, extra: Record<string, unknown> = {}) {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra };
}

// ---------------------------------------------------------------- Forgejo

export function fjUser(c: ShapeContext, login: string) {
  const id = c.userId(login);
  return {
    id,
    login,
    login_name: '',
    source_id: 0,
    full_name: '',
    email: `${login}@noreply.codeberg.org`,
    avatar_url: `${c.web}/avatars/${id.toString(16).padStart(32, '0')}`,
    html_url: `${c.web}/${login}`,
    language: '',
    is_admin: false,
    last_login: '0001-01-01T00:00:00Z',
    created: '2023-05-06T07:08:09Z',
    restricted: false,
    active: false,
    prohibit_login: false,
    location: '',
    pronouns: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: login,
  };
}

export function fjRepo(c: ShapeContext, owner: string) {
  const id = c.repoId(owner);
  const full = `${owner}/${c.repo}`;
  const html = `${c.web}/${full}`;
  return {
    id,
    owner: fjUser(c, owner),
    name: c.repo,
    full_name: full,
    description: 'Gentoo ebuild repository mirror',
    empty: false,
    private: false,
    fork: owner !== c.owner,
    template: false,
    parent: null,
    mirror: false,
    size: 1_500_000,
    language: 'Shell',
    languages_url: `${c.api}/repos/${full}/languages`,
    html_url: html,
    url: `${c.api}/repos/${full}`,
    link: '',
    ssh_url: `ssh://git@${new URL(c.web).hostname}/${full}.git`,
    clone_url: `${html}.git`,
    original_url: '',
    website: '',
    stars_count: 40,
    forks_count: 12,
    watchers_count: 30,
    open_issues_count: 0,
    open_pr_counter: 0,
    release_counter: 0,
    default_branch: 'master',
    archived: false,
    created_at: '2022-01-01T00:00:00Z',
    updated_at: '2025-03-01T09:00:00Z',
    archived_at: '1970-01-01T00:00:00Z',
    permissions: { admin: false, push: false, pull: true },
    has_issues: true,
    internal_tracker: { enable_time_tracker: false, allow_only_contributors_to_track_time: true, enable_issue_dependencies: true },
    has_wiki: false,
    has_wiki_contents: false,
    wiki_ssh_url: `ssh://git@${new URL(c.web).hostname}/${full}.wiki.git`,
    wiki_clone_url: `${html}.wiki.git`,
    globally_editable_wiki: false,
    has_pull_requests: true,
    has_projects: false,
    has_releases: false,
    has_packages: false,
    has_actions: false,
    ignore_whitespace_conflicts: false,
    allow_merge_commits: true,
    allow_rebase: true,
    allow_rebase_explicit: true,
    allow_squash_merge: true,
    allow_fast_forward_only_merge: false,
    allow_rebase_update: true,
    default_delete_branch_after_merge: false,
    default_merge_style: 'merge',
    default_allow_maintainer_edit: false,
    default_update_style: 'merge',
    avatar_url: '',
    internal: false,
    mirror_interval: '',
    object_format_name: 'sha1',
    mirror_updated: '0001-01-01T00:00:00Z',
    repo_transfer: null,
    topics: [],
  };
}

export function fjLabel(c: ShapeContext, name: string) {
  const id = c.labelId(name);
  return {
    id,
    name,
    exclusive: false,
    is_archived: false,
    color: LABEL_COLORS[id % LABEL_COLORS.length]!,
    description: '',
    url: `${c.api}/repos/${c.owner}/${c.repo}/labels/${id}`,
  };
}

function fjBranch(c: ShapeContext, owner: string | null, ref: string, sha: string) {
  return {
    label: ref,
    ref,
    sha,
    repo_id: owner === null ? 0 : c.repoId(owner),
    repo: owner === null ? null : fjRepo(c, owner),
  };
}

export function fjPull(c: ShapeContext, p: FakePull) {
  const html = `${c.web}/${c.owner}/${c.repo}/pulls/${p.number}`;
  return {
    id: p.id,
    url: html,
    number: p.number,
    user: fjUser(c, p.author),
    title: p.title,
    body: p.body,
    labels: p.labels.map((name) => fjLabel(c, name)),
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: [],
    requested_reviewers_teams: [],
    state: p.state,
    draft: p.draft,
    is_locked: false,
    comments: 0,
    review_comments: 0,
    additions: 12,
    deletions: 3,
    changed_files: 2,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    mergeable: p.state === 'open',
    merged: p.merged,
    merged_at: p.mergedAt,
    merge_commit_sha: p.merged ? p.headSha : null,
    merged_by: p.merged ? fjUser(c, c.owner) : null,
    allow_maintainer_edit: false,
    base: fjBranch(c, c.owner, p.baseRef, p.baseSha),
    head: fjBranch(c, p.headOwner, p.headRef, p.headSha),
    merge_base: p.baseSha,
    due_date: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    pin_order: 0,
    flow: 0,
  };
}

export function fjComment(c: ShapeContext, comment: FakeComment, isPull: boolean) {
  const base = `${c.web}/${c.owner}/${c.repo}`;
  return {
    id: comment.id,
    html_url: `${base}/${isPull ? 'pulls' : 'issues'}/${comment.issue}#issuecomment-${comment.id}`,
    pull_request_url: isPull ? `${base}/pulls/${comment.issue}` : '',
    issue_url: isPull ? '' : `${base}/issues/${comment.issue}`,
    user: fjUser(c, comment.author),
    original_author: '',
    original_author_id: 0,
    body: comment.body,
    assets: [],
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
  };
}

export function fjStatus(c: ShapeContext, s: FakeStatus) {
  return {
    id: s.id,
    state: s.state,
    target_url: s.targetUrl ?? '',
    description: s.description ?? '',
    url: `${c.api}/repos/${c.owner}/${c.repo}/statuses/${s.sha}`,
    context: s.context,
    creator: fjUser(c, s.creator),
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

/** Forgejo: none/read/write/admin/owner; there is no "maintain". */
export function fjPermission(c: ShapeContext, login: string, permission: FakePermission) {
  const level = login === c.owner ? 'owner' : { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read', none: 'read' }[permission];
  return { permission: level, role_name: level, user: fjUser(c, login) };
}

export function fjError(message: string) {
  return { message, url: 'https://codeberg.org/api/swagger' };
}

function withCloneUrl<T extends { repo?: unknown }>(branch: T, cloneUrl: string): T {
  return { ...branch, repo: { ...(branch.repo as object), clone_url: cloneUrl } };
}
