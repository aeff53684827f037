import {
  ApartmentOutlined,
  BankOutlined,
  DashboardOutlined,
  EnvironmentOutlined,
  ProfileOutlined,
  ScheduleOutlined,
} from "@ant-design/icons";
import { Layout, Menu, Spin, Typography } from "antd";
import { lazy, Suspense, useState } from "react";
import { Link, Route, Routes, useLocation } from "react-router-dom";

const HomePage = lazy(() => import("../pages/home/Home"));
const CataloguePage = lazy(() => import("../pages/catalogue/CatalogueBrowser"));
const MapPage = lazy(() => import("../pages/map/ProvinceMap"));
const TaskPage = lazy(() => import("../pages/tasks/TaskList"));
const AgencyPage = lazy(() => import("../pages/agencies/AgencyList"));
const AreaPage = lazy(() => import("../pages/map/AreaBrowser"));

const items = [
  {
    key: "/",
    icon: <DashboardOutlined />,
    label: <Link to="/">Tổng quan</Link>,
  },
  {
    key: "/chi-so",
    icon: <ProfileOutlined />,
    label: <Link to="/chi-so">Bộ chỉ số</Link>,
  },
  {
    key: "/ban-do",
    icon: <EnvironmentOutlined />,
    label: <Link to="/ban-do">Bản đồ</Link>,
  },
  {
    key: "/nhiem-vu",
    icon: <ScheduleOutlined />,
    label: <Link to="/nhiem-vu">Nhiệm vụ</Link>,
  },
  {
    key: "/don-vi-hanh-chinh",
    icon: <ApartmentOutlined />,
    label: <Link to="/don-vi-hanh-chinh">Đơn vị hành chính</Link>,
  },
  {
    key: "/co-quan",
    icon: <BankOutlined />,
    label: <Link to="/co-quan">Cơ quan</Link>,
  },
];

export function AppShell() {
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const selected = items
    .map((i) => i.key)
    .filter((k) => (k === "/" ? location.pathname === "/" : location.pathname.startsWith(k)));
  return (
    <Layout style={{ minHeight: "100%" }}>
      <Layout.Sider
        breakpoint="lg"
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
      <Layout>
        <Layout.Header
          style={{
            background: "#fff",
            padding: "0 16px 0 56px",
            borderBottom: "1px solid #eee",
          }}
        >
          <Typography.Text strong ellipsis style={{ display: "block", lineHeight: "64px" }}>
            Hệ thống thông tin chỉ đạo, điều hành dựa trên dữ liệu
          </Typography.Text>
        </Layout.Header>
        <Layout.Content style={{ padding: 16 }}>
          <Suspense fallback={<Spin size="large" style={{ display: "block", margin: 48 }} />}>
            <Routes>
              <Route path="/" element={<HomePage />} />
              <Route path="/chi-so" element={<CataloguePage />} />
              <Route path="/chi-so/:catalogueId" element={<CataloguePage />} />
              <Route path="/ban-do" element={<MapPage />} />
              <Route path="/nhiem-vu" element={<TaskPage />} />
              <Route path="/don-vi-hanh-chinh" element={<AreaPage />} />
              <Route path="/co-quan" element={<AgencyPage />} />
              <Route path="*" element={<Typography.Title level={4}>Không tìm thấy trang</Typography.Title>} />
            </Routes>
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
