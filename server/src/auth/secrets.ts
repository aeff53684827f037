import { createHash, randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

/** argon2id with the library's defaults (m=19 MiB, t=2, p=1: the OWASP-recommended minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Checks a password against a stored hash; injectable so tests can see that it runs. */
export interface PasswordVerifier {
  verify(passwordHash: string | null, password: string): Promise<boolean>;
}
export const argon2Verifier: PasswordVerifier = { verify: verifyPassword };

let dummy: Promise<string> | null = null;
/**
 * A real argon2id hash of a random password, made once: sign-in verifies against it when the user name
 * does not exist, so that answering takes as long as for a real account and does not reveal which exist.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hash(randomBytes(32).toString("base64url"));
  return dummy;
}

/** A random secret for cookies, CSRF and API tokens (URL-safe). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Session and API-token values are stored only as SHA-256: they are long random secrets, not passwords. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A one-time password that is easy to type: 4 groups of 4 letters and digits, no look-alikes. */
export function oneTimePassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

/** Password rule: at least 10 characters, not only digits or only letters. */
export function passwordProblem(password: string): string | null {
  if (password.length < 10) return "Mật khẩu phải có ít nhất 10 ký tự";
  if (password.length > 200) return "Mật khẩu quá dài";
  if (/^\d+$/.test(password) || /^\p{L}+$/u.test(password)) return "Mật khẩu phải có cả chữ và số hoặc ký tự khác";
  return null;
}
