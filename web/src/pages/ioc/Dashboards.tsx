import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, LinkOutlined, PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { roleLabels } from "@dieuhanh/core";
import { App, Button, Card, Checkbox, Col, Input, List, Row, Select, Space, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { BodyOf, Dashboard, DashboardTile as TileSpec, IndicatorSummary, JsonOf } from "../../api/types";
import { useAuth } from "../../components/auth";
import { EChart } from "../../components/EChart";
import { useLiveData } from "../../components/live";
import { QueryState } from "../../components/QueryState";
import { useHomeDefaults } from "../../components/useHome";
import { SampleMark } from "./common";
import { lastMonthCode, periodsBefore } from "../reports/common";
import { useAnalytics } from "./MapView";
import { AreaPicker, Tile } from "./Overview";

const chartLabels = { tile: "Ô số liệu", line: "Biểu đồ đường", bar: "Theo địa bàn con", map: "Bản đồ" } as const;

/** The dashboards a user has: their own, their role's; a new one starts from the default tiles. */
export function DashboardList() {
  const navigate = useNavigate();
  const { message } = App.useApp();
  const home = useHomeDefaults();
  const list = useQuery({ queryKey: ["dashboards"], queryFn: () => apiGet<Page<Dashboard>>("/api/dashboards") });
  const create = useMutation({
    mutationFn: () =>
      apiSend<Dashboard>("POST", "/api/dashboards", {
        name: "Bảng điều khiển mới",
        // The caller's own area and the install's tiles: a province's leader may not open the whole country.
        area: home.area,
        tiles: home.tiles.slice(0, 4).map((indicator) => ({ indicator })),
      } satisfies BodyOf<"/api/dashboards", "post">),
    onSuccess: (d) => navigate(`/bang-dieu-khien/${d.id}?sua=1`),
    onError: (e) => message.error(e.message),
  });
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={3}>Bảng điều khiển</Typography.Title>
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => create.mutate()}
          loading={create.isPending}
          disabled={!home.ready}
        >
          Tạo bảng
        </Button>
      </Space>
      <QueryState isLoading={list.isLoading} error={list.error}>
        <List
          bordered
          dataSource={list.data?.items}
          locale={{ emptyText: "Chưa có bảng điều khiển" }}
          renderItem={(d) => (
            <List.Item>
              <Link to={`/bang-dieu-khien/${d.id}`}>{d.name}</Link>
              <Typography.Text type="secondary">
                {d.tiles.length} ô{d.forRole ? ` · cho ${roleLabels[d.forRole as keyof typeof roleLabels]}` : ""}
                {d.shared ? " · chia sẻ bằng đường dẫn" : ""}
              </Typography.Text>
            </List.Item>
          )}
        />
      </QueryState>
    </>
  );
}

function SeriesTile({ spec, area }: { spec: TileSpec; area: string }) {
  const to = lastMonthCode();
  const from = periodsBefore(to, spec.periods - 1);
  const q =
    spec.chart === "bar"
      ? { indicators: spec.indicator, parent: area, from: to, to }
      : { indicators: spec.indicator, areas: area, from, to };
  const r = useAnalytics(q).data;
  if (!r) return <Card size="small" loading />;
  const ind = r.indicators[0]!;
  const bars = r.areas
    .map((a) => ({ name: a.name, value: r.series.find((s) => s.area === a.id)?.points[0]?.value ?? null }))
    .filter((b) => b.value !== null);
  return (
    <Card
      size="small"
      title={`${ind.name}${ind.unit ? ` (${ind.unit})` : ""}`}
      extra={<SampleMark show={r.series.some((s) => s.points.some((p) => p.sample))} />}
      data-testid={`dash-tile-${spec.indicator}`}
    >
      <EChart
        style={{ height: 220 }}
        option={
          spec.chart === "bar"
            ? {
                tooltip: {},
                grid: { left: 40, right: 10, top: 10, bottom: 60 },
                xAxis: { type: "category", data: bars.map((b) => b.name), axisLabel: { rotate: 45 } },
                yAxis: { type: "value" },
                series: [{ type: "bar", data: bars.map((b) => b.value) }],
              }
            : {
                tooltip: { trigger: "axis" },
                grid: { left: 50, right: 10, top: 10, bottom: 30 },
                xAxis: { type: "category", data: r.periods.map((p) => p.label) },
                yAxis: { type: "value", scale: true },
                series: [{ type: "line", data: r.series[0]?.points.map((p) => p.value) ?? [] }],
              }
        }
      />
    </Card>
  );
}

