import {
  AimOutlined,
  AppstoreOutlined,
  ApartmentOutlined,
  BarChartOutlined,
  AuditOutlined,
  BankOutlined,
  CheckSquareOutlined,
  FileTextOutlined,
  FormOutlined,
  FundOutlined,
  DashboardOutlined,
  EnvironmentOutlined,
  KeyOutlined,
  LogoutOutlined,
  ProfileOutlined,
  ScheduleOutlined,
  SettingOutlined,
  SyncOutlined,
  TeamOutlined,
  UserOutlined,
} from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { roleLabels, type Permission } from "@dieuhanh/core";
import { Button, Dropdown, Layout, Menu, Space, Typography } from "antd";
import { lazy, Suspense, useState, type ReactNode } from "react";
import { Link, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { apiSend, setCsrfToken } from "../api/client";
import { ChangePassword } from "../pages/auth/ChangePassword";
import { useAuth } from "./auth";
import { Notifications } from "./Notifications";
import { LoadError } from "./LoadError";
import { NoPermission } from "./NoPermission";
import { PageLoading } from "./PageLoading";
import { scopeText, useAgencyNames, useAreaNames } from "./scope";

const HomePage = lazy(() => import("../pages/home/Home"));
const CataloguePage = lazy(() => import("../pages/catalogue/CatalogueBrowser"));
const MapPage = lazy(() => import("../pages/map/ProvinceMap"));
const TaskPage = lazy(() => import("../pages/tasks/TaskList"));
const TaskDetailPage = lazy(() => import("../pages/tasks/TaskDetail"));
const DocumentsPage = lazy(() => import("../pages/tasks/Documents"));
const ScorecardPage = lazy(() => import("../pages/tasks/Scorecard"));
const TargetsPage = lazy(() => import("../pages/targets/Targets"));
const OverviewPage = lazy(() => import("../pages/ioc/Overview"));
const MapViewPage = lazy(() => import("../pages/ioc/MapView"));
const IndicatorViewPage = lazy(() => import("../pages/ioc/IndicatorView"));
const GroupViewPage = lazy(() => import("../pages/ioc/GroupView"));
const WallModePage = lazy(() => import("../pages/ioc/WallMode"));
const DashboardListPage = lazy(() => import("../pages/ioc/Dashboards").then((m) => ({ default: m.DashboardList })));
const DashboardViewPage = lazy(() => import("../pages/ioc/Dashboards").then((m) => ({ default: m.DashboardView })));
const AgencyPage = lazy(() => import("../pages/agencies/AgencyList"));
const AreaPage = lazy(() => import("../pages/map/AreaBrowser"));
const UsersPage = lazy(() => import("../pages/admin/Users"));
const TokensPage = lazy(() => import("../pages/admin/Tokens"));
const AuditPage = lazy(() => import("../pages/admin/AuditLog"));
const ProfilePage = lazy(() => import("../pages/admin/Profile"));
const SyncMonitorPage = lazy(() => import("../pages/sync/SyncMonitor"));
const ReportFormPage = lazy(() => import("../pages/reports/ReportForm"));
const CompletenessPage = lazy(() => import("../pages/reports/Completeness"));

interface NavItem {
  key: string;
  icon: ReactNode;
  label: string;
  /** Shown to whoever holds one of these. */
  permission: Permission | Permission[];
}

const nav: NavItem[] = [
  { key: "/dieu-hanh", icon: <FundOutlined />, label: "Điều hành", permission: "reference.read" },
  { key: "/bang-dieu-khien", icon: <AppstoreOutlined />, label: "Bảng điều khiển", permission: "account.self" },
  { key: "/", icon: <DashboardOutlined />, label: "Tổng quan", permission: "reference.read" },
  { key: "/nhap-so-lieu", icon: <FormOutlined />, label: "Nhập số liệu", permission: ["data.submit", "data.approve"] },
  { key: "/tinh-hinh-bao-cao", icon: <CheckSquareOutlined />, label: "Tình hình báo cáo", permission: "reference.read" },
  { key: "/chi-so", icon: <ProfileOutlined />, label: "Bộ chỉ số", permission: "reference.read" },
  { key: "/ban-do", icon: <EnvironmentOutlined />, label: "Bản đồ", permission: "reference.read" },
  { key: "/nhiem-vu", icon: <ScheduleOutlined />, label: "Nhiệm vụ", permission: "reference.read" },
  { key: "/van-ban", icon: <FileTextOutlined />, label: "Văn bản chỉ đạo", permission: "reference.read" },
  { key: "/ket-qua-nhiem-vu", icon: <BarChartOutlined />, label: "Kết quả nhiệm vụ", permission: "reference.read" },
  { key: "/chi-tieu", icon: <AimOutlined />, label: "Chỉ tiêu", permission: "reference.read" },
  { key: "/don-vi-hanh-chinh", icon: <ApartmentOutlined />, label: "Đơn vị hành chính", permission: "reference.read" },
  { key: "/co-quan", icon: <BankOutlined />, label: "Cơ quan", permission: "reference.read" },
  { key: "/nguoi-dung", icon: <TeamOutlined />, label: "Người dùng", permission: "users.manage" },
  { key: "/khoa-api", icon: <KeyOutlined />, label: "Khóa API", permission: "tokens.manage" },
  { key: "/lien-thong", icon: <SyncOutlined />, label: "Giám sát liên thông", permission: "audit.read" },
  { key: "/nhat-ky", icon: <AuditOutlined />, label: "Nhật ký", permission: "audit.read" },
  { key: "/ho-so-trien-khai", icon: <SettingOutlined />, label: "Hồ sơ triển khai", permission: "users.manage" },
];

export function AppShell() {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { me, can } = useAuth();
  const [collapsed, setCollapsed] = useState(false);
  // Below the lg breakpoint the menu slides over the page (with a mask) instead of pushing it aside.
  const [phone, setPhone] = useState(false);
  const agencyNames = useAgencyNames();
  const areaNames = useAreaNames([me.scope.areaId]);
  const items = nav
    .filter((i) => (Array.isArray(i.permission) ? i.permission.some(can) : can(i.permission)))
    .map((i) => ({ key: i.key, icon: i.icon, label: <Link to={i.key}>{i.label}</Link> }));
  const selected = items
    .map((i) => i.key)
    .filter((k) => (k === "/" ? location.pathname === "/" : location.pathname.startsWith(k)));
  const logout = async () => {
    await apiSend("POST", "/api/auth/logout").catch(() => undefined);
    setCsrfToken(null);
    queryClient.clear();
    queryClient.setQueryData(["me"], null);
    navigate("/");
  };
  return (
    // 100vh, not 100%: the page's background and the menu reach the bottom of the screen on short pages.
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider
        className={phone ? "app-sider app-sider-overlay" : "app-sider"}
        breakpoint="lg"
        onBreakpoint={setPhone}
        collapsedWidth={0}
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        width={220}
        zeroWidthTriggerStyle={{ top: 12 }}
      >
        <div className="app-brand">Điều hành</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={selected}
          items={items}
          onClick={() => window.innerWidth < 992 && setCollapsed(true)}
        />
      </Layout.Sider>
      {phone && !collapsed && <div className="app-sider-mask" onClick={() => setCollapsed(true)} />}
      <Layout>
        <Layout.Header
          style={{
            background: "#fff",
            padding: "0 16px 0 56px",
            borderBottom: "1px solid #eee",
            display: "flex",
            alignItems: "center",
            gap: 16,
          }}
        >
          <Typography.Text strong ellipsis style={{ flex: 1, minWidth: 0 }}>
            Hệ thống thông tin chỉ đạo, điều hành dựa trên dữ liệu
          </Typography.Text>
          <Notifications />
          <Dropdown
            menu={{
              items: [
                { key: "role", label: `${roleLabels[me.role]} — ${scopeText(me.scope, agencyNames, areaNames)}`, disabled: true },
                { key: "password", icon: <KeyOutlined />, label: "Đổi mật khẩu", onClick: () => navigate("/doi-mat-khau") },
                { key: "logout", icon: <LogoutOutlined />, label: "Đăng xuất", onClick: logout },
              ],
            }}
          >
            <Button type="text" data-testid="current-user">
              <Space>
                <UserOutlined />
                <span>{me.displayName}</span>
                <Typography.Text type="secondary" className="hide-on-phone">
                  ({roleLabels[me.role]})
                </Typography.Text>
              </Space>
            </Button>
          </Dropdown>
        </Layout.Header>
        <Layout.Content style={{ padding: 16 }}>
          <LoadError resetKey={location.pathname}>
            <Suspense fallback={<PageLoading />}>
              <Routes>
                <Route path="/" element={<HomePage />} />
                <Route path="/dieu-hanh" element={<OverviewPage />} />
                <Route path="/dieu-hanh/ban-do" element={<MapViewPage />} />
                <Route path="/dieu-hanh/chi-so/:code" element={<IndicatorViewPage />} />
                <Route path="/dieu-hanh/nhom/:group" element={<GroupViewPage />} />
                <Route path="/man-hinh-lon" element={<WallModePage />} />
                <Route path="/bang-dieu-khien" element={<DashboardListPage />} />
                <Route path="/bang-dieu-khien/:id" element={<DashboardViewPage />} />
                <Route path="/nhap-so-lieu" element={<ReportFormPage />} />
                <Route path="/tinh-hinh-bao-cao" element={<CompletenessPage />} />
                <Route path="/chi-so" element={<CataloguePage />} />
                <Route path="/chi-so/:catalogueId" element={<CataloguePage />} />
                <Route path="/ban-do" element={<MapPage />} />
                <Route path="/nhiem-vu" element={<TaskPage />} />
                <Route path="/nhiem-vu/:code" element={<TaskDetailPage />} />
                <Route path="/van-ban" element={<DocumentsPage />} />
                <Route path="/ket-qua-nhiem-vu" element={<ScorecardPage />} />
                <Route path="/chi-tieu" element={<TargetsPage />} />
                <Route path="/don-vi-hanh-chinh" element={<AreaPage />} />
                <Route path="/co-quan" element={<AgencyPage />} />
                <Route path="/doi-mat-khau" element={<ChangePassword />} />
                {/* A page the role may not open says so (a shared or typed address), rather than "not found". */}
                <Route path="/nguoi-dung" element={can("users.manage") ? <UsersPage /> : <NoPermission />} />
                <Route path="/khoa-api" element={can("tokens.manage") ? <TokensPage /> : <NoPermission />} />
                <Route path="/lien-thong" element={can("audit.read") ? <SyncMonitorPage /> : <NoPermission />} />
                <Route path="/nhat-ky" element={can("audit.read") ? <AuditPage /> : <NoPermission />} />
                <Route path="/ho-so-trien-khai" element={can("users.manage") ? <ProfilePage /> : <NoPermission />} />
                <Route path="*" element={<Typography.Title level={4}>Không tìm thấy trang</Typography.Title>} />
              </Routes>
            </Suspense>
          </LoadError>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
