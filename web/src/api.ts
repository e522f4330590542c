/** The server's JSON API (src/server/api.ts): GET and parse, errors as thrown messages. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
}

export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as T | { error: string };
  if (!res.ok) throw new ApiFailure((body as { error?: string }).error ?? `${res.status} ${res.statusText}`);
  return body as T;
}
