/**
 * The access token lives in sessionStorage only: it ends with the tab, is never put in a URL, and is sent only
 * in the Authorization header.
 */
const KEY = 'candor.token';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
