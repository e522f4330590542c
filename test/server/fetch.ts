/** GET helpers for the viewer server tests: the status and the parsed JSON body. */
export interface Got<T> {
  status: number;
  body: T;
  headers: Headers;
}

export async function getJson<T>(base: string, path: string, init?: RequestInit): Promise<Got<T>> {
  const res = await fetch(new URL(path, base), init);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as T, headers: res.headers };
}
