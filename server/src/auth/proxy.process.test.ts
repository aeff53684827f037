import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startServer } from "../testing/processes";

/** TRUST_PROXY as an operator sets it: a value that is not an address or a range stops the server at start. */
const dataDir = mkdtempSync(path.join(tmpdir(), "dh-proxy-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("TRUST_PROXY at start", () => {
  it("refuses to trust every sender, with a message naming the setting and an example", async () => {
    const server = startServer({ TRUST_PROXY: "*", DATA_DIR: dataDir }, await freePort());
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/TRUST_PROXY: '\*' không phải địa chỉ IP hay dải CIDR/);
    expect(server.output()).toContain("TRUST_PROXY=127.0.0.1,10.0.0.0/8");
  }, 60_000);
});
