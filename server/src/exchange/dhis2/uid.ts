import { createHash } from "node:crypto";

/**
 * DHIS2 identifies every object by an 11-character UID (a letter, then ten letters or digits). This
 * product identifies its objects by codes, so each object gets a UID derived from its kind and code
 * (SHA-256, deterministic): the same on every install and at every start, so that a DHIS2 instance can
 * map once and keep its mapping. The metadata endpoints (`/api/dataElements`, …) expose them.
 */
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHANUMERIC = `0123456789${LETTERS}`;

export type Dhis2Kind =
  "dataElement" | "organisationUnit" | "category" | "categoryOption" | "categoryCombo" | "categoryOptionCombo" | "dataSet";

export function dhis2Uid(kind: Dhis2Kind, code: string): string {
  const h = createHash("sha256").update(`dieu-hanh:${kind}:${code}`).digest();
  let uid = LETTERS[h[0]! % LETTERS.length]!;
  for (let i = 1; i < 11; i++) uid += ALPHANUMERIC[h[i]! % ALPHANUMERIC.length]!;
  return uid;
}

export const isDhis2Uid = (text: string) => /^[a-zA-Z][a-zA-Z0-9]{10}$/.test(text);

/**
 * DHIS2's own default objects, the same UIDs in every DHIS2 database: the total (no disaggregation) is its
 * default category option combo, and the default attribute option combo is that same object.
 */
export const DEFAULT_UIDS = {
  categoryOptionCombo: "HllvX50cXC0",
  categoryCombo: "bjDvmb4bfuf",
  category: "GLevLNI9wkl",
  categoryOption: "xYerKDKCefk",
} as const;
export const DEFAULT_NAME = "default";
