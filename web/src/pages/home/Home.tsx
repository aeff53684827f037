import { useQuery } from "@tanstack/react-query";
import { Card, Col, Row, Statistic, Typography } from "antd";
import { formatDate, formatNumber } from "@dieuhanh/core";
import { Link, Navigate } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { Area, Catalogue, TaskList } from "../../api/types";
import { useAuth } from "../../components/auth";
import { QueryState } from "../../components/QueryState";
import { useProfile } from "../../components/useHome";

/** Roles whose work starts from the figures: they land on the operations dashboard, not on catalogue counts. */
const LANDS_ON_OVERVIEW = new Set(["leader"]);

export default function Home() {
  const { me } = useAuth();
  return LANDS_ON_OVERVIEW.has(me.role) ? <Navigate to="/dieu-hanh" replace /> : <CatalogueHome />;
}

/** What the system holds: catalogues, areas, tasks — the starting page of those who maintain it. */
function CatalogueHome() {
  const profile = useProfile();
  const catalogues = useQuery({
    queryKey: ["catalogues"],
    queryFn: () => apiGet<Page<Catalogue>>("/api/catalogues"),
  });
  const provinces = useQuery({
    queryKey: ["areas", "province"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "province", limit: 1 }),
  });
  const communes = useQuery({
    queryKey: ["areas", "commune"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "commune", limit: 1 }),
  });
  const taskLists = useQuery({
    queryKey: ["task-lists"],
    queryFn: () => apiGet<Page<TaskList>>("/api/task-lists"),
  });
  const taskCount = taskLists.data?.items.reduce((s, l) => s + l.taskCount, 0);
  return (
    <>
      <Typography.Title level={3}>Tổng quan</Typography.Title>
      {profile.data && (
        <Typography.Paragraph type="secondary" data-testid="home-profile">
          {profile.data.name} · <Link to="/dieu-hanh">Mở bảng điều hành</Link>
        </Typography.Paragraph>
      )}
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="Bộ chỉ số" value={catalogues.data?.total ?? "…"} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="Tỉnh, thành phố" value={provinces.data?.total ?? "…"} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="Xã, phường, đặc khu" value={communes.data ? formatNumber(communes.data.total) : "…"} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title="Nhiệm vụ" value={taskCount ?? "…"} />
          </Card>
        </Col>
      </Row>
      <Typography.Title level={4} style={{ marginTop: 24 }}>
        Các bộ chỉ số
      </Typography.Title>
      <QueryState isLoading={catalogues.isLoading} error={catalogues.error}>
        <Row gutter={[16, 16]}>
          {catalogues.data?.items.map((c) => (
            <Col xs={24} md={12} key={c.id}>
              <Card
                data-testid={`catalogue-card-${c.id}`}
                title={
                  <Link to={`/chi-so/${c.id}`}>
                    {c.document.number ?? "Kế hoạch (chưa ghi số)"} — {c.document.issuer}
                  </Link>
                }
              >
                <Typography.Paragraph ellipsis={{ rows: 2 }}>{c.name}</Typography.Paragraph>
                <Typography.Text type="secondary">
                  {c.appendix}
                  {c.document.date ? `, ngày ${formatDate(c.document.date)}` : ""} · {formatNumber(c.indicatorCount)} chỉ số
                </Typography.Text>
                <div style={{ marginTop: 8 }}>
                  {c.groups.map((g) => (
                    <span key={g.code} style={{ marginRight: 16 }}>
                      Nhóm {g.code}: <b>{g.count}</b>
                    </span>
                  ))}
                </div>
              </Card>
            </Col>
          ))}
        </Row>
      </QueryState>
    </>
  );
}
