// Kafka's Sanitizer: a znode name for any entity name (a user principal, a group id), as
// java.net.URLEncoder writes it with "*" as %2A and " " as %20, and back.

export function sanitize(name: string): string {
  return encodeURIComponent(name).replace(/[!'()~*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function desanitize(name: string): string {
  return decodeURIComponent(name);
}
