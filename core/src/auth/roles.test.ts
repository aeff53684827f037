import { describe, expect, it } from "vitest";
import { coversAgency, hasPermission, permissions, rolePermissions, roles } from "./roles";

describe("roles", () => {
  it("gives the administrator every permission and every role at least reading and its own account", () => {
    expect([...rolePermissions.admin]).toEqual([...permissions]);
    for (const role of roles) {
      expect(hasPermission(role, "reference.read")).toBe(true);
      expect(hasPermission(role, "account.self")).toBe(true);
    }
  });
  it("keeps user and token management to the administrator", () => {
    expect(roles.filter((r) => hasPermission(r, "users.manage"))).toEqual(["admin"]);
    expect(roles.filter((r) => hasPermission(r, "tokens.manage"))).toEqual(["admin"]);
  });
  it("lets reporters submit but not approve, and approvers do both", () => {
    expect(hasPermission("reporter", "data.submit")).toBe(true);
    expect(hasPermission("reporter", "data.approve")).toBe(false);
    expect(hasPermission("approver", "data.approve")).toBe(true);
    expect(hasPermission("viewer", "data.submit")).toBe(false);
  });
  it("scopes agencies: null reaches all", () => {
    expect(coversAgency({ agencies: null, areaId: null }, "BTC")).toBe(true);
    expect(coversAgency({ agencies: ["CT.STC"], areaId: "92" }, "BTC")).toBe(false);
  });
});
