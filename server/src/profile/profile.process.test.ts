import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { api, freePort, signIn, startReadyServer, startServer } from "../testing/processes";

/** The install profile as an operator sets it at the first start: from the environment, once. */
const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "dh-profile-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const PASSWORD = "QuanTri-2026-a";

describe("install profile at the first start", () => {
  it("serves Cần Thơ when started with INSTALL_PROFILE=province:92, and keeps it on a restart with other settings", async () => {
    const env = { DATA_DIR: dataDir(), DEMO_DATA: "false", INITIAL_ADMIN_PASSWORD: PASSWORD, INSTALL_PROFILE: "province:92" };
    let server = await startReadyServer(env);
    let session = await signIn(server.url, "admin", PASSWORD);
    expect((await api(server.url, session, "GET", "/api/profile")).json).toMatchObject({
      kind: "province",
      name: "Ủy ban nhân dân thành phố Cần Thơ",
      catalogue: { id: "cantho-256" },
      area: { id: "92" },
      stored: true,
    });
    expect(server.output()).toMatch(/Hồ sơ triển khai: Ủy ban nhân dân thành phố Cần Thơ/);
    await server.stop();
    // A later start never overwrites it (an administrator may have changed it since).
    server = await startReadyServer({ ...env, INSTALL_PROFILE: "government_office" });
    session = await signIn(server.url, "admin", PASSWORD);
    expect((await api(server.url, session, "GET", "/api/profile")).json).toMatchObject({ kind: "province", area: { id: "92" } });
    await server.stop();
  }, 300_000);

  it("refuses to start with a profile it cannot read, naming the setting", async () => {
    const server = startServer({ DATA_DIR: dataDir(), DEMO_DATA: "false", INSTALL_PROFILE: "province:99" }, await freePort());
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Không thiết lập được hồ sơ triển khai: Không có địa bàn hiện hành 99/);
  }, 300_000);
});
