/**
 * Roles (vai trò) and what each may do. Every API route names the permission it needs; a user's or a
 * token's scope (agencies and an area subtree) further limits the data a permission reaches.
 */
export const roles = ["admin", "leader", "office_specialist", "reporter", "approver", "viewer"] as const;
export type Role = (typeof roles)[number];

export const roleLabels: Record<Role, string> = {
  admin: "Quản trị hệ thống",
  leader: "Lãnh đạo",
  office_specialist: "Chuyên viên văn phòng",
  reporter: "Cán bộ báo cáo",
  approver: "Người phê duyệt số liệu",
  viewer: "Người xem",
};

export const permissions = [
  "reference.read", // catalogues, areas, agencies, tasks: what every signed-in user reads
  "account.self", // own profile and password
  "catalogue.manage", // catalogues, tasks, reporting schedules
  "data.submit", // enter and submit figures of one's own agency and area
  "data.approve", // approve or return submitted figures
  "data.reopen", // reopen a locked period or approved figures, with a reason
  "tasks.manage", // create and edit tasks and documents, accept or return progress, close tasks; targets
  "tasks.report", // report progress on the tasks one's agency leads or coordinates
  "audit.read",
  "users.manage",
  "tokens.manage",
] as const;
export type Permission = (typeof permissions)[number];

export const permissionLabels: Record<Permission, string> = {
  "reference.read": "Xem danh mục, bộ chỉ số, nhiệm vụ",
  "account.self": "Quản lý tài khoản của mình",
  "catalogue.manage": "Quản lý bộ chỉ số, nhiệm vụ, chế độ báo cáo",
  "data.submit": "Nhập và gửi số liệu",
  "data.approve": "Phê duyệt số liệu",
  "data.reopen": "Mở lại kỳ đã khóa hoặc số liệu đã duyệt",
  "tasks.manage": "Giao, sửa, đánh giá nhiệm vụ; quản lý văn bản chỉ đạo và chỉ tiêu",
  "tasks.report": "Báo cáo tiến độ nhiệm vụ của cơ quan mình",
  "audit.read": "Xem nhật ký hệ thống",
  "users.manage": "Quản lý người dùng",
  "tokens.manage": "Quản lý khóa API",
};

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: permissions,
  leader: ["reference.read", "account.self", "audit.read"],
  office_specialist: [
    "reference.read",
    "account.self",
    "catalogue.manage",
    "audit.read",
    "data.approve",
    "data.reopen",
    "tasks.manage",
    "tasks.report",
  ],
  reporter: ["reference.read", "account.self", "data.submit", "tasks.report"],
  approver: ["reference.read", "account.self", "data.submit", "data.approve", "tasks.report"],
  viewer: ["reference.read", "account.self"],
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return rolePermissions[role].includes(permission);
}

/**
 * What part of the data a user or token reaches: some agencies (null = every agency) and an area subtree
 * (null = the whole country).
 */
export interface Scope {
  agencies: string[] | null;
  areaId: string | null;
}

export function coversAgency(scope: Scope, agencyCode: string): boolean {
  return scope.agencies === null || scope.agencies.includes(agencyCode);
}
