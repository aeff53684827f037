/** A web address a server can be reached at (http or https, with a host name). */
export function isWebAddress(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && !!u.hostname;
  } catch {
    return false;
  }
}
