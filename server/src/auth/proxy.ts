import { isIP } from "node:net";

const LOOPBACK = ["127.0.0.1", "::1"];

/**
 * TRUST_PROXY as Fastify's `trustProxy`: the addresses (or CIDR ranges) of the reverse proxies whose
 * X-Forwarded-For and X-Forwarded-Proto are believed. Trusting every sender would let anyone forge their
 * address (skipping sign-in throttling, faking the audit trail), so `true` means a proxy on this machine
 * only, and anything that is not an address or a range is refused at start.
 */
export function trustedProxies(value: string | undefined): false | string[] {
  const text = value?.trim() ?? "";
  if (text === "" || text === "false") return false;
  if (text === "true") return [...LOOPBACK];
  const entries = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const list: string[] = [];
  for (const entry of entries) {
    if (entry === "true") {
      list.push(...LOOPBACK);
      continue;
    }
    const [address, bits, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const max = family === 4 ? 32 : 128;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (!family || extra !== undefined || !validBits)
      throw new Error(
        `TRUST_PROXY: '${entry}' không phải địa chỉ IP hay dải CIDR của máy chủ chuyển tiếp ` +
          "(ví dụ TRUST_PROXY=127.0.0.1,10.0.0.0/8; true = chỉ máy này)",
      );
    list.push(entry);
  }
  return [...new Set(list)];
}
