import { RefciError } from '../errors.ts';

/**
 * The forge token goes to one place: the API root this host was given, over
 * https. Plain http is allowed only when the host says so (`--allow-http-api`,
 * for a forge on 127.0.0.1 in tests), because the token would cross the
 * network readable by anyone on the path.
 */
export function checkedApiUrl(apiUrl: string, forgeName: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new RefciError('usage', `${forgeName} API URL ${JSON.stringify(apiUrl)} is not a URL`, 'give --api-url as https://host/api/...');
  }
  if (url.username !== '' || url.password !== '') {
    throw new RefciError('usage', `${forgeName} API URL names a user or password`, 'give the token with the token variable or --token-file, and the URL without credentials');
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowHttp)) return url;
  throw new RefciError(
    'usage',
    `${forgeName} API URL ${url.origin} is not https, and the token must not cross the network in clear`,
    url.protocol === 'http:' ? 'use the https URL, or pass --allow-http-api for a forge on this machine (tests)' : 'use the https URL of the API',
  );
}

/** Refuses a request whose URL would carry the token to another origin than the API's (a Link header or a path pointing elsewhere). */
export function assertApiOrigin(requestUrl: string, api: URL, forgeName: string): void {
  let origin: string;
  try {
    origin = new URL(requestUrl, api).origin;
  } catch {
    origin = 'an unreadable URL';
  }
  if (origin !== api.origin) {
    throw new RefciError('forge', `${forgeName} request to ${origin} refused: the token goes only to ${api.origin}`, 'check the forge\'s answers (Link headers) and --api-url');
  }
}
