// The dashboard's only door to the gateway: same-origin fetches with the session cookie, and the session's CSRF
// token on every state-changing request.

export interface Session {
  name: string;
  role: string;
  csrf_token: string;
  expires: string;
}

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

let session: Session | null = null;

export function current(): Session | null {
  return session;
}

async function read<T>(response: Response): Promise<T> {
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      message = body?.error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return (await response.json()) as T;
}

export async function get<T>(path: string): Promise<T> {
  return read<T>(await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } }));
}

export async function post<T>(path: string): Promise<T> {
  return read<T>(
    await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { accept: "application/json", "X-CSRF-Token": session?.csrf_token ?? "" },
    }),
  );
}

/** The current session, or null when not signed in. */
export async function restore(): Promise<Session | null> {
  const answer = await get<Session & { signed_in: boolean }>("/dashboard/api/session");
  session = answer.signed_in ? answer : null;
  return session;
}

export async function signIn(key: string): Promise<Session> {
  const response = await fetch("/dashboard/api/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ key }),
  });
  session = await read<Session>(response);
  return session;
}

export async function signOut(): Promise<void> {
  await fetch("/dashboard/api/session", {
    method: "DELETE",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": session?.csrf_token ?? "" },
  });
  session = null;
}