/** One dashboard: its tiles live; for those who may, add, remove and arrange tiles, then save or share. */
export function DashboardView() {
  const { id = "" } = useParams();
  const { can, me } = useAuth();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const editing = new URLSearchParams(window.location.search).has("sua");
  const home = useHomeDefaults();
  const [draft, setDraft] = useState<Dashboard | null>(null);
  useLiveData();
  const dashboard = useQuery({
    queryKey: ["dashboard", id],
    queryFn: async () => {
      const d = await apiGet<Dashboard>(`/api/dashboards/${id}`);
      if (editing && d.canEdit) setDraft(d);
      return d;
    },
  });
  const indicators = useQuery({
    queryKey: ["catalogue-rows", home.catalogueId, "all"],
    enabled: draft !== null && home.ready,
    queryFn: () => apiGet<Page<IndicatorSummary>>(`/api/catalogues/${home.catalogueId}/indicators`, { limit: 500 }),
  });
  const d = draft ?? dashboard.data;
  const tileSpecs = (d?.tiles ?? []).filter((t) => t.chart === "tile" || t.chart === "map");
  // A dashboard saved for the whole country shows a province's leader their own province (never a scope error).
  const area = d ? (me.scope.areaId && d.area === "VN" ? me.scope.areaId : d.area) : home.area;
  const tiles = useQuery({
    queryKey: ["analytics", "latest", area, tileSpecs.map((t) => t.indicator).join(",")],
    enabled: tileSpecs.length > 0,
    queryFn: () =>
      apiGet<JsonOf<"/api/analytics/latest", "get">>("/api/analytics/latest", {
        indicators: tileSpecs.map((t) => t.indicator).join(","),
        area,
      }),
  });
  const save = useMutation({
    mutationFn: (x: Dashboard) =>
      apiSend<Dashboard>("PUT", `/api/dashboards/${id}`, {
        name: x.name,
        forRole: x.forRole,
        shared: x.shared,
        area: x.area,
        tiles: x.tiles,
        version: x.version,
      } satisfies BodyOf<"/api/dashboards/{id}", "put">),
    onSuccess: (saved) => {
      message.success("Đã lưu bảng điều khiển");
      setDraft(null);
      queryClient.setQueryData(["dashboard", id], saved);
    },
    onError: (e) => message.error(e.message),
  });
  const set = (patch: Partial<Dashboard>) => setDraft((x) => (x ? { ...x, ...patch } : x));
  const move = (i: number, by: number) => {
    if (!draft) return;
    const t = [...draft.tiles];
    const [x] = t.splice(i, 1);
    t.splice(Math.max(0, Math.min(t.length, i + by)), 0, x!);
    set({ tiles: t });
  };
  return (
    <QueryState isLoading={dashboard.isLoading} error={dashboard.error}>
      {d && (
        <>
          <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
            {draft ? (
              <Input
                aria-label="Tên bảng"
                value={draft.name}
                onChange={(e) => set({ name: e.target.value })}
                style={{ width: 360 }}
              />
            ) : (
              <Typography.Title level={3}>{d.name}</Typography.Title>
            )}
            <Space wrap>
              <AreaPicker value={area} onChange={(v) => (draft ? set({ area: v }) : undefined)} />
              <Button
                icon={<LinkOutlined />}
                onClick={() =>
                  void navigator.clipboard
                    ?.writeText(window.location.href.split("?")[0]!)
                    .then(() => message.success("Đã chép đường dẫn"))
                }
              >
                Chép đường dẫn
              </Button>
              {d.canEdit && !draft && <Button onClick={() => setDraft(d)}>Sửa</Button>}
              {draft && (
                <Button type="primary" onClick={() => save.mutate(draft)} loading={save.isPending}>
                  Lưu
                </Button>
              )}
            </Space>
          </Space>
          {draft && (
            <Card size="small" title="Các ô" style={{ margin: "12px 0" }}>
              <Space wrap style={{ marginBottom: 8 }}>
                <Checkbox checked={draft.shared} onChange={(e) => set({ shared: e.target.checked })}>
                  Chia sẻ bằng đường dẫn
                </Checkbox>
                {can("catalogue.manage") && (
                  <Select
                    allowClear
                    placeholder="Dùng chung cho vai trò"
                    style={{ width: 220 }}
                    value={draft.forRole}
                    onChange={(v) => set({ forRole: v ?? null })}
                    options={Object.entries(roleLabels).map(([value, label]) => ({ value, label }))}
                  />
                )}
                <Select
                  showSearch
                  aria-label="Thêm chỉ số"
                  placeholder="Thêm chỉ số…"
                  optionFilterProp="label"
                  style={{ width: 360 }}
                  value={null}
                  onChange={(v: string) =>
                    set({ tiles: [...draft.tiles, { indicator: v, area: null, chart: "tile", periods: 12 }] })
                  }
                  options={(indicators.data?.items ?? [])
                    .filter((i) => i.unit && i.kind !== "heading")
                    .map((i) => ({ value: i.code, label: `${i.code} ${i.name}` }))}
                />
              </Space>
              {draft.tiles.map((t, i) => (
                <Space key={`${t.indicator}-${i}`} style={{ display: "flex", marginBottom: 4 }} wrap>
                  <Typography.Text code>{t.indicator}</Typography.Text>
                  <Typography.Text ellipsis style={{ maxWidth: 360 }}>
                    {indicators.data?.items.find((i) => i.code === t.indicator)?.name ??
                      tiles.data?.items.find((x) => x.indicator.code === t.indicator)?.indicator.name}
                  </Typography.Text>
                  <Select
                    size="small"
                    style={{ width: 170 }}
                    value={t.chart}
                    onChange={(v) => set({ tiles: draft.tiles.map((x, k) => (k === i ? { ...x, chart: v } : x)) })}
                    options={Object.entries(chartLabels).map(([value, label]) => ({ value, label }))}
                  />
                  <Button size="small" icon={<ArrowUpOutlined />} aria-label="Lên" onClick={() => move(i, -1)} />
                  <Button size="small" icon={<ArrowDownOutlined />} aria-label="Xuống" onClick={() => move(i, 1)} />
                  <Button
                    size="small"
                    danger
                    icon={<DeleteOutlined />}
                    aria-label={`Bỏ ${t.indicator}`}
                    onClick={() => set({ tiles: draft.tiles.filter((_, k) => k !== i) })}
                  />
                </Space>
              ))}
            </Card>
          )}
          <Row gutter={[12, 12]} style={{ marginTop: 8 }}>
            {d.tiles.map((t, i) => {
              const latest = tiles.data?.items.find((x) => x.indicator.code === t.indicator);
              return (
                <Col key={`${t.indicator}-${i}`} xs={24} sm={12} lg={t.chart === "tile" ? 6 : 12}>
                  {t.chart === "tile" || t.chart === "map" ? (
                    latest ? (
                      <Tile tile={latest} area={area} />
                    ) : (
                      <Card size="small" loading />
                    )
                  ) : (
                    <SeriesTile spec={t} area={t.area ?? area} />
                  )}
                </Col>
              );
            })}
          </Row>
        </>
      )}
    </QueryState>
  );
}
